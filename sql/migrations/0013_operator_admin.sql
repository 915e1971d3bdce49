-- Managing a merchant's operators from the app: list, grant or change a role (by the e-mail the
-- person signs in with), remove. Admins of that merchant only (or the owner / service_role).
-- A merchant never loses its last admin through these calls, so it cannot lock itself out; the
-- database owner can always repair by SQL. Safe to re-run.

create or replace function public.import_operator_json(p_user_id uuid, p_merchant_id uuid)
returns jsonb
language sql
stable
set search_path = ''
as $$
  select jsonb_build_object(
    'userId', o.user_id,
    'email', u.email,
    'merchantId', o.merchant_id,
    'role', o.role,
    'createdAt', public.import_iso_time(o.created_at),
    'createdBy', o.created_by
  )
  from public.import_operators o
  left join auth.users u on u.id = o.user_id
  where o.user_id = p_user_id and o.merchant_id = p_merchant_id
$$;

-- Raises unless the merchant keeps an admin other than p_user_id.
create or replace function public.import_assert_other_admin(p_merchant_id uuid, p_user_id uuid)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not exists (
    select 1 from public.import_operators o
    where o.merchant_id = p_merchant_id and o.role = 'admin' and o.user_id <> p_user_id
  ) then
    raise exception using
      errcode = 'P0001',
      message = format('Merchant %s would have no admin left.', p_merchant_id),
      hint = 'Make someone else admin first.';
  end if;
end;
$$;

create or replace function public.import_list_operators(p_merchant_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform public.import_assert_access(p_merchant_id, 'manage_operators');
  return jsonb_build_object(
    'operators', coalesce((
      select jsonb_agg(public.import_operator_json(o.user_id, o.merchant_id)
        order by u.email, o.user_id)
      from public.import_operators o
      left join auth.users u on u.id = o.user_id
      where o.merchant_id = p_merchant_id
    ), '[]'::jsonb)
  );
end;
$$;

create or replace function public.import_set_operator(
  p_merchant_id uuid,
  p_email text,
  p_role text
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_user_id uuid;
  v_old_role text;
begin
  perform public.import_assert_access(p_merchant_id, 'manage_operators');
  if p_role is null or p_role not in ('operator', 'admin', 'support') then
    raise exception 'Unknown role %: use operator, admin or support.', coalesce(p_role, 'null');
  end if;
  if not exists (select 1 from public.merchants m where m.id = p_merchant_id) then
    raise exception using
      errcode = 'P0002',
      message = format('Merchant %s does not exist.', coalesce(p_merchant_id::text, 'null'));
  end if;
  select u.id into v_user_id
  from auth.users u
  where lower(u.email) = lower(btrim(coalesce(p_email, '')));
  if v_user_id is null then
    raise exception using
      errcode = 'P0002',
      message = format('No Supabase Auth user signs in as %s.', coalesce(p_email, 'null')),
      hint = 'Invite or create the user in Supabase Auth first.';
  end if;

  -- Serialises admin changes of one merchant, so two admins demoting each other at once cannot
  -- both pass the last-admin check.
  perform pg_advisory_xact_lock(
    hashtextextended('public.import_operators:' || p_merchant_id::text, 0)
  );
  select o.role into v_old_role
  from public.import_operators o
  where o.user_id = v_user_id and o.merchant_id = p_merchant_id;
  if v_old_role = 'admin' and p_role <> 'admin' then
    perform public.import_assert_other_admin(p_merchant_id, v_user_id);
  end if;

  insert into public.import_operators as o (user_id, merchant_id, role, created_by)
  values (v_user_id, p_merchant_id, p_role, public.import_current_actor())
  on conflict (user_id, merchant_id) do update set role = excluded.role;
  return public.import_operator_json(v_user_id, p_merchant_id);
end;
$$;

create or replace function public.import_remove_operator(p_merchant_id uuid, p_user_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  perform public.import_assert_access(p_merchant_id, 'manage_operators');
  perform pg_advisory_xact_lock(
    hashtextextended('public.import_operators:' || p_merchant_id::text, 0)
  );
  select o.role into v_role
  from public.import_operators o
  where o.user_id = p_user_id and o.merchant_id = p_merchant_id;
  if v_role = 'admin' then
    perform public.import_assert_other_admin(p_merchant_id, p_user_id);
  end if;
  delete from public.import_operators o
  where o.user_id = p_user_id and o.merchant_id = p_merchant_id;
  return jsonb_build_object('removed', v_role is not null);
end;
$$;

do $$
declare
  v_api text[] := array[
    'public.import_list_operators(uuid)',
    'public.import_set_operator(uuid, text, text)',
    'public.import_remove_operator(uuid, uuid)'
  ];
  v_internal text[] := array[
    'public.import_operator_json(uuid, uuid)',
    'public.import_assert_other_admin(uuid, uuid)'
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
