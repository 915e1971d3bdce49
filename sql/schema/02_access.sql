-- The one place every import function asks "may the caller do this for this merchant?", and the
-- one lookup every batch function starts with. Refusals are SQLSTATE 42501 (PostgREST answers
-- 403, or 401 for anon).
--   * service_role, the owner and superusers (import_private.caller_is_trusted): allowed;
--   * a signed-in user on a PostgREST session: their row in public.import_operators for that
--     merchant, and that role's permissions below;
--   * anon, `authenticated` without a user, claims from any other session, any other role:
--     refused.

-- The permission matrix, in one place (the README's "Supabase" section shows the same table).
create or replace function import_private.role_allows(p_role text, p_action text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case p_action
    when 'check' then p_role in ('operator', 'admin')          -- preview: reference check
    when 'import' then p_role in ('operator', 'admin')         -- begin, stage, cancel
    when 'commit' then p_role in ('operator', 'admin', 'support') -- the commit call; the
    -- status guard then asks 'commit_pending' (a new import) or 'retry' (a failed batch)
    when 'commit_pending' then p_role in ('operator', 'admin')
    when 'retry' then p_role in ('support', 'admin')
    when 'read' then p_role in ('operator', 'admin', 'support') -- history list, batch detail
    when 'recheck' then p_role in ('support', 'admin')
    when 'lookup' then p_role in ('operator', 'admin', 'support') -- SKU and user pick lists
    when 'fix' then p_role = 'admin'                           -- enforced by the app
    when 'manage_operators' then p_role = 'admin'
    else false
  end
$$;
revoke all on function import_private.role_allows(text, text) from public, anon, authenticated;

-- p_action: see role_allows, plus 'list_merchants' (p_merchant_id null).
create or replace function import_private.assert_access(p_merchant_id uuid, p_action text)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  v_db_role text := import_private.caller_db_role();
  v_uid uuid;
  v_role text;
begin
  if p_action is null then
    raise exception 'import_private.assert_access: an action is required';
  end if;
  if v_db_role = 'anon' or import_private.request_claims() ->> 'role' = 'anon' then
    raise exception using
      errcode = '42501',
      message = 'Sign in to use the purchase import.',
      hint = 'The anon key alone may not call import functions.';
  end if;
  if import_private.caller_is_trusted() then
    return;
  end if;
  if session_user::text <> 'authenticator' then
    raise exception using
      errcode = '42501',
      message = format(
        'Role %s may not use the purchase import: signed-in users are accepted only through the API.',
        session_user
      ),
      hint = 'Sign in through the Supabase API, or connect as the database owner.';
  end if;

  v_uid := import_private.request_user_id();
  if v_uid is null then
    raise exception using
      errcode = '42501',
      message = format('Role %s may not use the purchase import without a signed-in user.',
        v_db_role),
      hint = 'Sign in with Supabase Auth, or use the service key for server automation.';
  end if;

  -- A signed-in user. Which merchants they operate is filtered by the listing itself.
  if p_action = 'list_merchants' then
    return;
  end if;
  if p_merchant_id is null then
    raise exception using errcode = '42501', message = format('%s needs a merchant.', p_action);
  end if;
  select o.role into v_role
  from public.import_operators o
  where o.user_id = v_uid and o.merchant_id = p_merchant_id;
  if v_role is null then
    raise exception using
      errcode = '42501',
      message = format('You are not an operator of merchant %s.', p_merchant_id),
      hint = 'An admin of the merchant can add you (README: Supabase, creating operators).';
  end if;
  if not import_private.role_allows(v_role, p_action) then
    raise exception using
      errcode = '42501',
      message = format('Your role %s for merchant %s does not allow %s.',
        v_role, p_merchant_id, replace(p_action, '_', ' ')),
      hint = 'See the permission matrix in the README (Supabase).';
  end if;
end;
$$;
revoke all on function import_private.assert_access(uuid, text) from public, anon, authenticated;

-- The merchants the signed-in user operates (the row-level security policies' question).
create or replace function import_private.my_merchant_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select o.merchant_id
  from public.import_operators o
  where o.user_id = import_private.request_user_id()
$$;
revoke all on function import_private.my_merchant_ids() from public, anon, authenticated;
grant execute on function import_private.my_merchant_ids() to authenticated;

-- A batch by id. An unknown id, and a batch of a merchant the caller does not operate, are both
-- 'no_data_found' (P0002) with the same message: probing ids reveals nothing.
create or replace function import_private.find_batch(p_batch_id uuid)
returns public.bulk_import_batches
language plpgsql
stable
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_visible boolean;
begin
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id;
  v_visible := found;
  if v_visible and not import_private.caller_is_trusted() then
    -- Not signed in (anon, forged or unreadable claims): refused before anything shows.
    if import_private.request_user_id() is null or session_user::text <> 'authenticator' then
      perform import_private.assert_access(null, 'read');
    end if;
    v_visible := v_batch.merchant_id in (select import_private.my_merchant_ids());
  end if;
  if not v_visible then
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', coalesce(p_batch_id::text, 'null'));
  end if;
  return v_batch;
end;
$$;
revoke all on function import_private.find_batch(uuid) from public, anon, authenticated;

-- How many rows a batch has staged: the sum of its chunk records. Staging writes no count to the
-- batch row (chunks of one batch stage side by side, holding it in share mode: see stage_chunk in
-- 05_batch_lifecycle.sql); the commit and the cancel write it there when the batch leaves pending.
create or replace function import_private.staged_row_count(p_batch_id uuid)
returns integer
language sql
stable
set search_path = ''
as $$
  select coalesce(sum(c.row_count), 0)::int
  from public.bulk_import_staged_chunks c
  where c.batch_id = p_batch_id
$$;
revoke all on function import_private.staged_row_count(uuid) from public, anon, authenticated;

-- How a batch reads as JSON: the shape of BatchSummary / BatchDetail in shared/db/rpc-contract.ts.
-- With p_errors_limit (BatchDetail): the summary of its errors by cause and one page of them in
-- row order (bulk_import_batch_errors' key is that order: a page is an index range).
create or replace function import_private.batch_json(
  p_batch public.bulk_import_batches,
  p_errors_limit integer,
  p_errors_offset integer
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
    -- An open batch (migrations/0012: begun before its file was read to the end, not sealed)
    -- knows no total yet: it reports the rows staged so far.
    'totalRows', coalesce(p_batch.total_rows, case
      when p_batch.status = 'pending' then import_private.staged_row_count(p_batch.id)
      else p_batch.staged_rows
    end),
    'stagedRows', case
      when p_batch.status = 'pending' then import_private.staged_row_count(p_batch.id)
      else p_batch.staged_rows
    end,
    'open', p_batch.total_rows is null and p_batch.status = 'pending',
    'importedPurchases', p_batch.imported_purchases,
    'importedItems', p_batch.imported_items,
    'errorMessage', p_batch.error_message,
    'errorCount', p_batch.error_count,
    'createdBy', p_batch.created_by,
    'createdAt', import_private.iso_time(p_batch.created_at),
    'startedAt', import_private.iso_time(p_batch.started_at),
    'completedAt', import_private.iso_time(p_batch.completed_at)
  ) || case
    when p_errors_limit is null then '{}'::jsonb
    else jsonb_build_object(
      'audit', p_batch.audit,
      'errorSummary', p_batch.error_summary,
      'errorsOffset', greatest(coalesce(p_errors_offset, 0), 0),
      'errors', coalesce((
        select jsonb_agg(jsonb_build_object(
          'row', e.row_number, 'column', nullif(e.column_name, ''), 'code', e.code,
          'message', e.message, 'value', e.value
        ) order by e.row_number, e.column_name, e.code)
        from (
          select x.* from public.bulk_import_batch_errors x
          where x.batch_id = p_batch.id
          order by x.row_number, x.column_name, x.code
          limit least(greatest(p_errors_limit, 0), 5000)
          offset greatest(coalesce(p_errors_offset, 0), 0)
        ) as e
      ), '[]'::jsonb)
    )
  end
$$;
revoke all on function import_private.batch_json(public.bulk_import_batches, integer, integer)
  from public, anon, authenticated;
