import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileHandleSchema } from '../../../../shared/ipc/contract';
import {
  createFileGrants,
  RECENT_LIMIT,
  RefusedFileError,
  UnknownFileError,
  type RecentFilesStore,
} from './file-grants';

let root: string;
let dataDir: string;
let recents: string[];
const store: RecentFilesStore = {
  read: async () => recents,
  write: async (paths) => {
    recents = paths;
  },
};

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'file-grants-'));
  dataDir = join(root, 'data');
  await mkdir(join(dataDir, 'settings', 'secrets'), { recursive: true });
  await mkdir(join(dataDir, 'sandbox'), { recursive: true });
  await writeFile(join(dataDir, 'settings', 'secrets', 'p.bin'), 'secret');
  await writeFile(join(dataDir, 'sandbox', 'sandbox.json'), '{"password":"x"}');
  await writeFile(join(root, 'a.csv'), 'a\n');
  await writeFile(join(root, 'b.csv'), 'b\n');
  await symlink(join(dataDir, 'sandbox', 'sandbox.json'), join(root, 'innocent.csv'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('file grants', () => {
  it('issues unguessable handles that match the contract and resolve to the chosen file', async () => {
    recents = [];
    const grants = createFileGrants({ dataDir, recents: store });
    const a = await grants.grant(join(root, 'a.csv'), 'dialog');
    expect(fileHandleSchema.safeParse(a.handle).success).toBe(true);
    expect(a.name).toBe('a.csv');
    expect(grants.resolve(a.handle)).toMatch(/a\.csv$/);
    // The same file keeps its handle; another file gets another one.
    expect((await grants.grant(join(root, 'a.csv'), 'drop')).handle).toBe(a.handle);
    expect((await grants.grant(join(root, 'b.csv'), 'drop')).handle).not.toBe(a.handle);
  });

  it('refuses handles it did not issue, paths and prototype keys among them', async () => {
    const grants = createFileGrants({ dataDir, recents: store });
    await grants.grant(join(root, 'a.csv'), 'dialog');
    const other = createFileGrants({ dataDir, recents: store });
    const foreign = await other.grant(join(root, 'a.csv'), 'dialog');
    for (const forged of [
      foreign.handle,
      'A'.repeat(32),
      '/etc/passwd',
      join(root, 'a.csv'),
      '__proto__',
      'constructor',
      '',
    ]) {
      expect(() => grants.resolve(forged), forged).toThrow(UnknownFileError);
    }
  });

  it("refuses the app's secrets and sandbox (also through a symlink), folders and missing files", async () => {
    const grants = createFileGrants({ dataDir, recents: store });
    for (const path of [
      join(dataDir, 'settings', 'secrets', 'p.bin'),
      join(dataDir, 'sandbox', 'sandbox.json'),
      join(root, 'innocent.csv'),
      root,
      join(root, 'missing.csv'),
      'relative.csv',
    ]) {
      await expect(grants.grant(path, 'drop'), path).rejects.toThrow(RefusedFileError);
    }
  });

  it('keeps a recent list of opened files, newest first, without duplicates or missing files', async () => {
    recents = [];
    const grants = createFileGrants({ dataDir, recents: store });
    const a = await grants.grant(join(root, 'a.csv'), 'dialog');
    const b = await grants.grant(join(root, 'b.csv'), 'dialog');
    await grants.remember(a.handle);
    await grants.remember(b.handle);
    await grants.remember(a.handle);
    expect((await grants.recent()).map((f) => f.name)).toEqual(['a.csv', 'b.csv']);
    // A new run (new grants) issues handles for the recent files from main's own list.
    recents = [...recents, join(root, 'gone.csv'), join(dataDir, 'sandbox', 'sandbox.json')];
    const next = createFileGrants({ dataDir, recents: store });
    const listed = await next.recent();
    expect(listed.map((f) => f.name)).toEqual(['a.csv', 'b.csv']);
    expect(next.resolve(listed[0]?.handle ?? '')).toMatch(/a\.csv$/);
    expect(RECENT_LIMIT).toBeGreaterThan(1);
  });
});
