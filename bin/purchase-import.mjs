#!/usr/bin/env node
// The purchase-import command. Runs the precompiled bundle (out/cli, written by
// build/build-cli.mjs at `npm ci`/`npm install` through the prepare script, and by `npm run
// build`) when it was built from the sources as they are now; otherwise, or when
// PURCHASE_IMPORT_FROM_SOURCE=1, runs the TypeScript sources through tsx (about a second more
// start-up, but never stale code). See cli-bundle.mjs for the freshness check.
import { fileURLToPath, URL } from 'node:url';
import { checkBundle, fromSourceRequested } from './cli-bundle.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const bundle = fromSourceRequested(process.env) ? null : checkBundle(root);

if (bundle?.fresh) {
  await import(bundle.entry.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../electron/cli/main.ts');
}
