import type pg from 'pg';

// The conditions of Supabase's Security Advisor (its database linter, "splinter") for the lints
// that concern what the import creates, written from their published definitions and checked
// here straight from pg_catalog:
//   0007 policy_exists_rls_disabled, 0010 security_definer_view, 0011 function_search_path_mutable,
//   0013 rls_disabled_in_public, 0028 anon_security_definer_function_executable,
//   0029 authenticated_security_definer_function_executable.
// The exposed schemas are those PostgREST serves (Supabase: public and graphql_public).

export interface AdvisorFinding {
  lint: string;
  object: string;
}

/** Schemas the linter never reports on (Supabase's own and extensions'). */
const SYSTEM_SCHEMAS = [
  'auth',
  'cron',
  'extensions',
  'graphql',
  'graphql_public',
  'information_schema',
  'net',
  'pgbouncer',
  'pg_catalog',
  'pg_toast',
  'realtime',
  'storage',
  'supabase_functions',
  'supabase_migrations',
  'vault',
];

const LINTS_SQL = `
with exposed as (
  select n.oid, n.nspname
  from pg_catalog.pg_namespace n
  where n.nspname = any($1::text[]) and n.nspname <> all($2::text[])
),
checked as (
  select n.oid, n.nspname
  from pg_catalog.pg_namespace n
  where n.nspname <> all($2::text[]) and n.nspname not like 'pg\\_%'
),
not_extension as (
  select d.objid from pg_catalog.pg_depend d where d.deptype = 'e'
)
select 'rls_disabled_in_public' as lint, format('%I.%I', e.nspname, c.relname) as object
from pg_catalog.pg_class c join exposed e on e.oid = c.relnamespace
where c.relkind = 'r' and not c.relrowsecurity
  and (pg_catalog.has_table_privilege('anon', c.oid, 'SELECT')
    or pg_catalog.has_table_privilege('authenticated', c.oid, 'SELECT'))
union all
select 'policy_exists_rls_disabled', format('%I.%I', k.nspname, c.relname)
from pg_catalog.pg_policy p
join pg_catalog.pg_class c on c.oid = p.polrelid
join checked k on k.oid = c.relnamespace
where c.relkind = 'r' and not c.relrowsecurity
  and c.oid not in (select objid from not_extension)
union all
select 'security_definer_view', format('%I.%I', e.nspname, c.relname)
from pg_catalog.pg_class c join exposed e on e.oid = c.relnamespace
where c.relkind = 'v'
  and (pg_catalog.has_table_privilege('anon', c.oid, 'SELECT')
    or pg_catalog.has_table_privilege('authenticated', c.oid, 'SELECT'))
  and not coalesce(c.reloptions, '{}') && array[
    'security_invoker=1', 'security_invoker=true', 'security_invoker=yes', 'security_invoker=on'
  ]
  and c.oid not in (select objid from not_extension)
union all
select 'function_search_path_mutable',
  format('%I.%I(%s)', k.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
from pg_catalog.pg_proc p join checked k on k.oid = p.pronamespace
where p.oid not in (select objid from not_extension)
  and not exists (
    select 1 from unnest(coalesce(p.proconfig, '{}')) as setting where setting like 'search_path=%'
  )
union all
select grantee || '_security_definer_function_executable',
  format('%I.%I(%s)', e.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid))
from pg_catalog.pg_proc p
join exposed e on e.oid = p.pronamespace
cross join unnest(array['anon', 'authenticated']) as grantee
where p.prosecdef and pg_catalog.has_function_privilege(grantee, p.oid, 'EXECUTE')
order by 1, 2
`;

export async function advisorFindings(
  client: pg.Pool | pg.PoolClient | pg.Client,
  exposedSchemas: readonly string[] = ['public', 'graphql_public'],
): Promise<AdvisorFinding[]> {
  const { rows } = await client.query<AdvisorFinding>(LINTS_SQL, [exposedSchemas, SYSTEM_SCHEMAS]);
  return rows;
}
