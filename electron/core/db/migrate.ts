import { createHash } from 'node:crypto';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { describeConnectionError, pgConnectionConfig, redactSecrets } from './pg-transport';

// Brings a database to the import's schema in ONE transaction under an advisory lock: either
// everything applies or the database stays exactly as it was (functions, grants, RLS included).
//
// - sql/reference: the CRM tables, for sandboxes and tests only (--with-reference-schema).
// - sql/migrations: tables and data, append-only. Each file runs once; a file that changed after
//   it ran is refused (write a new one).
// - sql/schema: functions, triggers, policies and grants, one definition each. Whenever anything
//   changed, every file is applied again, in name order, and functions of the private schema that
//   no file defines any more are dropped, so the database holds exactly what the files say.

export interface MigrateOptions {
  /** Also create the reference CRM tables (never against a production CRM: refused there). */
  withReferenceSchema: boolean;
  log?: (line: string) => void;
  /** Folder holding reference/, migrations/ and schema/; defaults to the repository's sql/. */
  sqlDir?: string;
  /** How long to wait for a table lock (a running import) before giving up; default 30 s. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Files applied by this run, e.g. 'migrations/0002_import_tables.sql', then 'schema/…';
   * empty when the database was up to date. */
  applied: string[];
}

type Folder = 'reference' | 'migrations' | 'schema';

interface SqlFile {
  name: string;
  folder: Folder;
  text: string;
  checksum: string;
}

// Any constant works as long as every migrator uses the same one.
const MIGRATION_LOCK_KEY = '7305820117404617001';
const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;
const SCHEMA_NAME = /^\d{2}_[a-z0-9_]+\.sql$/;
export const PRIVATE_SCHEMA = 'import_private';

export async function migrate(
  connectionString: string,
  options: MigrateOptions,
): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const sqlDir = options.sqlDir ?? (await findSqlDir());
  const ordered = [
    ...(options.withReferenceSchema ? await readSqlFiles(sqlDir, 'reference') : []),
    ...(await readSqlFiles(sqlDir, 'migrations')),
  ];
  const schema = await readSqlFiles(sqlDir, 'schema');

  // TLS as for every direct connection (verify-full for other hosts unless the URL says otherwise).
  const client = new pg.Client({
    ...pgConnectionConfig(connectionString),
    application_name: 'purchase-import migrate',
  });
  // A dropped connection must fail the run, not crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`migrate: cannot connect: ${describeConnectionError(error, connectionString)}`);
  }
  const applied: string[] = [];
  let current = 'the bookkeeping';
  try {
    await client.query('begin');
    await client.query(`select set_config('lock_timeout', $1, true)`, [
      `${options.lockTimeoutMs ?? 30_000}ms`,
    ]);
    // Transaction-level: a second migrator waits, then finds everything applied.
    await client.query('select pg_advisory_xact_lock($1::bigint)', [MIGRATION_LOCK_KEY]);
    await client.query(`create schema if not exists ${PRIVATE_SCHEMA}`);
    await client.query(`revoke all on schema ${PRIVATE_SCHEMA} from public`);
    await client.query(`
      create table if not exists ${PRIVATE_SCHEMA}.schema_migrations (
        name text primary key,
        checksum text not null,
        applied_at timestamptz not null default now()
      )`);
    await client.query(`revoke all on table ${PRIVATE_SCHEMA}.schema_migrations from public`);
    const known = new Map(
      (
        await client.query<{ name: string; checksum: string }>(
          `select name, checksum from ${PRIVATE_SCHEMA}.schema_migrations`,
        )
      ).rows.map((row) => [row.name, row.checksum]),
    );

    current = 'the check of applied migrations';
    const pending = ordered.filter((file) => {
      const checksum = known.get(file.name);
      if (checksum === undefined) return true;
      if (checksum !== file.checksum) {
        throw new Error(
          `${file.name} changed after it was applied. Migrations are append-only: undo the ` +
            'edit and put the change in a new numbered file (functions, policies and grants ' +
            'belong in sql/schema, which is re-applied).',
        );
      }
      return false;
    });
    current = 'the reference schema check';
    if (pending.some((file) => file.folder === 'reference')) {
      await refuseReferenceSchema(client);
    }
    const schemaChanged =
      schema.some((file) => known.get(file.name) !== file.checksum) ||
      [...known.keys()].some(
        (name) => name.startsWith('schema/') && !schema.some((file) => file.name === name),
      );
    if (pending.length === 0 && !schemaChanged) {
      await client.query('commit');
      log('migrate: database is up to date');
      return { applied };
    }

    for (const file of [...pending, ...schema]) {
      current = file.name;
      const started = performance.now();
      await client.query(file.text);
      applied.push(file.name);
      log(`migrate: applied ${file.name} (${Math.round(performance.now() - started)} ms)`);
    }
    current = 'the clean-up of functions no schema file defines';
    const dropped = await dropUndeclaredFunctions(client);
    for (const name of dropped) log(`migrate: dropped ${name} (no schema file defines it)`);

    current = 'the bookkeeping';
    await client.query(
      `delete from ${PRIVATE_SCHEMA}.schema_migrations where name like 'schema/%'`,
    );
    await client.query(
      `insert into ${PRIVATE_SCHEMA}.schema_migrations (name, checksum)
       select * from unnest($1::text[], $2::text[])
       on conflict (name) do update set checksum = excluded.checksum, applied_at = now()`,
      [
        [...pending, ...schema].map((file) => file.name),
        [...pending, ...schema].map((file) => file.checksum),
      ],
    );
    await client.query('commit');
    log(`migrate: committed ${applied.length} files in one transaction`);
  } catch (error) {
    await client.query('rollback').catch(() => undefined);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `migrate: ${current} failed, nothing was changed: ${redactSecrets(message, connectionString)}`,
      { cause: error },
    );
  } finally {
    await client.end().catch(() => undefined);
  }
  return { applied };
}

/**
 * Functions of the private schema, and API functions made for them, that this transaction did not
 * (re)create: a schema file that no longer defines them. CREATE OR REPLACE rewrites a function's catalog row, so the rows this
 * transaction wrote carry its transaction id.
 */
async function dropUndeclaredFunctions(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ signature: string }>(
    `select p.oid::regprocedure::text as signature
     from pg_catalog.pg_proc p
     where (
         p.pronamespace = $1::regnamespace
         -- the API functions import_private.expose made (it names itself in their comment)
         or (p.pronamespace = 'public'::regnamespace
           and pg_catalog.obj_description(p.oid, 'pg_proc') like '%import_private.expose%')
       )
       and p.xmin::text::bigint <> (pg_catalog.txid_current() % 4294967296)`,
    [PRIVATE_SCHEMA],
  );
  for (const row of rows) await client.query(`drop function ${row.signature}`);
  return rows.map((row) => row.signature);
}

/**
 * The reference tables are a stand-in for a CRM: on a Supabase project (whose default privileges
 * would hand anon full rights on them) or on a database that already holds CRM data they would
 * shadow or open the real thing.
 */
async function refuseReferenceSchema(client: pg.Client): Promise<void> {
  const { rows } = await client.query<{ supabase: boolean; merchants: boolean; legacy: boolean }>(
    `select
       exists (select 1 from pg_catalog.pg_roles r where r.rolname = 'supabase_admin')
         or pg_catalog.to_regnamespace('graphql_public') is not null as supabase,
       pg_catalog.to_regclass('public.merchants') is not null as merchants,
       pg_catalog.to_regclass('public.import_schema_migrations') is not null as legacy`,
  );
  const found = rows[0];
  if (found?.legacy) {
    // A sandbox or test database of the pre-1.0 layout: its reference tables are ours already.
    const { rows: ours } = await client.query<{ ours: boolean }>(
      `select exists (
         select 1 from public.import_schema_migrations where name like 'reference/%'
       ) as ours`,
    );
    if (ours[0]?.ours) return;
  }
  if (found?.supabase) {
    throw new Error(
      '--with-reference-schema refused: this database is a Supabase project. The reference ' +
        'tables stand in for a CRM in the sandbox and the tests only; run migrate without it.',
    );
  }
  if (found?.merchants) {
    const { rows: data } = await client.query<{ any: boolean }>(
      'select exists (select 1 from public.merchants) as any',
    );
    if (data[0]?.any) {
      throw new Error(
        '--with-reference-schema refused: this database already holds CRM data ' +
          '(public.merchants has rows). The reference tables are for an empty sandbox or test ' +
          'database; run migrate without it.',
      );
    }
  }
}

async function readSqlFiles(sqlDir: string, folder: Folder): Promise<SqlFile[]> {
  const dir = join(sqlDir, folder);
  const pattern = folder === 'schema' ? SCHEMA_NAME : MIGRATION_NAME;
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  const files: SqlFile[] = [];
  for (const name of names) {
    if (!pattern.test(name)) {
      throw new Error(
        `migrate: ${folder}/${name} is not named ${folder === 'schema' ? 'NN' : 'NNNN'}_lower_snake_case.sql`,
      );
    }
    const text = await readFile(join(dir, name), 'utf8');
    const checksum = createHash('sha256').update(text).digest('hex');
    files.push({ name: `${folder}/${name}`, folder, text, checksum });
  }
  return files;
}

/**
 * The sql/ folder next to the sources (electron/core/db → ../../../sql) or next to a
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
