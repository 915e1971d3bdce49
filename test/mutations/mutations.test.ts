import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MUTATIONS } from './mutations';

// The mutation runner is slow and run by hand; a refactor that moves the code a mutation names
// would otherwise go unnoticed until someone runs it (two entries drifted this way once).
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the mutation catalogue still applies to the code', () => {
  it.each(MUTATIONS.map((m) => [m.id, m] as const))('%s', (_id, mutation) => {
    const text = readFileSync(join(ROOT, mutation.file), 'utf8');
    expect(text.split(mutation.find).length - 1, `${mutation.file} holds its text once`).toBe(1);
    for (const file of [...mutation.unit, ...mutation.db]) {
      expect(existsSync(join(ROOT, file)), `${file} exists`).toBe(true);
    }
  });
});
