import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// Where the precompiled CLI lives and how the command decides whether it may run it.
// build/build-cli.mjs writes the bundle and, last, a manifest naming every source file that went
// into it with the size and modification time it had when it was bundled. The bundle is used
// only if every one of those files (and the bundle's own files) is still exactly as recorded:
// a developer who edits, adds an import to, or checks out a different version of a source file
// changes its mtime, so the command falls back to running the sources through tsx instead of
// stale code. Plain synchronous fs and no zod on purpose: this runs on every start-up and costs
// about a millisecond (see test/bench/cli-bench.ts).

/** The bundle's folder, relative to the repository root. */
export const BUNDLE_DIR = 'out/cli';
/** The manifest's path, relative to the repository root. */
export const MANIFEST_PATH = `${BUNDLE_DIR}/manifest.json`;
export const MANIFEST_VERSION = 1;
/** Set to anything but "" or "0" to run the sources through tsx whatever the bundle's state. */
export const FROM_SOURCE_ENV = 'PURCHASE_IMPORT_FROM_SOURCE';

/**
 * The file URL of the bundle's entry when it may be run, or the reason it may not.
 * @param {string} root absolute path of the repository root
 * @returns {{ fresh: true, entry: URL } | { fresh: false, reason: string }}
 */
export function checkBundle(root) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, MANIFEST_PATH), 'utf8'));
  } catch {
    return { fresh: false, reason: `no readable ${MANIFEST_PATH}` };
  }
  if (
    manifest === null ||
    typeof manifest !== 'object' ||
    manifest.version !== MANIFEST_VERSION ||
    typeof manifest.entry !== 'string' ||
    !Array.isArray(manifest.files) ||
    manifest.files.length === 0
  ) {
    return { fresh: false, reason: `${MANIFEST_PATH} is not a manifest this command understands` };
  }
  for (const file of manifest.files) {
    if (file === null || typeof file !== 'object' || typeof file.path !== 'string') {
      return { fresh: false, reason: `${MANIFEST_PATH} has a malformed entry` };
    }
    const stats = statSync(join(root, file.path), { throwIfNoEntry: false });
    if (!stats) return { fresh: false, reason: `${file.path} is gone` };
    if (stats.mtimeMs !== file.mtimeMs || stats.size !== file.size) {
      return { fresh: false, reason: `${file.path} changed since the bundle was built` };
    }
  }
  return { fresh: true, entry: pathToFileURL(join(root, manifest.entry)) };
}

/**
 * True when the environment asks for the sources.
 * @param {NodeJS.ProcessEnv} env
 */
export function fromSourceRequested(env) {
  const value = env[FROM_SOURCE_ENV];
  return value !== undefined && value !== '' && value !== '0';
}
