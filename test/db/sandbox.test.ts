import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { DEMO_MERCHANTS } from '../../electron/core/sandbox/demo-data';
import { openSandbox, type Sandbox } from '../../electron/core/sandbox/sandbox';

// The built-in sandbox: created on first open in the data folder, reused when already running,
// restarted with its data when stopped.

const opened: Sandbox[] = [];
let dataDir = '';

afterAll(async () => {
  for (const sandbox of opened.reverse()) await sandbox.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

async function merchantNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>(
      'select name from public.merchants order by name',
    );
    return result.rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

describe('openSandbox', () => {
  it('creates, seeds, reuses and restarts the local database', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'purchase-import-sandbox-'));
    const first = await openSandbox(dataDir);
    opened.push(first);
    expect(first.startedHere).toBe(true);
    expect(first.url).toMatch(/^postgresql:\/\/postgres:.+@127\.0\.0\.1:\d+\/postgres$/);
    expect(await merchantNames(first.url)).toEqual(DEMO_MERCHANTS.map((m) => m.name).sort());
    const config = await stat(join(dataDir, 'sandbox', 'sandbox.json'));
    expect(config.mode & 0o077).toBe(0); // the local password is readable by its owner only

    // A second front door (the CLI while the app runs) finds it running and leaves it running.
    const second = await openSandbox(dataDir);
    expect(second.startedHere).toBe(false);
    expect(second.url).toBe(first.url);
    await second.stop();
    expect(await merchantNames(first.url)).toHaveLength(DEMO_MERCHANTS.length);

    await first.stop();
    opened.pop();
    const third = await openSandbox(dataDir);
    opened.push(third);
    expect(third.startedHere).toBe(true);
    expect(await merchantNames(third.url)).toHaveLength(DEMO_MERCHANTS.length);
  });
});
