import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBrowser, systemBrowserPaths } from './find-browser';

// The UI tests' browser lookup (a vitest test, not a Playwright spec). The machine's own
// browsers are hidden through the environment: E2E_CHROMIUM, E2E_SYSTEM_BROWSERS and, in the
// child process, PLAYWRIGHT_BROWSERS_PATH (Playwright reads it once, when it is loaded).

const ROOT = resolve(import.meta.dirname, '../../..');
const THREE_WAYS =
  'set E2E_CHROMIUM to a Chromium or Chrome executable, run `npx playwright install chromium`, ' +
  'or install Chromium or Google Chrome system-wide (on Debian: `sudo apt-get install chromium`)';

let dir: string;
let fakeBrowser: string;
let otherFakeBrowser: string;
let missing: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'find-browser-'));
  fakeBrowser = join(dir, 'chromium');
  otherFakeBrowser = join(dir, 'chrome');
  missing = join(dir, 'not-installed', 'chromium');
  await writeFile(fakeBrowser, '');
  await writeFile(otherFakeBrowser, '');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('findBrowser', () => {
  it('takes E2E_CHROMIUM first', () => {
    const found = findBrowser({
      env: { E2E_CHROMIUM: fakeBrowser, E2E_SYSTEM_BROWSERS: otherFakeBrowser },
      playwrightChromium: () => otherFakeBrowser,
    });
    expect(found).toEqual({ path: fakeBrowser, source: 'E2E_CHROMIUM' });
  });

  it('refuses an E2E_CHROMIUM that does not exist, with the three ways to get a browser', () => {
    expect(() =>
      findBrowser({
        env: { E2E_CHROMIUM: missing, E2E_SYSTEM_BROWSERS: otherFakeBrowser },
        playwrightChromium: () => otherFakeBrowser,
      }),
    ).toThrow(
      `No browser for the UI tests: E2E_CHROMIUM points to ${missing}, which does not exist; ` +
        `${THREE_WAYS}.`,
    );
  });

  it("takes Playwright's Chromium before the system's", () => {
    const found = findBrowser({
      env: { E2E_SYSTEM_BROWSERS: otherFakeBrowser },
      playwrightChromium: () => fakeBrowser,
    });
    expect(found).toEqual({ path: fakeBrowser, source: 'playwright' });
  });

  it("falls back to the system's browser, first standard place that exists", () => {
    const found = findBrowser({
      env: { E2E_SYSTEM_BROWSERS: [missing, otherFakeBrowser, fakeBrowser].join(delimiter) },
      playwrightChromium: () => missing,
    });
    expect(found).toEqual({ path: otherFakeBrowser, source: 'system' });
  });

  it('fails with one sentence naming the three ways and where it looked', () => {
    const playwright = join(dir, 'ms-playwright', 'chrome');
    expect(() =>
      findBrowser({
        env: { E2E_SYSTEM_BROWSERS: missing },
        playwrightChromium: () => playwright,
      }),
    ).toThrow(`No browser for the UI tests: ${THREE_WAYS}; looked for ${playwright}, ${missing}.`);
  });

  it('treats a platform Playwright has no Chromium for as no Playwright browser', () => {
    expect(
      findBrowser({
        env: { E2E_SYSTEM_BROWSERS: fakeBrowser },
        playwrightChromium: () => {
          throw new Error('unsupported platform');
        },
      }),
    ).toEqual({ path: fakeBrowser, source: 'system' });
  });
});

describe('systemBrowserPaths', () => {
  it('knows the standard places on Linux, macOS and Windows', () => {
    expect(systemBrowserPaths('linux', {})).toContain('/usr/bin/chromium');
    expect(systemBrowserPaths('linux', {})).toContain('/usr/bin/google-chrome');
    expect(systemBrowserPaths('darwin', {})).toContain(
      '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    );
    expect(systemBrowserPaths('win32', { PROGRAMFILES: 'C:\\Program Files' })).toContain(
      join('C:\\Program Files', 'Google', 'Chrome', 'Application', 'chrome.exe'),
    );
  });

  it('is replaced by E2E_SYSTEM_BROWSERS (empty: nowhere)', () => {
    expect(systemBrowserPaths('linux', { E2E_SYSTEM_BROWSERS: '' })).toEqual([]);
    expect(systemBrowserPaths('linux', { E2E_SYSTEM_BROWSERS: fakeBrowser })).toEqual([
      fakeBrowser,
    ]);
  });
});

describe('a machine without any browser, faked through the environment', () => {
  // What the fixture runs, in a fresh process with Playwright's real lookup.
  function lookUp(env: NodeJS.ProcessEnv): Promise<{ code: number; out: string; err: string }> {
    const script =
      "import { findBrowser } from './test/e2e/support/find-browser.ts';" +
      'try { console.log(findBrowser().path); } catch (e) { console.error(e.message); process.exit(1); }';
    return new Promise((done) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { cwd: ROOT, env, timeout: 60_000 },
        (error, out, err) => done({ code: error === null ? 0 : Number(error.code), out, err }),
      );
    });
  }

  it('fails with the sentence when none of the three is there', async () => {
    const browsers = join(dir, 'empty-playwright-browsers');
    await mkdir(browsers, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PLAYWRIGHT_BROWSERS_PATH: browsers,
      E2E_SYSTEM_BROWSERS: '',
    };
    delete env['E2E_CHROMIUM'];
    const none = await lookUp(env);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(
      new RegExp(
        `^No browser for the UI tests: ${escape(THREE_WAYS)}; looked for ${escape(browsers)}\\S+\\.\\n$`,
      ),
    );

    const wrong = await lookUp({ ...env, E2E_CHROMIUM: missing });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toBe(
      `No browser for the UI tests: E2E_CHROMIUM points to ${missing}, which does not exist; ` +
        `${THREE_WAYS}.\n`,
    );

    const system = await lookUp({ ...env, E2E_SYSTEM_BROWSERS: fakeBrowser });
    expect(system).toEqual({ code: 0, out: `${fakeBrowser}\n`, err: '' });
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
