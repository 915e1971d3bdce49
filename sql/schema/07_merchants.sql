-- Who the app is talking as, and for which merchants.

-- The merchants the caller may work for: all of them for the owner and service_role, the
-- operated ones (with the caller's role) for a signed-in user.
create or replace function import_private.list_merchants()
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform import_private.assert_access(null, 'list_merchants');
  if import_private.caller_is_trusted() then
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
      where o.user_id = import_private.request_user_id()
    ), '[]'::jsonb)
  );
end;
$$;
call import_private.expose('import_private.list_merchants()');

-- The signed-in user and their role per merchant (the desktop app shows it and hides what the
-- role may not do; the database enforces it regardless).
create or replace function import_private.whoami()
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
  perform import_private.assert_access(null, 'list_merchants');
  v_trusted := import_private.caller_is_trusted();
  if not v_trusted then
    v_uid := import_private.request_user_id();
  end if;
  return jsonb_build_object(
    'userId', v_uid,
    'email', coalesce(
      (select u.email::text from auth.users u where u.id = v_uid),
      import_private.request_claims() ->> 'email'
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
call import_private.expose('import_private.whoami()');
