import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBundle, fromSourceRequested, MANIFEST_PATH } from '../bin/cli-bundle.mjs';
import { buildCli } from './build-cli.mjs';

// The precompiled CLI and its freshness check, on a miniature copy of the repository: the real
// bin, cli-bundle.mjs and build-cli.mjs next to stand-in sources whose output says whether the
// bundle (out/cli/main.js) or the TypeScript source (through tsx) ran.

const ROOT = resolve(import.meta.dirname, '..');

let tree: string;

async function put(path: string, contents: string): Promise<void> {
  await mkdir(dirname(join(tree, path)), { recursive: true });
  await writeFile(join(tree, path), contents);
}

/** Moves a file's mtime forward, as saving it in an editor does. */
async function touch(path: string, seconds = 5): Promise<void> {
  const { mtimeMs } = await stat(join(tree, path));
  const later = new Date(mtimeMs + seconds * 1000);
  await utimes(join(tree, path), later, later);
}

function runBin(env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      process.execPath,
      [join(tree, 'bin/purchase-import.mjs'), '--help'],
      { env: { ...process.env, PURCHASE_IMPORT_FROM_SOURCE: '', ...env } },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`${error.message}\n${stderr}`));
        else resolvePromise(stdout.trim());
      },
    );
  });
}

/** The bundled command's code runs from out/cli (main.js or the chunk it loads). */
const BUNDLED = /\/out\/cli\/[\w-]+\.js$/;

const build = () => buildCli({ root: tree, log: () => undefined });

beforeAll(async () => {
  tree = await mkdtemp(join(tmpdir(), 'build-cli-'));
  for (const file of ['bin/purchase-import.mjs', 'bin/cli-bundle.mjs', 'build/build-cli.mjs']) {
    await mkdir(dirname(join(tree, file)), { recursive: true });
    await copyFile(join(ROOT, file), join(tree, file));
  }
  // A junction on Windows (no privilege needed), a plain symlink elsewhere.
  await symlink(join(ROOT, 'node_modules'), join(tree, 'node_modules'), 'junction');
  await put('package.json', '{ "type": "module" }\n');
  // Prints which file is running: electron/cli/main.ts (tsx) or a file of out/cli (bundle).
  await put(
    'electron/cli/main.ts',
    "import { label } from './label';\nconsole.log(label(new URL(import.meta.url).pathname));\n",
  );
  await put('electron/cli/label.ts', 'export const label = (path: string): string => path;\n');
  await put('electron/core/parse/parse-worker.ts', 'export const worker: number = 1;\n');
  // The real entry starts the parse worker first; the stand-in only loads the command.
  await put('build/cli-entry.ts', "await import('../electron/cli/main');\n");
});

afterAll(async () => {
  await rm(tree, { recursive: true, force: true });
});

describe('the purchase-import bin', () => {
  it('runs the sources through tsx while there is no bundle', async () => {
    expect(checkBundle(tree)).toEqual({ fresh: false, reason: `no readable ${MANIFEST_PATH}` });
    expect(await runBin()).toMatch(/\/electron\/cli\/main\.ts$/);
  });

  it('runs the bundle once it is built from the sources as they are', async () => {
    const built = await build();
    expect(built).toMatchObject({ built: true, files: 6 });
    expect(checkBundle(tree)).toMatchObject({ fresh: true });
    expect(await runBin()).toMatch(BUNDLED);
  });

  it('falls back to the sources when the entry or a file it imports is newer than the bundle', async () => {
    await build();
    await touch('electron/cli/main.ts');
    expect(checkBundle(tree)).toEqual({
      fresh: false,
      reason: 'electron/cli/main.ts changed since the bundle was built',
    });
    expect(await runBin()).toMatch(/\/electron\/cli\/main\.ts$/);

    await build();
    expect(await runBin()).toMatch(BUNDLED);
    await touch('electron/cli/label.ts');
    expect(await runBin()).toMatch(/\/electron\/cli\/main\.ts$/);
  });

  it('falls back when a source changes size under the same mtime, or is gone', async () => {
    await build();
    const path = join(tree, 'electron/cli/label.ts');
    const before = await stat(path);
    await writeFile(path, 'export const label = (path: string): string => `${path}`;\n');
    await utimes(path, before.atime, before.mtime);
    expect(checkBundle(tree)).toMatchObject({ fresh: false });

    await build();
    await rm(join(tree, 'electron/core/parse/parse-worker.ts'));
    expect(checkBundle(tree)).toEqual({
      fresh: false,
      reason: 'electron/core/parse/parse-worker.ts is gone',
    });
    await put('electron/core/parse/parse-worker.ts', 'export const worker: number = 1;\n');
  });

  it('falls back when the bundle itself was changed or removed', async () => {
    await build();
    await touch('out/cli/main.js');
    expect(checkBundle(tree)).toEqual({
      fresh: false,
      reason: 'out/cli/main.js changed since the bundle was built',
    });
    await build();
    await rm(join(tree, 'out/cli/parse-worker.js'));
    expect(checkBundle(tree)).toMatchObject({ fresh: false });
  });

  it('falls back on a manifest it does not understand', async () => {
    await build();
    await writeFile(join(tree, MANIFEST_PATH), '{"version":1,"entry":"out/cli/main.js"');
    expect(checkBundle(tree)).toMatchObject({ fresh: false });
    await writeFile(
      join(tree, MANIFEST_PATH),
      JSON.stringify({ version: 99, entry: 'out/cli/main.js', files: [{ path: 'x' }] }),
    );
    expect(checkBundle(tree)).toMatchObject({ fresh: false });
    await writeFile(
      join(tree, MANIFEST_PATH),
      JSON.stringify({ version: 1, entry: 'out/cli/main.js', files: [] }),
    );
    expect(checkBundle(tree)).toMatchObject({ fresh: false });
  });

  it('runs the sources when PURCHASE_IMPORT_FROM_SOURCE asks for them', async () => {
    await build();
    expect(await runBin({ PURCHASE_IMPORT_FROM_SOURCE: '1' })).toMatch(
      /\/electron\/cli\/main\.ts$/,
    );
    expect(await runBin({ PURCHASE_IMPORT_FROM_SOURCE: '0' })).toMatch(BUNDLED);
    expect(fromSourceRequested({ PURCHASE_IMPORT_FROM_SOURCE: 'yes' })).toBe(true);
    expect(fromSourceRequested({ PURCHASE_IMPORT_FROM_SOURCE: '' })).toBe(false);
    expect(fromSourceRequested({})).toBe(false);
  });
});

describe('build-cli', () => {
  it('leaves the command on its sources, without failing the install, when esbuild is absent', async () => {
    // npm ci --omit=dev: prepare still runs, esbuild is not there (tsx, a dependency, is).
    const bare = await mkdtemp(join(tmpdir(), 'build-cli-bare-'));
    try {
      for (const file of ['bin/cli-bundle.mjs', 'build/build-cli.mjs']) {
        await mkdir(dirname(join(bare, file)), { recursive: true });
        await copyFile(join(ROOT, file), join(bare, file));
      }
      await writeFile(join(bare, 'package.json'), '{ "type": "module" }\n');
      const output = await new Promise<string>((resolvePromise, reject) => {
        execFile(process.execPath, [join(bare, 'build/build-cli.mjs')], (error, stdout) =>
          error ? reject(error) : resolvePromise(stdout),
        );
      });
      expect(output).toContain('esbuild is not installed');
      expect(checkBundle(bare)).toMatchObject({ fresh: false });
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });

  it("bundles node-postgres without its Cloudflare sniff loading Node's fetch", async () => {
    // pg picks its sockets as it loads; unpatched, on Node 20, that constructs a fetch Response.
    const main = join(tree, 'electron/cli/main.ts');
    const label = await stat(main);
    await put(
      'electron/cli/main.ts',
      "import net from 'node:net';\nimport pg from 'pg';\n" +
        'const client = new pg.Client();\n' +
        'const undici = process.moduleLoadList.some((m) => m.includes("undici"));\n' +
        'const socket = client.connection.stream instanceof net.Socket;\n' +
        'console.log(JSON.stringify({ undici, socket }));\n',
    );
    try {
      await build();
      expect(JSON.parse(await runBin())).toEqual({ undici: false, socket: true });
    } finally {
      await put(
        'electron/cli/main.ts',
        "import { label } from './label';\nconsole.log(label(new URL(import.meta.url).pathname));\n",
      );
      await utimes(main, label.atime, label.mtime);
    }
  });

  it('refuses to bundle a CLI that imports electron', async () => {
    await put(
      'electron/cli/label.ts',
      "import 'electron';\nexport const label = (p: string) => p;\n",
    );
    await expect(build()).rejects.toThrow(/imports electron/);
    expect(checkBundle(tree)).toMatchObject({ fresh: false });
    await put('electron/cli/label.ts', 'export const label = (path: string): string => path;\n');
  });
});
