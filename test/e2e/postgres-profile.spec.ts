import { expect, test } from './support/fixtures';

// A saved PostgreSQL profile once never connected: main took its stored connection string for
// the reason it could not connect and sent it, password and all, to this screen.
test('PostgreSQL profile: added, connected, its merchant chosen; a wrong password says so without showing it', async ({
  app,
}) => {
  const { page } = app;
  const databaseUrl = process.env['E2E_DATABASE_URL'];
  if (!databaseUrl) throw new Error('E2E_DATABASE_URL is not set');
  const password = decodeURIComponent(new URL(databaseUrl).password);
  expect(password).not.toBe('');
  await expect(page.locator('.badge')).toContainText('Sandbox', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Connection', exact: true }).click();

  const addProfile = async (name: string, url: string): Promise<void> => {
    await page.getByRole('button', { name: 'Add PostgreSQL…' }).click();
    const form = page.getByRole('form', { name: 'PostgreSQL profile' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Connection string').fill(url);
    await form.getByRole('button', { name: 'Save profile' }).click();
    await expect(form).toBeHidden();
  };
  const profileRow = (name: string) =>
    page.locator('.profile').filter({ has: page.locator('.profile-name', { hasText: name }) });

  await addProfile('Direct', databaseUrl);
  await expect(profileRow('Direct')).toContainText('PostgreSQL');
  await profileRow('Direct').getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('.badge')).toContainText('Direct', { timeout: 30_000 });
  await expect(page.locator('.badge')).toHaveClass(/badge--connected/);
  await page.getByRole('button', { name: 'Connection', exact: true }).click();
  await expect(page.locator('#merchant-select')).toBeEnabled({ timeout: 30_000 });
  await page.locator('#merchant-select').selectOption({ label: app.merchant.name });
  await expect(page.locator('.badge')).toContainText(app.merchant.name);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await app.shot('connection-postgres');

  const wrong = new URL(databaseUrl);
  wrong.password = 'not-the-password-4711';
  await addProfile('Wrong password', wrong.toString());
  await page.getByRole('button', { name: 'Connection', exact: true }).click();
  await profileRow('Wrong password').getByRole('button', { name: 'Connect' }).click();
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('password authentication failed', { timeout: 30_000 });
  await expect(alert).toContainText('Edit the profile and check the user name and password.');
  await app.shot('connection-postgres-refused');

  // Nothing on the screen or in what the page can ask main for carries either password.
  const shown = await page.locator('body').innerText();
  const asked = await page.evaluate(async () => {
    const api = (
      globalThis as unknown as {
        api: { connectionListProfiles(): Promise<unknown>; connectionState(): Promise<unknown> };
      }
    ).api;
    return JSON.stringify([await api.connectionListProfiles(), await api.connectionState()]);
  });
  for (const text of [shown, asked]) {
    expect(text).not.toContain(password);
    expect(text).not.toContain('not-the-password-4711');
  }

  // Back to the working profile: the app connects again.
  await page.getByRole('button', { name: 'Connection', exact: true }).click();
  await profileRow('Direct').getByRole('button', { name: 'Connect' }).click();
  await expect(page.locator('.badge')).toHaveClass(/badge--connected/, { timeout: 30_000 });
});
