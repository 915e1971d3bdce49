import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { advisorFindings, type AdvisorFinding } from '../support/advisor-lints';
import { openTestDb, type TestDb } from '../support/seed';

// What Supabase's Security Advisor would say about the import, checked from pg_catalog: nothing.
// The negative test plants one violation of each lint and expects each to be found, so a query
// that finds nothing because it is wrong fails too.

let db: TestDb;

beforeAll(() => {
  db = openTestDb(inject('databaseUrl'));
});
afterAll(async () => {
  await db.close();
});

/** The import's objects and the reference CRM tables; other test files may add their own. */
function isImportObject(finding: AdvisorFinding): boolean {
  return /^(public\.(import_|bulk_import_|merchants|user_accounts|skus|purchases|purchase_items)|import_private\.)/.test(
    finding.object,
  );
}

describe('Supabase Security Advisor conditions', () => {
  it('find nothing on the import’s objects', async () => {
    const findings = (await advisorFindings(db.pool)).filter(isImportObject);
    expect(findings).toEqual([]);
  });

  it('the API in public is security invoker; definer bodies live in the private schema', async () => {
    const { rows } = await db.pool.query<{ schema: string; definer: boolean; n: number }>(
      `select n.nspname as schema, p.prosecdef as definer, count(*)::int as n
       from pg_catalog.pg_proc p join pg_catalog.pg_namespace n on n.oid = p.pronamespace
       where (n.nspname = 'public' and p.proname like 'import\\_%') or n.nspname = 'import_private'
       group by 1, 2 order by 1, 2`,
    );
    expect(rows.find((row) => row.schema === 'public' && row.definer)).toBeUndefined();
    expect(rows.find((row) => row.schema === 'public' && !row.definer)?.n).toBeGreaterThan(10);
    expect(rows.find((row) => row.schema === 'import_private' && row.definer)?.n).toBeGreaterThan(
      10,
    );
  });

  it('catch planted violations of each lint', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('begin');
      await client.query(`
        create table public.import_planted_open (id int);
        grant select on public.import_planted_open to anon;
        create table public.import_planted_policy (id int);
        create policy import_planted_all on public.import_planted_policy using (true);
        create view public.import_planted_view as select 1 as one;
        grant select on public.import_planted_view to authenticated;
        create function public.import_planted_mutable() returns int language sql as 'select 1';
        create function public.import_planted_definer() returns int
          language sql security definer set search_path = '' as 'select 1';
        grant execute on function public.import_planted_definer() to anon, authenticated;
      `);
      const findings = (await advisorFindings(client)).filter((finding) =>
        finding.object.includes('import_planted'),
      );
      expect(findings).toEqual([
        {
          lint: 'anon_security_definer_function_executable',
          object: 'public.import_planted_definer()',
        },
        {
          lint: 'authenticated_security_definer_function_executable',
          object: 'public.import_planted_definer()',
        },
        { lint: 'function_search_path_mutable', object: 'public.import_planted_mutable()' },
        { lint: 'policy_exists_rls_disabled', object: 'public.import_planted_policy' },
        { lint: 'rls_disabled_in_public', object: 'public.import_planted_open' },
        { lint: 'security_definer_view', object: 'public.import_planted_view' },
      ]);
    } finally {
      await client.query('rollback');
      client.release();
    }
  });
});
