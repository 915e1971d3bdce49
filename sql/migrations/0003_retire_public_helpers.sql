-- The pre-1.0 layout defined the import's internal helpers in `public`, the schema PostgREST
-- exposes, and its client functions as security definer there (Supabase's Security Advisor
-- warns about each). sql/schema now keeps every body in `import_private` and exposes security
-- invoker functions under the same public names. This drops what that layout left behind:
-- triggers and policies that call the old helpers first, then the helpers, then its bookkeeping
-- table (migrate keeps its own in import_private). A no-op on a new database.

drop trigger if exists bulk_import_batches_guard_status on public.bulk_import_batches;
drop trigger if exists bulk_import_staged_chunks_delete_rows on public.bulk_import_staged_chunks;
drop policy if exists import_batches_operators_select on public.bulk_import_batches;
drop policy if exists import_staged_chunks_operators_select on public.bulk_import_staged_chunks;
drop policy if exists import_staged_rows_operators_select on public.bulk_import_staged_rows;
drop policy if exists import_operators_self_select on public.import_operators;

drop function if exists public.import_assert_access(uuid, text);
drop function if exists public.import_iso_time(timestamptz);
drop function if exists public.import_current_actor();
drop function if exists public.import_batch_json(public.bulk_import_batches, boolean);
drop function if exists public.import_find_batch(uuid);
drop function if exists public.import_check_staged_rows(uuid, integer, integer, integer);
drop function if exists public.import_validate_staged(uuid);
drop function if exists public.import_delete_staged_chunk_rows();
drop function if exists public.import_role_allows(text, text);
drop function if exists public.import_caller_db_role();
drop function if exists public.import_caller_is_trusted();
drop function if exists public.import_guard_batch_status();
drop function if exists public.import_my_merchant_ids();
drop function if exists public.import_operator_json(uuid, uuid);
drop function if exists public.import_assert_other_admin(uuid, uuid);
drop function if exists public.import_like_pattern(text);
-- API functions whose signature changed since (overloads would make calls ambiguous).
drop function if exists public.import_get_batch(uuid);
drop function if exists public.import_recheck_batch(uuid);
drop function if exists public.import_begin_batch(uuid, text, text, text, text, integer, integer);

drop table if exists public.import_schema_migrations;
