import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_MERCHANT } from '../electron/core/sandbox/demo-data';

// `npm start` without Electron's binary: the check runs in a child process, with the binary
// made absent through the environment (ELECTRON_EXEC_PATH, which electron-vite honours) or
// through a copy of the script next to a stand-in node_modules/electron.

const ROOT = resolve(import.meta.dirname, '..');
const SCRIPT = join(ROOT, 'build', 'check-electron.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Promise<Run> {
  return new Promise((done) => {
    execFile(command, args, { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      // Paths as on POSIX, so the expectations (and the README's copy) hold on Windows too.
      done({ code, stdout, stderr: stderr.replaceAll('\\', '/') });
    });
  });
}

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const name of names) delete env[name];
  return env;
}

/** The paragraph's promises: why, how to fetch, what works meanwhile (an exact command). */
function expectParagraph(output: string): void {
  const prose = output.replace(/\s+/g, ' ');
  expect(output).toMatch(/^npm start cannot open the desktop app: /);
  expect(prose).toContain('fetch it with `node node_modules/electron/install.js`');
  expect(prose).toContain('Meanwhile everything but the window works here');
  expect(output).toContain(
    `\n  npx purchase-import check samples/sample-purchases.csv --merchant ${DEMO_MERCHANT.id}\n`,
  );
  expect(output).not.toMatch(/^\s+at /m); // no stack trace
  expect(output).not.toContain('Error');
}

describe('npm start without the Electron binary', () => {
  let dir: string;
  const missing = join(tmpdir(), 'no-such-electron-binary', 'electron');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'check-electron-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A copy of the script beside a stand-in electron package: path.txt and dist/ as given. */
  async function standIn(name: string, files: Record<string, string>): Promise<string> {
    const root = join(dir, name);
    const electron = join(root, 'node_modules', 'electron');
    await mkdir(join(electron, 'dist'), { recursive: true });
    await mkdir(join(root, 'build'), { recursive: true });
    await writeFile(join(electron, 'package.json'), '{"name":"electron","main":"index.js"}');
    await writeFile(join(electron, 'index.js'), 'module.exports = "";');
    for (const [path, text] of Object.entries(files)) await writeFile(join(electron, path), text);
    await copyFile(SCRIPT, join(root, 'build', 'check-electron.mjs'));
    return root;
  }

  it('prints the paragraph and exits 1 when the download was skipped (no path.txt)', async () => {
    const root = await standIn('skipped', {});
    const result = await run(
      process.execPath,
      ['build/check-electron.mjs'],
      envWithout('ELECTRON_EXEC_PATH'),
      root,
    );
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expectParagraph(result.stderr);
    expect(result.stderr.replace(/\s+/g, ' ')).toContain(
      "Electron's binary is not installed (node_modules/electron/dist is missing). Electron's" +
        ' package downloads it from GitHub when `npm ci` runs, and that download failed or was' +
        ' skipped',
    );
    // The README shows this paragraph as printed.
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(`\n\`\`\`text\n${result.stderr}\`\`\`\n`);
  });

  it('prints the paragraph when path.txt names a binary that is not there', async () => {
    const root = await standIn('cut-off', { 'path.txt': 'electron' });
    const result = await run(
      process.execPath,
      ['build/check-electron.mjs'],
      envWithout('ELECTRON_EXEC_PATH'),
      root,
    );
    expect(result.code).toBe(1);
    expectParagraph(result.stderr);
    expect(result.stderr).toContain('node_modules/electron/dist/electron is missing');
  });

  it('passes silently when the binary is where path.txt says', async () => {
    const root = await standIn('installed', { 'path.txt': 'electron', 'dist/electron': '' });
    const result = await run(
      process.execPath,
      ['build/check-electron.mjs'],
      envWithout('ELECTRON_EXEC_PATH'),
      root,
    );
    expect(result).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('follows ELECTRON_EXEC_PATH as electron-vite does', async () => {
    const absent = await run(process.execPath, [SCRIPT], {
      ...process.env,
      ELECTRON_EXEC_PATH: missing,
    });
    expect(absent.code).toBe(1);
    expectParagraph(absent.stderr);
    expect(absent.stderr.replace(/\s+/g, ' ')).toContain(
      `ELECTRON_EXEC_PATH points to ${missing.replaceAll('\\', '/')}, which does not exist.`,
    );

    const present = await run(process.execPath, [SCRIPT], {
      ...process.env,
      ELECTRON_EXEC_PATH: process.execPath,
    });
    expect(present).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('`npm start` stops at the check: the paragraph, a non-zero exit, no build', async () => {
    // npm_execpath is npm's own script when the tests run under npm or npx (also on Windows,
    // where `npm` is a .cmd file that execFile cannot start).
    const npm = process.env['npm_execpath'];
    const [command, args] = npm
      ? [process.execPath, [npm, 'start', '--silent']]
      : ['npm', ['start', '--silent']];
    const result = await run(command, args, {
      ...process.env,
      ELECTRON_EXEC_PATH: missing,
    });
    expect(result.code).not.toBe(0);
    expectParagraph(result.stderr);
    expect(result.stdout).not.toContain('vite');
    expect(result.stderr).not.toContain('Electron uninstall');
  });

  it('names a command that exists: the sample file and the demo merchant', () => {
    expect(existsSync(join(ROOT, 'samples', 'sample-purchases.csv'))).toBe(true);
    expect(DEMO_MERCHANT.id).toBe('cc3fb887-f21f-442f-83af-ac6dd43f7b1a');
  });
});
