import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rpcContract, type RpcArgSpec } from '../../shared/db/rpc-contract';
import { openTestDb, type TestDb } from '../support/seed';

// The one RPC table (shared/db/rpc-contract.ts: name → named arguments with SQL types → result
// schema) against the functions sql/schema defines. The pg transport casts each argument to the
// table's type and PostgREST matches calls by argument names, so a table that drifts from the
// SQL fails here rather than in a call.

let db: TestDb;
beforeAll(() => {
  db = openTestDb(inject('databaseUrl'));
});
afterAll(async () => {
  await db.close();
});

interface SqlFunction {
  name: string;
  args: string[];
  types: string[];
  defaults: number;
}

async function publicImportFunctions(): Promise<SqlFunction[]> {
  const { rows } = await db.pool.query<SqlFunction>(`
    select p.proname as name,
           coalesce(p.proargnames[1:p.pronargs], '{}') as args,
           array(select format_type(t, null)
                 from unnest(p.proargtypes::oid[]) with ordinality as a(t, i) order by i) as types,
           p.pronargdefaults as defaults
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.proname like 'import\\_%'`);
  return rows;
}

const table = Object.entries(rpcContract).map(([fn, spec]) => ({
  fn,
  args: Object.entries(spec.args as Readonly<Record<string, RpcArgSpec>>),
}));

describe('the RPC table', () => {
  it('names every argument of every function, in order, with the SQL type the function declares', async () => {
    const functions = await publicImportFunctions();
    for (const { fn, args } of table) {
      const overloads = functions.filter((f) => f.name === fn);
      expect(overloads, `public.${fn}: exactly one definition`).toHaveLength(1);
      const sql = overloads[0] as SqlFunction;
      expect(
        sql.args.map((name, i) => [name, sql.types[i]]),
        `public.${fn}: named arguments and types`,
      ).toEqual(args.map(([name, spec]) => [name, spec.sql]));
    }
  });

  it('lets a call leave out exactly the arguments that have an SQL default', async () => {
    const functions = await publicImportFunctions();
    for (const { fn, args } of table) {
      const sql = functions.find((f) => f.name === fn) as SqlFunction;
      const defaulted = sql.args.slice(sql.args.length - sql.defaults);
      expect(
        args.filter(([, spec]) => spec.hasDefault).map(([name]) => name),
        `public.${fn}: arguments with a default`,
      ).toEqual(defaulted);
    }
  });

  it('knows every import function the API exposes', async () => {
    const exposed = (await publicImportFunctions()).map((f) => f.name).sort();
    expect(exposed).toEqual(table.map((t) => t.fn).sort());
  });
});
