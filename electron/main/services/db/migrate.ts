import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describeConnectionError, redactSecrets } from './pg-transport';

// Applies the SQL in sql/reference (the CRM tables, for sandboxes and tests only) and
// sql/migrations, in file-name order, each file in its own transaction. The files are idempotent;
// the bookkeeping table only spares re-running unchanged files and records what ran when.

export interface MigrateOptions {
  /** Also create the reference CRM tables (never against a production CRM). */
  withReferenceSchema: boolean;
  log?: (line: string) => void;
  /** Folder holding reference/ and migrations/; defaults to the repository's sql/ folder. */
  sqlDir?: string;
}

export interface MigrateResult {
  /** Files applied by this run, e.g. 'migrations/0002_staging.sql'; empty when up to date. */
  applied: string[];
}

interface SqlFile {
  name: string;
  text: string;
  checksum: string;
}

// Any constant works as long as every migrator uses the same one.
const MIGRATION_LOCK_KEY = '7305820117404617001';
const FILE_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;

export async function migrate(
  connectionString: string,
  options: MigrateOptions,
): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const sqlDir = options.sqlDir ?? (await findSqlDir());
  const files = [
    ...(options.withReferenceSchema ? await readSqlFiles(sqlDir, 'reference') : []),
    ...(await readSqlFiles(sqlDir, 'migrations')),
  ];

  const client = new pg.Client({ connectionString, application_name: 'purchase-import migrate' });
  // A dropped connection must fail the run, not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`migrate: cannot connect: ${describeConnectionError(error, connectionString)}`);
  }
  const applied: string[] = [];
  try {
    // Session-level lock: a second migrator waits, then finds everything applied.
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(`
      create table if not exists public.import_schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
    const known = new Map(
      (
        await client.query<{ name: string; checksum: string }>(
          'select name, checksum from public.import_schema_migrations',
        )
      ).rows.map((row) => [row.name, row.checksum]),
    );
    // Later files may replace functions that earlier ones define (0012 redefines 0003's access
    // check): once one file is re-applied, every file after it runs again, so the last word
    // stays with the last file.
    let replaying = false;
    for (const file of files) {
      if (!replaying && known.get(file.name) === file.checksum) continue;
      replaying = true;
      const started = performance.now();
      try {
        await client.query('begin');
        await client.query(file.text);
        await client.query(
          `insert into public.import_schema_migrations (name, checksum) values ($1, $2)
           on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`,
          [file.name, file.checksum],
        );
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(
          `migrate: ${file.name} failed: ${redactSecrets(message, connectionString)}`,
          {
            cause: error,
          },
        );
      }
      applied.push(file.name);
      log(`migrate: applied ${file.name} (${Math.round(performance.now() - started)} ms)`);
    }
    if (applied.length === 0) log('migrate: database is up to date');
  } finally {
    await client
      .query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK_KEY])
      .catch(() => undefined);
    await client.end().catch(() => undefined);
  }
  return { applied };
}

async function readSqlFiles(
  sqlDir: string,
  folder: 'reference' | 'migrations',
): Promise<SqlFile[]> {
  const dir = join(sqlDir, folder);
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: SqlFile[] = [];
  for (const name of names) {
    if (!FILE_NAME.test(name)) {
      throw new Error(`migrate: ${folder}/${name} is not named NNNN_lower_snake_case.sql`);
    }
    const text = await readFile(join(dir, name), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    files.push({ name: `${folder}/${name}`, text, checksum });
  }
  return files;
}

/**
 * The sql/ folder next to the sources (electron/main/services/db → ../../../../sql) or next to a
 * bundle (out/main → ../../sql): the nearest ancestor holding sql/migrations.
 */
async function findSqlDir(): Promise<string> {
  let current = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    const candidate = join(current, 'sql');
    if (await isDirectory(join(candidate, 'migrations'))) return candidate;
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  throw new Error('migrate: cannot find the sql/ folder; pass options.sqlDir');
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}
