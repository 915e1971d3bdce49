import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium } from '@playwright/test';

// Which Chromium the UI tests drive (project `chromium`), first found wins:
// 1. E2E_CHROMIUM, when set (a wrong path is an error, not a reason to quietly use another one);
// 2. Playwright's own Chromium (`npx playwright install chromium`, the usual way on a laptop);
// 3. a system Chromium or Google Chrome at its standard place (Debian's /usr/bin/chromium is what
//    .ci/run installs, as Playwright's download host is out of reach there).
// E2E_SYSTEM_BROWSERS replaces the list of standard places (entries separated by the platform's
// path delimiter; empty: look nowhere), so a test can fake a machine without any browser.

export type BrowserSource = 'E2E_CHROMIUM' | 'playwright' | 'system';

export interface FoundBrowser {
  path: string;
  source: BrowserSource;
}

export interface BrowserSearch {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Where Playwright's Chromium is (or would be) installed; Playwright's own answer by default. */
  playwrightChromium?: () => string;
}

const HOW_TO_GET_ONE =
  'set E2E_CHROMIUM to a Chromium or Chrome executable, run `npx playwright install chromium`, ' +
  'or install Chromium or Google Chrome system-wide (on Debian: `sudo apt-get install chromium`)';

/** The standard install locations of Chromium and Google Chrome on this platform. */
export function systemBrowserPaths(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const override = env['E2E_SYSTEM_BROWSERS'];
  if (override !== undefined) return override.split(delimiter).filter((path) => path !== '');
  switch (platform) {
    case 'darwin':
      return [
        '/Applications/Chromium.app/Contents/MacOS/Chromium',
        '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
      ];
    case 'win32':
      return [env['PROGRAMFILES'], env['PROGRAMFILES(X86)'], env['LOCALAPPDATA']]
        .filter((dir): dir is string => dir !== undefined && dir !== '')
        .flatMap((dir) => [
          join(dir, 'Google', 'Chrome', 'Application', 'chrome.exe'),
          join(dir, 'Chromium', 'Application', 'chrome.exe'),
        ]);
    default:
      return [
        '/usr/bin/chromium',
        '/usr/bin/chromium-browser',
        '/snap/bin/chromium',
        '/usr/bin/google-chrome',
        '/usr/bin/google-chrome-stable',
      ];
  }
}

/** The browser for the UI tests, or an Error whose message says the three ways to get one. */
export function findBrowser(search: BrowserSearch = {}): FoundBrowser {
  const env = search.env ?? process.env;
  const explicit = env['E2E_CHROMIUM'];
  if (explicit !== undefined && explicit !== '') {
    if (existsSync(explicit)) return { path: explicit, source: 'E2E_CHROMIUM' };
    throw new Error(
      `No browser for the UI tests: E2E_CHROMIUM points to ${explicit}, which does not exist; ` +
        `${HOW_TO_GET_ONE}.`,
    );
  }
  const playwright = playwrightPath(search.playwrightChromium);
  if (playwright !== null && existsSync(playwright))
    return { path: playwright, source: 'playwright' };
  const system = systemBrowserPaths(search.platform, env);
  const found = system.find((path) => existsSync(path));
  if (found !== undefined) return { path: found, source: 'system' };
  const looked = [...(playwright === null ? [] : [playwright]), ...system];
  throw new Error(
    `No browser for the UI tests: ${HOW_TO_GET_ONE}` +
      (looked.length > 0 ? `; looked for ${looked.join(', ')}.` : '.'),
  );
}

function playwrightPath(lookup: () => string = () => chromium.executablePath()): string | null {
  try {
    return lookup();
  } catch {
    // Playwright throws on platforms it has no Chromium build for: nothing to find there.
    return null;
  }
}
