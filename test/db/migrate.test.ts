import { randomBytes, randomUUID } from 'node:crypto';
import { appendFile, cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { migrate } from '../../electron/core/db/migrate';
import { advisorFindings } from '../support/advisor-lints';
import { authenticatorUrl, ensureAuthenticatorRole } from '../support/supabase-gateway';

// Each case migrates a database of its own: re-applying DDL to the shared test database would
// take locks the other test files are working under.

const sqlDir = join(dirname(fileURLToPath(import.meta.url)), '../../sql');
const created: string[] = [];
const copies: string[] = [];

async function freshDatabase(): Promise<string> {
  const name = `migrate_${randomBytes(5).toString('hex')}`;
  await withClient(inject('databaseUrl'), (admin) => admin.query(`create database ${name}`));
  created.push(name);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

async function sqlCopy(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'purchase-import-sql-'));
  copies.push(copy);
  await cp(sqlDir, copy, { recursive: true });
  return copy;
}

async function names(folder: string): Promise<string[]> {
  const files = (await readdir(join(sqlDir, folder))).filter((f) => f.endsWith('.sql'));
  return files.sort().map((f) => `${folder}/${f}`);
}

async function allFiles(): Promise<string[]> {
  return [
    ...(await names('reference')),
    ...(await names('migrations')),
    ...(await names('schema')),
  ];
}

/** Everything a failed run must leave as it was: definitions, privileges, RLS and policies. */
async function catalogSnapshot(url: string): Promise<string> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ line: string }>(`
      select format('fn %s.%s(%s) %s %s %s', p.pronamespace::regnamespace, p.proname,
        pg_get_function_identity_arguments(p.oid), md5(p.prosrc), p.prosecdef, p.proacl) as line
      from pg_proc p
      where p.pronamespace in (
        select oid from pg_namespace where nspname in ('public', 'import_private', 'auth')
      )
      union all
      select format('rel %s %s %s', c.oid::regclass, c.relrowsecurity, c.relacl)
      from pg_class c
      where c.relkind = 'r' and c.relnamespace in (
        select oid from pg_namespace where nspname in ('public', 'import_private')
      )
      union all
      select format('policy %s %s %s', p.polrelid::regclass, p.polname,
        pg_get_expr(p.polqual, p.polrelid))
      from pg_policy p
      union all
      select format('schema %s %s', n.nspname, n.nspacl)
      from pg_namespace n where n.nspname in ('public', 'import_private', 'auth')
      order by 1`);
    return rows.map((row) => row.line).join('\n');
  });
}

afterAll(async () => {
  await withClient(inject('databaseUrl'), async (admin) => {
    for (const name of created) await admin.query(`drop database if exists ${name} with (force)`);
  });
  for (const copy of copies) await rm(copy, { recursive: true, force: true });
});

describe('migrate', () => {
  it('applies every file in one run; a second run is a no-op', async () => {
    const url = await freshDatabase();
    const lines: string[] = [];
    const first = await migrate(url, {
      withReferenceSchema: true,
      log: (line) => lines.push(line),
    });
    expect(first.applied).toEqual(await allFiles());
    const second = await migrate(url, { withReferenceSchema: true });
    expect(second.applied).toEqual([]);
    expect(lines.some((line) => line.includes(url))).toBe(false);
  });

  it('re-applies the whole schema when one schema file changes, and drops what no file defines', async () => {
    const url = await freshDatabase();
    const copy = await sqlCopy();
    await appendFile(
      join(copy, 'schema', '09_pick_lists.sql'),
      `\ncreate function import_private.soon_gone() returns int language sql security definer
         set search_path = '' as 'select 1';
       call import_private.expose('import_private.soon_gone()');\n`,
    );
    await migrate(url, { withReferenceSchema: true, sqlDir: copy });
    await writeFile(
      join(copy, 'schema', '09_pick_lists.sql'),
      await readFile(join(sqlDir, 'schema', '09_pick_lists.sql'), 'utf8'),
    );
    const lines: string[] = [];
    const again = await migrate(url, {
      withReferenceSchema: true,
      sqlDir: copy,
      log: (line) => lines.push(line),
    });
    expect(again.applied).toEqual(await names('schema'));
    expect(lines).toContain(
      'migrate: dropped import_private.soon_gone() (no schema file defines it)',
    );
    expect(lines).toContain('migrate: dropped import_soon_gone() (no schema file defines it)');
    const left = await withClient(url, (client) =>
      client.query(
        `select to_regprocedure('import_private.soon_gone()') as body,
                to_regprocedure('public.import_soon_gone()') as api`,
      ),
    );
    expect(left.rows[0]).toEqual({ body: null, api: null });
  });

  it('refuses a migration that changed after it ran, and changes nothing', async () => {
    const url = await freshDatabase();
    const copy = await sqlCopy();
    await migrate(url, { withReferenceSchema: true, sqlDir: copy });
    const before = await catalogSnapshot(url);
    await appendFile(join(copy, 'migrations', '0002_import_tables.sql'), '\n-- touched\n');
    await appendFile(join(copy, 'schema', '02_access.sql'), '\n-- touched too\n');
    const error = await migrate(url, { withReferenceSchema: true, sqlDir: copy }).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toContain(
      'migrations/0002_import_tables.sql changed after it was applied',
    );
    expect(String(error)).toContain('nothing was changed');
    expect(await catalogSnapshot(url)).toEqual(before);
  });

  it('leaves functions, grants and RLS exactly as they were when a file after a changed one fails', async () => {
    const url = await freshDatabase();
    const copy = await sqlCopy();
    await migrate(url, { withReferenceSchema: true, sqlDir: copy });
    const before = await catalogSnapshot(url);
    // A permissive access check, a table opened to anon, then a file that fails.
    const access = join(copy, 'schema', '02_access.sql');
    await writeFile(
      access,
      (await readFile(access, 'utf8')).replace(
        "if p_action is null then\n    raise exception 'import_private.assert_access: an action is required';\n  end if;",
        'return; -- allow everyone',
      ),
    );
    await appendFile(
      join(copy, 'schema', '10_policies.sql'),
      '\nalter table public.import_operators disable row level security;\n' +
        'grant all on public.import_operators to anon;\n',
    );
    await writeFile(join(copy, 'schema', '99_broken.sql'), 'select 1 / 0;\n');
    const error = await migrate(url, { withReferenceSchema: true, sqlDir: copy }).catch(
      (e: unknown) => e,
    );
    expect(String(error)).toContain('schema/99_broken.sql failed, nothing was changed');
    expect(String(error)).toContain('division by zero');
    expect(await catalogSnapshot(url)).toEqual(before);
  });

  it('never leaves a fresh database with Supabase’s default privileges open, wherever the first run fails', async () => {
    const points = [...(await names('reference')), ...(await names('migrations'))];
    points.push(...(await names('schema')).filter((_, index) => index % 3 === 0));
    for (const point of points) {
      const url = await freshDatabase();
      await withClient(url, async (client) => {
        // Supabase grants the API roles everything on what the owner creates in public.
        await client.query(`
          alter default privileges in schema public grant all on tables to anon, authenticated, service_role;
          alter default privileges in schema public grant all on functions to anon, authenticated, service_role;
          alter default privileges in schema public grant all on sequences to anon, authenticated, service_role;`);
      });
      const before = await catalogSnapshot(url);
      const copy = await sqlCopy();
      await appendFile(join(copy, point), '\nselect 1 / 0;\n');
      const error = await migrate(url, { withReferenceSchema: true, sqlDir: copy }).catch(
        (e: unknown) => e,
      );
      expect(String(error), point).toContain(`${point} failed, nothing was changed`);
      expect(await catalogSnapshot(url), point).toEqual(before);
    }
    // And the run that succeeds opens nothing either.
    const url = await freshDatabase();
    await withClient(url, (client) =>
      client.query(
        'alter default privileges in schema public grant all on tables to anon, authenticated, service_role;' +
          'alter default privileges in schema public grant all on functions to anon, authenticated, service_role;',
      ),
    );
    await migrate(url, { withReferenceSchema: true });
    await withClient(url, async (client) => {
      const findings = await advisorFindings(client);
      expect(findings).toEqual([]);
      const open = await client.query<{ object: string }>(`
        select c.oid::regclass::text as object from pg_class c
        where c.relnamespace = 'public'::regnamespace and c.relkind = 'r'
          and (has_table_privilege('anon', c.oid, 'select') or not c.relrowsecurity)
        union all
        select p.oid::regprocedure::text from pg_proc p
        where p.pronamespace in ('public'::regnamespace, 'import_private'::regnamespace)
          and has_function_privilege('anon', p.oid, 'execute')`);
      expect(open.rows).toEqual([]);
    });
  });

  it('keeps refusing outsiders on PostgREST sessions while the schema is re-applied', async () => {
    const url = await freshDatabase();
    const copy = await sqlCopy();
    await migrate(url, { withReferenceSchema: true, sqlDir: copy });
    const merchantId = await withClient(url, async (client) => {
      await ensureAuthenticatorRole(client);
      const merchant = await client.query<{ id: string }>(
        "insert into public.merchants (name) values ('B') returning id",
      );
      return merchant.rows[0]?.id ?? '';
    });
    const outsiderId = randomUUID();
    const calls = [
      'select public.import_list_operators($1)',
      "select public.import_set_operator($1, 'me@example.test', 'admin')",
      'select public.import_list_skus($1, null, 10)',
      'select public.import_list_batches($1, null, null, 10, 0)',
      "select public.import_begin_batch($1, 'k', null, null, null, 1, 1)",
      'select public.import_check_references($1, null, null, null)',
    ];
    let migrating = true;
    let refused = 0;
    const accepted: string[] = [];
    const outsider = async (): Promise<void> => {
      const client = new pg.Client({ connectionString: authenticatorUrl(url) });
      await client.connect();
      try {
        while (migrating) {
          for (const sql of calls) {
            // As PostgREST does per request: one transaction, the role switch, the claims.
            await client.query('begin');
            await client.query(
              `select set_config('role', 'authenticated', true),
                      set_config('request.jwt.claims', $1, true)`,
              [JSON.stringify({ sub: outsiderId, role: 'authenticated' })],
            );
            const outcome = await client.query(sql, [merchantId]).then(
              () => 'accepted',
              (error: unknown) => (error as { code?: string }).code ?? 'error',
            );
            await client.query('rollback');
            if (outcome === '42501') refused += 1;
            else accepted.push(`${sql}: ${outcome}`);
          }
        }
      } finally {
        await client.end();
      }
    };
    const outsiders = Array.from({ length: 16 }, () => outsider());
    try {
      for (let run = 0; run < 4; run++) {
        await appendFile(join(copy, 'schema', '02_access.sql'), `\n-- re-run ${run}\n`);
        const { applied } = await migrate(url, { withReferenceSchema: true, sqlDir: copy });
        expect(applied.length).toBeGreaterThan(0);
      }
    } finally {
      migrating = false;
      await Promise.all(outsiders);
    }
    expect(accepted).toEqual([]);
    expect(refused).toBeGreaterThan(16);
  });

  it('applies only the migrations to a database that already has the CRM tables', async () => {
    const url = await freshDatabase();
    const reference = await readFile(join(sqlDir, 'reference', '0001_crm_tables.sql'), 'utf8');
    await withClient(url, (client) => client.query(reference));
    const result = await migrate(url, { withReferenceSchema: false });
    expect(result.applied).toEqual([...(await names('migrations')), ...(await names('schema'))]);
  });

  it('refuses the reference schema on a Supabase project or a database holding CRM data', async () => {
    const supabase = await freshDatabase();
    await withClient(supabase, (client) => client.query('create schema graphql_public'));
    const refused = await migrate(supabase, { withReferenceSchema: true }).catch((e: unknown) => e);
    expect(String(refused)).toContain(
      '--with-reference-schema refused: this database is a Supabase project',
    );

    const crm = await freshDatabase();
    const reference = await readFile(join(sqlDir, 'reference', '0001_crm_tables.sql'), 'utf8');
    await withClient(crm, async (client) => {
      await client.query(reference);
      await client.query("insert into public.merchants (name) values ('Real shop')");
    });
    const withData = await migrate(crm, { withReferenceSchema: true }).catch((e: unknown) => e);
    expect(String(withData)).toContain('already holds CRM data');
    expect((await migrate(crm, { withReferenceSchema: false })).applied.length).toBeGreaterThan(0);
  });

  it('names the failing file and never the connection string', async () => {
    const url = await freshDatabase();
    // Without the CRM tables the import's tables cannot reference merchants.
    const error = await migrate(url, { withReferenceSchema: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain('migrations/0002_import_tables.sql failed, nothing was changed');
    expect(message).not.toContain(new URL(url).password);
    const left = await withClient(url, (client) =>
      client.query("select to_regnamespace('import_private') as schema"),
    );
    expect(left.rows[0]).toEqual({ schema: null });
  });
});
