-- import_private holds every function body of the import. PostgREST exposes only `public`, so
-- nothing here is callable over the API: the API is the security invoker functions in public,
-- each defined right after the body it calls. Signed-in users need the schema to reach those
-- bodies; anon never does. (migrate creates the schema, before its bookkeeping table.)
--
-- Every file in sql/schema is re-applied, in name order, by every migrate run that changes
-- anything, in the same transaction as the migrations: each function, trigger and policy is
-- defined in exactly one file, its grants right beside it, born locked (revoked from PUBLIC, which
-- PostgreSQL grants EXECUTE by default, and from the API roles, which Supabase's default
-- privileges grant it).

revoke all on schema import_private from public, anon;
grant usage on schema import_private to authenticated, service_role;

-- The API: one security invoker function in public per exposed body, same name with an import_
-- prefix, same named arguments (PostgREST matches them) and volatility (read-only transactions
-- for stable ones), calling the body. Made here, once, with its grants: the body and its API are
-- executable by signed-in users and the service role only. p_statement_timeout goes on the API
-- function, where PostgREST (12.2+) hoists it into the request's transaction.
create or replace procedure import_private.expose(
  p_body regprocedure,
  p_statement_timeout text default null
)
language plpgsql
set search_path = ''
as $$
declare
  v_proc pg_catalog.pg_proc;
  v_api text;
  v_params text;
  v_args text;
  v_types text;
begin
  select p.* into strict v_proc from pg_catalog.pg_proc p where p.oid = p_body;
  if v_proc.pronamespace <> 'import_private'::regnamespace or not v_proc.prosecdef then
    raise exception 'expose: % is not a security definer function of import_private', p_body;
  end if;
  v_api := 'import_' || v_proc.proname;
  -- The parameters as declared, defaults included (PostgREST lets a call leave those out).
  v_params := pg_catalog.pg_get_function_arguments(p_body);
  select
    coalesce(string_agg(format('%1$I => %1$I', a.name), ', ' order by a.n), ''),
    coalesce(string_agg(pg_catalog.format_type(a.type, null), ', ' order by a.n), '')
  into v_args, v_types
  from unnest(v_proc.proargtypes::oid[], v_proc.proargnames) with ordinality as a(type, name, n);

  execute format(
    'create or replace function public.%I(%s) returns %s language sql %s security invoker '
      'set search_path = %L %s as %L',
    v_api, v_params, pg_catalog.format_type(v_proc.prorettype, null),
    case v_proc.provolatile when 'i' then 'immutable' when 's' then 'stable' else 'volatile' end,
    '',
    case when p_statement_timeout is null then ''
      else format('set statement_timeout = %L', p_statement_timeout) end,
    format('select import_private.%I(%s)', v_proc.proname, v_args)
  );
  execute format('comment on function public.%I(%s) is %L', v_api, v_types,
    format('The API of %s (sql/schema/00_private_schema.sql: import_private.expose).', p_body));
  execute format('revoke all on function public.%I(%s), %s from public, anon, authenticated, '
    'service_role', v_api, v_types, p_body);
  execute format('grant execute on function public.%I(%s), %s to authenticated, service_role',
    v_api, v_types, p_body);
end;
$$;
revoke all on procedure import_private.expose(regprocedure, text)
  from public, anon, authenticated, service_role;
