-- Who may call what. The client-facing functions run as their owner (security definer), so
-- execute on them is the whole permission: nobody by default (revoked from PUBLIC and, on
-- Supabase, from anon, whose default privileges would otherwise grant it), granted to
-- authenticated and service_role where those roles exist. Internal helpers and the import's
-- tables are reachable only through those functions. Safe to re-run.

do $$
declare
  v_api text[] := array[
    'public.import_check_references(uuid, uuid[], uuid[], text[])',
    'public.import_begin_batch(uuid, text, text, text, text, integer, integer)',
    'public.import_stage_chunk(uuid, integer, jsonb)',
    'public.import_commit_batch(uuid)',
    'public.import_list_batches(uuid, text, text, integer, integer)',
    'public.import_get_batch(uuid)',
    'public.import_recheck_batch(uuid)',
    'public.import_list_merchants()'
  ];
  v_internal text[] := array[
    'public.import_assert_access(uuid, text)',
    'public.import_iso_time(timestamptz)',
    'public.import_current_actor()',
    'public.import_batch_json(public.bulk_import_batches, boolean)',
    'public.import_find_batch(uuid)',
    'public.import_validate_staged(uuid)'
  ];
  v_tables text[] := array[
    'public.bulk_import_batches',
    'public.bulk_import_staged_chunks',
    'public.bulk_import_staged_rows'
  ];
  v_fn text;
  v_table text;
  v_role text;
begin
  foreach v_fn in array v_api || v_internal loop
    execute format('revoke all on function %s from public', v_fn);
    foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
      if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
        execute format('revoke all on function %s from %I', v_fn, v_role);
      end if;
    end loop;
  end loop;

  foreach v_fn in array v_api loop
    foreach v_role in array array['authenticated', 'service_role'] loop
      if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
        execute format('grant execute on function %s to %I', v_fn, v_role);
      end if;
    end loop;
  end loop;

  -- The migrations bookkeeping table lives in public too when created by the migrate command.
  if pg_catalog.to_regclass('public.import_schema_migrations') is not null then
    v_tables := v_tables || 'public.import_schema_migrations'::text;
  end if;
  foreach v_table in array v_tables loop
    execute format('revoke all on table %s from public', v_table);
    foreach v_role in array array['anon', 'authenticated'] loop
      if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
        execute format('revoke all on table %s from %I', v_table, v_role);
      end if;
    end loop;
    -- No policies: a role that is granted table access by mistake still sees no rows.
    execute format('alter table %s enable row level security', v_table);
  end loop;
end;
$$;
