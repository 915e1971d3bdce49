-- Managing a merchant's operators from the app: list, grant or change a role (by the e-mail the
-- person signs in with), remove. Admins of that merchant only (or the owner / service_role).
-- A merchant never loses its last admin through these calls, so it cannot lock itself out; the
-- database owner can always repair by SQL.

create or replace function import_private.operator_json(p_user_id uuid, p_merchant_id uuid)
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
    'createdAt', import_private.iso_time(o.created_at),
    'createdBy', o.created_by
  )
  from public.import_operators o
  left join auth.users u on u.id = o.user_id
  where o.user_id = p_user_id and o.merchant_id = p_merchant_id
$$;
revoke all on function import_private.operator_json(uuid, uuid) from public, anon, authenticated;

-- Raises unless the merchant keeps an admin other than p_user_id.
create or replace function import_private.assert_other_admin(p_merchant_id uuid, p_user_id uuid)
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
revoke all on function import_private.assert_other_admin(uuid, uuid)
  from public, anon, authenticated;

create or replace function import_private.list_operators(p_merchant_id uuid)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform import_private.assert_access(p_merchant_id, 'manage_operators');
  return jsonb_build_object(
    'operators', coalesce((
      select jsonb_agg(import_private.operator_json(o.user_id, o.merchant_id)
        order by u.email, o.user_id)
      from public.import_operators o
      left join auth.users u on u.id = o.user_id
      where o.merchant_id = p_merchant_id
    ), '[]'::jsonb)
  );
end;
$$;
call import_private.expose('import_private.list_operators(uuid)');

create or replace function import_private.set_operator(
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
  perform import_private.assert_access(p_merchant_id, 'manage_operators');
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
    perform import_private.assert_other_admin(p_merchant_id, v_user_id);
  end if;

  insert into public.import_operators as o (user_id, merchant_id, role, created_by)
  values (v_user_id, p_merchant_id, p_role, import_private.current_actor())
  on conflict (user_id, merchant_id) do update set role = excluded.role;
  return import_private.operator_json(v_user_id, p_merchant_id);
end;
$$;
call import_private.expose('import_private.set_operator(uuid, text, text)');

create or replace function import_private.remove_operator(p_merchant_id uuid, p_user_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  perform import_private.assert_access(p_merchant_id, 'manage_operators');
  perform pg_advisory_xact_lock(
    hashtextextended('public.import_operators:' || p_merchant_id::text, 0)
  );
  select o.role into v_role
  from public.import_operators o
  where o.user_id = p_user_id and o.merchant_id = p_merchant_id;
  if v_role = 'admin' then
    perform import_private.assert_other_admin(p_merchant_id, p_user_id);
  end if;
  delete from public.import_operators o
  where o.user_id = p_user_id and o.merchant_id = p_merchant_id;
  return jsonb_build_object('removed', v_role is not null);
end;
$$;
call import_private.expose('import_private.remove_operator(uuid, uuid)');
