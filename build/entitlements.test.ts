import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The macOS hardened runtime's exceptions, kept to what the app needs: JIT for V8, and network
// access (the database connection; the sandbox's PostgreSQL on 127.0.0.1). Library validation
// stays on: the sandbox's postgres binaries and libraries are inside the bundle and signed with
// the app's identity at packaging, so they load without disable-library-validation.

const ALLOWED = [
  'com.apple.security.cs.allow-jit',
  'com.apple.security.network.client',
  'com.apple.security.network.server',
];

async function entitlements(): Promise<Map<string, string>> {
  const plist = await readFile(join(import.meta.dirname, 'entitlements.mac.plist'), 'utf8');
  const withoutComments = plist.replace(/<!--[\s\S]*?-->/g, '');
  const found = new Map<string, string>();
  for (const match of withoutComments.matchAll(/<key>([^<]+)<\/key>\s*<(true|false)\s*\/>/g)) {
    found.set(match[1] ?? '', match[2] ?? '');
  }
  return found;
}

describe('macOS entitlements', () => {
  it('grant only JIT and network access; library validation stays on', async () => {
    const found = await entitlements();
    expect([...found.keys()].sort()).toEqual(ALLOWED);
    expect([...found.values()].every((v) => v === 'true')).toBe(true);
    expect(found.has('com.apple.security.cs.disable-library-validation')).toBe(false);
    expect(found.has('com.apple.security.cs.allow-unsigned-executable-memory')).toBe(false);
    expect(found.has('com.apple.security.cs.allow-dyld-environment-variables')).toBe(false);
  });

  it('are the ones electron-builder signs the app and its helpers with', async () => {
    const config = await readFile(join(import.meta.dirname, '..', 'electron-builder.yml'), 'utf8');
    expect(config).toMatch(/^\s*hardenedRuntime: true$/m);
    expect(config).toMatch(/^\s*entitlements: build\/entitlements\.mac\.plist$/m);
    expect(config).toMatch(/^\s*entitlementsInherit: build\/entitlements\.mac\.plist$/m);
  });
});
