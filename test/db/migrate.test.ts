import { randomBytes } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../electron/main/services/db/migrate';

// Each case migrates a database of its own: re-applying DDL to the shared test database would
// take locks the other test files are working under.

const sqlDir = join(dirname(fileURLToPath(import.meta.url)), '../../sql');
const created: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `migrate_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  try {
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
  created.push(name);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

async function allFiles(): Promise<string[]> {
  const reference = (await readdir(join(sqlDir, 'reference'))).filter((f) => f.endsWith('.sql'));
  const migrations = (await readdir(join(sqlDir, 'migrations'))).filter((f) => f.endsWith('.sql'));
  return [
    ...reference.sort().map((f) => `reference/${f}`),
    ...migrations.sort().map((f) => `migrations/${f}`),
  ];
}

async function recorded(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ name: string }>(
      'select name from public.import_schema_migrations order by name',
    );
    return result.rows.map((row) => row.name);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  try {
    for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
  } finally {
    await admin.end();
  }
});

describe('migrate', () => {
  it('applies every file once; a second run is a no-op', async () => {
    const url = await freshDatabase();
    const expected = await allFiles();
    const lines: string[] = [];
    const first = await migrate(url, {
      withReferenceSchema: true,
      log: (line) => lines.push(line),
    });
    expect(first.applied).toEqual(expected);
    expect(await recorded(url)).toEqual([...expected].sort());
    const second = await migrate(url, { withReferenceSchema: true });
    expect(second.applied).toEqual([]);
    expect(lines.some((line) => line.includes(url))).toBe(false);
  });

  it('re-applies a changed file and every file after it, and every file is safe to run again', async () => {
    const url = await freshDatabase();
    const copy = await mkdtemp(join(tmpdir(), 'purchase-import-sql-'));
    try {
      await cp(sqlDir, copy, { recursive: true });
      await migrate(url, { withReferenceSchema: true, sqlDir: copy });
      await appendFile(join(copy, 'migrations', '0003_access_check.sql'), '\n-- touched\n');
      const changed = await migrate(url, { withReferenceSchema: true, sqlDir: copy });
      const all = await allFiles();
      expect(changed.applied).toEqual(all.slice(all.indexOf('migrations/0003_access_check.sql')));
      // 0003's permissive access check must not outlive the authorization that replaces it.
      const client0 = new pg.Client({ connectionString: url });
      await client0.connect();
      const source = await client0.query<{ src: string }>(
        "select prosrc as src from pg_proc where proname = 'import_assert_access'",
      );
      await client0.end();
      expect(source.rows[0]?.src).not.toContain('Intentionally permissive');

      // Forget the bookkeeping: everything runs again over the existing schema without error.
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('delete from public.import_schema_migrations');
      await client.end();
      const again = await migrate(url, { withReferenceSchema: true, sqlDir: copy });
      expect(again.applied).toEqual(await allFiles());
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  });

  it('lets two migrators race without interleaving', async () => {
    const url = await freshDatabase();
    const [a, b] = await Promise.all([
      migrate(url, { withReferenceSchema: true }),
      migrate(url, { withReferenceSchema: true }),
    ]);
    const all = await allFiles();
    expect([...a.applied, ...b.applied].sort()).toEqual([...all].sort());
    expect([a.applied.length, b.applied.length].sort()).toEqual([0, all.length]);
  });

  it('applies only the migrations to a database that already has the CRM tables', async () => {
    const url = await freshDatabase();
    await migrate(url, { withReferenceSchema: true });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('delete from public.import_schema_migrations');
    await client.end();
    const result = await migrate(url, { withReferenceSchema: false });
    expect(result.applied.every((name) => name.startsWith('migrations/'))).toBe(true);
    expect(result.applied.length).toBeGreaterThan(0);
  });

  it('names the failing file and never the connection string', async () => {
    const url = await freshDatabase();
    // Without the CRM tables the first migration cannot reference merchants.
    const error = await migrate(url, { withReferenceSchema: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('migrations/0001_bulk_import_batches.sql failed');
    expect(message).not.toContain(new URL(url).password);
    expect(await recorded(url)).toEqual([]);
  });
});
