-- Who may call what, once more for every client-facing function, now that 0010 guarantees the
-- API roles exist. On plain PostgreSQL (sandbox, bench) 0009 ran before those roles were created
-- and could not grant to them; on Supabase this repeats what is already true. Also re-checks
-- that the import's tables are closed to the client roles. Safe to re-run.

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
    'public.import_list_merchants()',
    'public.import_whoami()',
    'public.import_my_merchant_ids()',
    'public.import_list_operators(uuid)',
    'public.import_set_operator(uuid, text, text)',
    'public.import_remove_operator(uuid, uuid)',
    'public.import_list_skus(uuid, text, integer)',
    'public.import_list_users(uuid, text, integer)'
  ];
  v_tables text[] := array[
    'public.bulk_import_batches',
    'public.bulk_import_staged_chunks',
    'public.bulk_import_staged_rows',
    'public.import_operators'
  ];
  v_fn text;
  v_table text;
  v_role text;
begin
  foreach v_fn in array v_api loop
    execute format('revoke all on function %s from public, anon', v_fn);
    foreach v_role in array array['authenticated', 'service_role'] loop
      execute format('grant execute on function %s to %I', v_fn, v_role);
    end loop;
  end loop;
  if pg_catalog.to_regclass('public.import_schema_migrations') is not null then
    v_tables := v_tables || 'public.import_schema_migrations'::text;
  end if;
  foreach v_table in array v_tables loop
    execute format('revoke all on table %s from public, anon, authenticated', v_table);
  end loop;
end;
$$;
