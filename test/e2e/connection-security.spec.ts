import { expect, test } from './support/fixtures';

// What the Connection screen says about a profile's security: a PostgreSQL profile that turns
// TLS off (or does not verify the server) for another computer carries a warning; one without
// sslmode gets verify-full and none; a Supabase project over plain http is refused.
test('connection security: TLS warnings on PostgreSQL profiles, http Supabase URLs refused', async ({
  app,
}) => {
  const { page } = app;
  await expect(page.locator('.badge')).toContainText('Sandbox', { timeout: 30_000 });
  await page.getByRole('button', { name: 'Connection', exact: true }).click();
  const profileRow = (name: string) =>
    page.locator('.profile').filter({
      has: page.locator('.profile-name', { hasText: new RegExp(`^${name}$`) }),
    });

  const addPostgres = async (name: string, url: string): Promise<void> => {
    await page.getByRole('button', { name: 'Add PostgreSQL…' }).click();
    const form = page.getByRole('form', { name: 'PostgreSQL profile' });
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Connection string').fill(url);
    await form.getByRole('button', { name: 'Save profile' }).click();
    await expect(form).toBeHidden();
  };
  await addPostgres('Plain', 'postgresql://app:pw-4711@db.example.com:5432/app?sslmode=disable');
  await addPostgres('Unverified', 'postgresql://app:pw-4711@db.example.com/app?sslmode=prefer');
  await addPostgres('Verified', 'postgresql://app:pw-4711@db.example.com/app');
  await expect(profileRow('Plain').getByRole('note')).toContainText('unencrypted');
  await expect(profileRow('Unverified').getByRole('note')).toContainText('not verified');
  await expect(profileRow('Verified').getByRole('note')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('pw-4711');
  await app.shot('connection-tls-warnings');

  await page.getByRole('button', { name: 'Add Supabase…' }).click();
  const form = page.getByRole('form', { name: 'Supabase profile' });
  await form.getByLabel('Name').fill('Plain project');
  await form.getByLabel('Project URL').fill('http://project.example.com');
  await form.getByLabel('Publishable (anon) key').fill('a'.repeat(40));
  await form.getByRole('button', { name: 'Save profile' }).click();
  await expect(page.getByText(/https:\/\//).first()).toBeVisible();
  await expect(profileRow('Plain project')).toHaveCount(0);
});
