-- Authorization: every import function asks public.import_assert_access(merchant, action), and
-- this file makes that question real. Who is calling is decided as Supabase decides it:
--   * service_role (the server key, for automation), and direct connections by the database
--     owner or a superuser (migrations, CLI automation, sandbox): allowed. They own the tables
--     anyway; checking JWT claims they could set themselves would protect nothing.
--   * a signed-in user (auth.uid() from the JWT PostgREST verified): their row in
--     public.import_operators for that merchant, and the role's permissions below;
--   * anon, 'authenticated' without a user, or any other role: refused.
-- Refusals are SQLSTATE 42501 (PostgREST answers 403, or 401 for anon). Safe to re-run.

-- The permission matrix, in one place (README "Supabase" shows the same table).
create or replace function public.import_role_allows(p_role text, p_action text)
returns boolean
language sql
immutable
set search_path = ''
as $$
  select case p_action
    when 'check' then p_role in ('operator', 'admin')          -- preview: reference check
    when 'import' then p_role in ('operator', 'admin')         -- begin, stage
    when 'commit' then p_role in ('operator', 'admin', 'support') -- the commit call; the
    -- status guard below then asks 'commit_pending' (a new import) or 'retry' (a failed batch)
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

-- The database role a request runs as: PostgREST switches with SET ROLE (visible as the 'role'
-- setting even inside security definer functions, where current_user is the owner); a direct
-- connection that did not switch is its login role.
create or replace function public.import_caller_db_role()
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(current_setting('role', true), 'none'), session_user::text)
$$;

-- service_role, a superuser, or a member of the role that owns the import functions (called from
-- their security definer functions, current_user is that owner).
create or replace function public.import_caller_is_trusted()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((
    select r.rolname = 'service_role'
      or r.rolsuper
      or pg_catalog.pg_has_role(r.oid, current_user, 'MEMBER')
    from pg_catalog.pg_roles r
    where r.rolname = public.import_caller_db_role()
  ), false)
$$;

create or replace function public.import_assert_access(p_merchant_id uuid, p_action text)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  v_claims jsonb;
  v_uid uuid;
  v_db_role text := public.import_caller_db_role();
  v_role text;
begin
  if p_action is null then
    raise exception 'import_assert_access: an action is required';
  end if;
  begin
    v_claims := nullif(current_setting('request.jwt.claims', true), '')::jsonb;
  exception when others then
    v_claims := null;
  end;
  if v_db_role = 'anon' or v_claims ->> 'role' = 'anon' then
    raise exception using
      errcode = '42501',
      message = 'Sign in to use the purchase import.',
      hint = 'The anon key alone may not call import functions.';
  end if;
  if public.import_caller_is_trusted() then
    return;
  end if;

  begin
    v_uid := (select auth.uid());
  exception when others then
    raise exception using
      errcode = '42501',
      message = 'The request''s JWT claims are unreadable.';
  end;
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
  if not public.import_role_allows(v_role, p_action) then
    raise exception using
      errcode = '42501',
      message = format('Your role %s for merchant %s does not allow %s.',
        v_role, p_merchant_id, replace(p_action, '_', ' ')),
      hint = 'See the permission matrix in the README (Supabase).';
  end if;
end;
$$;

-- import_commit_batch serves both a new import (operator, admin) and a retry of a failed batch
-- (support, admin); which one it is shows only once the batch is locked. This guard checks the
-- status change itself, so whichever function moves a batch out of pending or failed, the
-- caller must hold the matching permission; a refusal rolls the whole commit back.
create or replace function public.import_guard_batch_status()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform public.import_assert_access(
    new.merchant_id,
    case when old.status = 'failed' then 'retry' else 'commit_pending' end
  );
  return new;
end;
$$;

drop trigger if exists bulk_import_batches_guard_status on public.bulk_import_batches;
create trigger bulk_import_batches_guard_status
  before update on public.bulk_import_batches
  for each row
  -- also a failed batch that fails again (its errors are rewritten): that is a retry too
  when (old.status is distinct from new.status or old.status = 'failed')
  execute function public.import_guard_batch_status();

-- The merchants the caller may work for: all of them for the owner and service_role, the
-- operated ones (with the caller's role) for a signed-in user. Same shape as 0008's, plus role
-- for users.
create or replace function public.import_list_merchants()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform public.import_assert_access(null, 'list_merchants');
  if public.import_caller_is_trusted() then
    return jsonb_build_object(
      'merchants', coalesce((
        select jsonb_agg(jsonb_build_object('id', m.id, 'name', m.name) order by m.name, m.id)
        from public.merchants m
      ), '[]'::jsonb)
    );
  end if;
  return jsonb_build_object(
    'merchants', coalesce((
      select jsonb_agg(
        jsonb_build_object('id', m.id, 'name', m.name, 'role', o.role) order by m.name, m.id
      )
      from public.import_operators o
      join public.merchants m on m.id = o.merchant_id
      where o.user_id = (select auth.uid())
    ), '[]'::jsonb)
  );
end;
$$;

-- As 0008's, asking for 'recheck' (support, admin) instead of 'read'.
create or replace function public.import_recheck_batch(p_batch_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_check jsonb;
begin
  v_batch := public.import_find_batch(p_batch_id);
  perform public.import_assert_access(v_batch.merchant_id, 'recheck');
  v_check := public.import_validate_staged(p_batch_id);
  return jsonb_build_object(
    'batchId', v_batch.id,
    'ok', jsonb_array_length(v_check -> 'errors') = 0,
    'errors', v_check -> 'errors',
    'unknownUserIds', v_check -> 'unknownUserIds',
    'unknownSkuIds', v_check -> 'unknownSkuIds',
    'existingTransactions', v_check -> 'existingTransactions'
  );
end;
$$;

-- Who the app is talking as: the signed-in user and their role per merchant (the desktop app
-- shows it and hides what the role may not do; the database enforces it regardless).
create or replace function public.import_whoami()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_uid uuid;
  v_trusted boolean;
begin
  perform public.import_assert_access(null, 'list_merchants');
  v_trusted := public.import_caller_is_trusted();
  if not v_trusted then
    v_uid := (select auth.uid());
  end if;
  return jsonb_build_object(
    'userId', v_uid,
    'email', coalesce(
      (select u.email::text from auth.users u where u.id = v_uid),
      nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'email'
    ),
    -- true for service_role and owner connections: every merchant, every action
    'unrestricted', v_trusted,
    'merchants', coalesce((
      select jsonb_agg(
        jsonb_build_object('id', m.id, 'name', m.name, 'role', o.role) order by m.name, m.id
      )
      from public.import_operators o
      join public.merchants m on m.id = o.merchant_id
      where o.user_id = v_uid
    ), '[]'::jsonb)
  );
end;
$$;

-- Row-level security on the import's tables. Clients have no table grants (0009): the functions
-- are the API. These policies make a future grant (say, select for Realtime progress) safe by
-- default: a signed-in user sees only batches of merchants they operate.
create or replace function public.import_my_merchant_ids()
returns setof uuid
language sql
stable
security definer
set search_path = ''
as $$
  select o.merchant_id from public.import_operators o where o.user_id = (select auth.uid())
$$;

drop policy if exists import_batches_operators_select on public.bulk_import_batches;
create policy import_batches_operators_select on public.bulk_import_batches
  for select to authenticated
  using (merchant_id in (select public.import_my_merchant_ids()));

drop policy if exists import_staged_chunks_operators_select on public.bulk_import_staged_chunks;
create policy import_staged_chunks_operators_select on public.bulk_import_staged_chunks
  for select to authenticated
  using (batch_id in (
    select b.id from public.bulk_import_batches b
    where b.merchant_id in (select public.import_my_merchant_ids())
  ));

drop policy if exists import_staged_rows_operators_select on public.bulk_import_staged_rows;
create policy import_staged_rows_operators_select on public.bulk_import_staged_rows
  for select to authenticated
  using (batch_id in (
    select b.id from public.bulk_import_batches b
    where b.merchant_id in (select public.import_my_merchant_ids())
  ));

drop policy if exists import_operators_self_select on public.import_operators;
create policy import_operators_self_select on public.import_operators
  for select to authenticated
  using (user_id = (select auth.uid()));

-- Grants, as in 0009: client functions to authenticated and service_role, helpers to nobody
-- (the policy helper to authenticated, which evaluates the policies).
do $$
declare
  v_api text[] := array[
    'public.import_list_merchants()',
    'public.import_recheck_batch(uuid)',
    'public.import_whoami()',
    'public.import_my_merchant_ids()'
  ];
  v_internal text[] := array[
    'public.import_role_allows(text, text)',
    'public.import_caller_db_role()',
    'public.import_caller_is_trusted()',
    'public.import_assert_access(uuid, text)',
    'public.import_guard_batch_status()'
  ];
  v_fn text;
  v_role text;
begin
  foreach v_fn in array v_api || v_internal loop
    execute format('revoke all on function %s from public', v_fn);
    foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
      execute format('revoke all on function %s from %I', v_fn, v_role);
    end loop;
  end loop;
  foreach v_fn in array v_api loop
    foreach v_role in array array['authenticated', 'service_role'] loop
      execute format('grant execute on function %s to %I', v_fn, v_role);
    end loop;
  end loop;
end;
$$;
