import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  _electron,
  chromium,
  test as base,
  expect,
  type Browser,
  type ElectronApplication,
  type Page,
} from '@playwright/test';
import { openTestDb, seedMerchant, type SeededMerchant, type TestDb } from '../../support/seed';
import { installBridge } from './bridge';
import { findBrowser } from './find-browser';
import { createHost, type Host } from './host';
import { serveDirectory } from './static-server';

// Two ways to run the same specs:
// - project `chromium`: the built renderer in Chromium (see find-browser.ts), main-process
//   handlers hosted here and bridged into the page (Electron cannot run on these machines);
// - project `electron`: the packaged-layout app through _electron.launch, where the binary exists.
// Every test gets its own data folder and its own merchant in the shared PostgreSQL.

const ROOT = resolve(import.meta.dirname, '../../..');
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface ConsoleApp {
  page: Page;
  mode: 'chromium' | 'electron';
  merchant: SeededMerchant;
  db: TestDb;
  dataDir: string;
  /** Requests the app's policy refused (chromium mode). */
  blocked: string[];
  /** Windows the page tried to open (chromium mode; each was closed at once). */
  popups: string[];
  host: Host | null;
  electron: ElectronApplication | null;
  writeFile(name: string, text: string): Promise<string>;
  answerOpenDialog(path: string | null): Promise<void>;
  answerSaveDialog(path: string | null): Promise<void>;
  notifications(): { title: string; body: string }[];
  shot(name: string): Promise<void>;
}

export function electronBinary(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const path = require('electron') as unknown as string;
    return typeof path === 'string' && existsSync(path) ? path : null;
  } catch {
    return null;
  }
}

interface WorkerFixtures {
  browserInstance: Browser | null;
}

export const test = base.extend<
  { app: ConsoleApp; merchantSize: { users: number; skus: number } },
  WorkerFixtures
>({
  merchantSize: [{ users: 20, skus: 12 }, { option: true }],
  browserInstance: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use, workerInfo) => {
      if (workerInfo.project.name === 'electron') {
        await use(null);
        return;
      }
      const browser = await chromium.launch({
        executablePath: findBrowser().path,
        args: CHROMIUM_ARGS,
        // Playwright turns Chromium's popup blocker off by default; the app denies popups.
        ignoreDefaultArgs: ['--disable-popup-blocking'],
      });
      await use(browser);
      await browser.close();
    },
    { scope: 'worker' },
  ],
  app: async ({ browserInstance, merchantSize }, use, testInfo) => {
    const databaseUrl = process.env['E2E_DATABASE_URL'];
    if (!databaseUrl)
      throw new Error('E2E_DATABASE_URL is not set: run through playwright.config.ts');
    const mode = testInfo.project.name === 'electron' ? 'electron' : 'chromium';
    if (mode === 'electron')
      test.skip(
        electronBinary() === null,
        "Electron's binary is not installed (ELECTRON_SKIP_BINARY_DOWNLOAD=1 or no access to " +
          'github.com); the same specs ran in the chromium project. To run them in Electron: ' +
          '`node node_modules/electron/install.js`, then `npx playwright test --project electron`',
      );

    const dataDir = await mkdtemp(join(tmpdir(), 'pi-e2e-'));
    const filesDir = join(dataDir, 'files');
    await mkdir(filesDir, { recursive: true });
    await mkdir(SCREENSHOTS, { recursive: true });
    const db = openTestDb(databaseUrl);
    const merchant = await seedMerchant(db.pool, {
      ...merchantSize,
      name: `E2E ${testInfo.title.slice(0, 40)} ${Math.random().toString(36).slice(2, 7)}`,
    });

    let page: Page;
    let host: Host | null = null;
    let electron: ElectronApplication | null = null;
    let blocked: string[] = [];
    let popups: string[] = [];
    let cleanup: () => Promise<void>;
    if (mode === 'chromium') {
      if (!browserInstance) throw new Error('no browser');
      host = await createHost({ dataDir, databaseUrl });
      const server = await serveDirectory(join(ROOT, 'out', 'renderer'));
      const context = await browserInstance.newContext({ viewport: { width: 1440, height: 900 } });
      page = await context.newPage();
      const url = `${server.url}index.html`;
      ({ blocked, popups } = await installBridge(context, page, host, { url, prefix: url }));
      await page.goto(url);
      cleanup = async () => {
        await context.close();
        await server.close();
        await host?.close();
      };
    } else {
      electron = await _electron.launch({
        args: [join(ROOT, 'out', 'main', 'index.js')],
        env: { ...process.env, PURCHASE_IMPORT_HOME: dataDir, PURCHASE_IMPORT_DB: databaseUrl },
      });
      page = await electron.firstWindow();
      await page.setViewportSize({ width: 1440, height: 900 });
      const app = electron;
      cleanup = async () => {
        await app.close();
      };
    }

    const consoleApp: ConsoleApp = {
      page,
      mode,
      merchant,
      db,
      dataDir,
      blocked,
      popups,
      host,
      electron,
      writeFile: async (name, text) => {
        const path = join(filesDir, name);
        await writeFile(path, text);
        return path;
      },
      answerOpenDialog: async (path) => {
        if (host) host.answerOpenDialog(path);
        else
          await electron?.evaluate(({ dialog }, chosen) => {
            dialog.showOpenDialog = (async () => ({
              canceled: chosen === null,
              filePaths: chosen === null ? [] : [chosen],
            })) as typeof dialog.showOpenDialog;
          }, path);
      },
      answerSaveDialog: async (path) => {
        if (host) host.answerSaveDialog(path);
        else
          await electron?.evaluate(({ dialog }, chosen) => {
            dialog.showSaveDialog = (async () => ({
              canceled: chosen === null,
              filePath: chosen ?? '',
            })) as typeof dialog.showSaveDialog;
          }, path);
      },
      notifications: () => host?.notifications ?? [],
      shot: async (name) => {
        await page.screenshot({ path: join(SCREENSHOTS, `${mode}-${name}.png`) });
      },
    };
    try {
      await use(consoleApp);
    } finally {
      await cleanup().catch(() => undefined);
      await db.close();
      await rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
    }
  },
});

export { expect };

/** Connection screen: picks this test's merchant (the app connects to the default profile). */
export async function chooseMerchant(app: ConsoleApp): Promise<void> {
  const { page } = app;
  await page.getByRole('button', { name: 'Connection', exact: true }).click();
  const select = page.locator('#merchant-select');
  await expect(select).toBeEnabled({ timeout: 30_000 });
  await select.selectOption({ label: app.merchant.name });
  await expect(page.locator('.badge')).toContainText(app.merchant.name);
}

/**
 * Starts recording every status the commit panel shows, however briefly; the function returned
 * reads what was recorded.
 */
export async function watchCommitPanel(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    // The page's globals, typed just enough: this file is also checked without the DOM library.
    const win = globalThis as unknown as CommitPanelPage;
    const seen: string[] = [];
    win.__commit = seen;
    new win.MutationObserver(() => {
      const text = win.document.querySelector('.commit-progress')?.textContent;
      if (text && seen.at(-1) !== text) seen.push(text);
    }).observe(win.document.body, { subtree: true, childList: true, characterData: true });
  });
  return () => page.evaluate(() => (globalThis as unknown as CommitPanelPage).__commit);
}

interface CommitPanelPage {
  __commit: string[];
  document: {
    body: unknown;
    querySelector(selector: string): { textContent: string | null } | null;
  };
  MutationObserver: new (callback: () => void) => {
    observe(target: unknown, options: Record<string, boolean>): void;
  };
}

/** Opens a file through the Open button and the (answered) native dialog. */
export async function openFile(app: ConsoleApp, path: string): Promise<void> {
  const { page } = app;
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await app.answerOpenDialog(path);
  await page.getByRole('button', { name: 'Choose a CSV file or Excel workbook…' }).click();
}

export function fileUrl(path: string): string {
  return pathToFileURL(path).href;
}
