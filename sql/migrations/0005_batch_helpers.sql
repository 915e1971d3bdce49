-- Internal helpers shared by the batch functions: how a batch reads as JSON (the shape of
-- BatchSummary/BatchDetail in shared/db/rpc-contract.ts) and who is calling. Not callable by
-- clients (see the grants migration). Safe to re-run.

-- UTC with a 'Z', independent of the session's TimeZone, so every client parses the same instant.
create or replace function public.import_iso_time(p_time timestamptz)
returns text
language sql
immutable
set search_path = ''
as $$
  select to_char(p_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;

-- Through PostgREST the caller is named by the JWT; on a direct connection by the login role.
-- (current_user would name this function's owner inside a security definer function.)
create or replace function public.import_current_actor()
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_claims jsonb;
begin
  begin
    v_claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  exception when others then
    v_claims := null; -- a malformed claims setting must not block an import
  end;
  return coalesce(
    nullif(v_claims ->> 'email', ''),
    nullif(v_claims ->> 'sub', ''),
    session_user::text
  );
end;
$$;

create or replace function public.import_batch_json(
  p_batch public.bulk_import_batches,
  p_with_errors boolean
)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'id', p_batch.id,
    'merchantId', p_batch.merchant_id,
    'name', p_batch.batch_name,
    'status', p_batch.status,
    'fileName', p_batch.file_name,
    'fileSha256', p_batch.file_sha256,
    'totalRows', p_batch.total_rows,
    'stagedRows', p_batch.staged_rows,
    'importedPurchases', p_batch.imported_purchases,
    'importedItems', p_batch.imported_items,
    'errorMessage', p_batch.error_message,
    'errorCount', p_batch.error_count,
    'createdBy', p_batch.created_by,
    'createdAt', public.import_iso_time(p_batch.created_at),
    'startedAt', public.import_iso_time(p_batch.started_at),
    'completedAt', public.import_iso_time(p_batch.completed_at)
  ) || case
    when p_with_errors then jsonb_build_object('errors', p_batch.errors)
    else '{}'::jsonb
  end
$$;

-- The one lookup every batch function starts with: unknown ids are 'no_data_found' (P0002).
create or replace function public.import_find_batch(p_batch_id uuid)
returns public.bulk_import_batches
language plpgsql
stable
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
begin
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id;
  if not found then
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', coalesce(p_batch_id::text, 'null'));
  end if;
  return v_batch;
end;
$$;
