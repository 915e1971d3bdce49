#!/usr/bin/env node
// `npm start` runs this before `electron-vite preview`. Without Electron's binary, electron-vite
// builds for several seconds and then dies with "Error: Electron uninstall" and a stack trace,
// which tells a newcomer neither why nor what to do. This looks for the binary exactly where
// electron-vite will (ELECTRON_EXEC_PATH, else node_modules/electron/path.txt → dist/) without
// importing Electron, and explains the situation in one paragraph when it is not there.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import process from 'node:process';

const CLI_EXAMPLE =
  'npx purchase-import check samples/sample-purchases.csv --merchant cc3fb887-f21f-442f-83af-ac6dd43f7b1a';

/**
 * What is wrong with Electron's executable, or null when it is there. Mirrors electron-vite's
 * getElectronPath, plus a check that the file really exists (a download that was cut off can
 * leave path.txt without dist/).
 */
function electronProblem(env) {
  const override = env.ELECTRON_EXEC_PATH;
  if (override) {
    if (existsSync(override)) return null;
    return [
      `ELECTRON_EXEC_PATH points to ${override}, which does not exist. Point it to an Electron`,
      'executable, or unset it to use the binary in node_modules/electron (if that one is missing',
      'too, fetch it with `node node_modules/electron/install.js` on a machine that can reach',
      'github.com).',
    ].join(' ');
  }
  let packageDir;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron'));
  } catch {
    return 'the electron package is not installed: run `npm ci` first.';
  }
  const dist = join(packageDir, 'dist');
  const pathFile = join(packageDir, 'path.txt');
  const binary = existsSync(pathFile) ? join(dist, readFileSync(pathFile, 'utf8').trim()) : null;
  if (binary !== null && existsSync(binary)) return null;
  return [
    `Electron's binary is not installed (${relative(process.cwd(), binary ?? dist) || dist} is missing).`,
    "Electron's package downloads it from GitHub when `npm ci` runs, and that download failed or",
    'was skipped (ELECTRON_SKIP_BINARY_DOWNLOAD=1, or no access to github.com): fetch it with',
    '`node node_modules/electron/install.js` (ELECTRON_SKIP_BINARY_DOWNLOAD unset) on a machine',
    'that can reach github.com or an ELECTRON_MIRROR, then run `npm start` again.',
  ].join(' ');
}

/** Breaks prose into lines of at most `width` characters, at spaces outside `code`. */
function wrap(text, width) {
  const lines = [];
  let line = '';
  for (const word of text.match(/(?:`[^`]*`|\S)+/g) ?? []) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

const problem = electronProblem(process.env);
if (problem !== null) {
  const prose = [
    `npm start cannot open the desktop app: ${problem}`,
    'Meanwhile everything but the window works here, on the same sandbox database; for example',
    'the command line (see "The command line" in README.md):',
  ].join(' ');
  process.stderr.write(`${wrap(prose, 96)}\n  ${CLI_EXAMPLE}\n`);
  process.exitCode = 1;
}
