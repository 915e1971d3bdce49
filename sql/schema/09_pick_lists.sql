-- Pick lists for the app's fix step (replace an unknown SKU or user id with a real one): a
-- merchant's SKUs and members matching a search text, a page at a time. Read-only; the user
-- must be allowed 'lookup' for the merchant.

-- The user's text matched literally (LIKE wildcards escaped), or null for "no filter".
create or replace function import_private.like_pattern(p_search text)
returns text
language sql
immutable
set search_path = ''
as $$
  select case
    when nullif(btrim(coalesce(p_search, '')), '') is null then null
    else '%' || replace(replace(replace(btrim(p_search), '\', '\\'), '%', '\%'), '_', '\_') || '%'
  end
$$;
revoke all on function import_private.like_pattern(text) from public, anon, authenticated;

create or replace function import_private.list_skus(
  p_merchant_id uuid,
  p_search text,
  p_limit integer
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_pattern text := import_private.like_pattern(p_search);
  v_limit int := least(greatest(coalesce(p_limit, 50), 1), 200);
begin
  perform import_private.assert_access(p_merchant_id, 'lookup');
  return jsonb_build_object(
    'skus', coalesce((
      select jsonb_agg(jsonb_build_object('id', k.id, 'code', k.code, 'name', k.name)
        order by k.code, k.name, k.id)
      from (
        select s.id, s.code, s.name
        from public.skus s
        where s.merchant_id = p_merchant_id
          and (
            v_pattern is null
            or s.code ilike v_pattern
            or s.name ilike v_pattern
            -- starts_with, not LIKE: a search for % or _ must not match every id.
            or starts_with(s.id::text, lower(btrim(p_search)))
          )
        order by s.code, s.name, s.id
        limit v_limit
      ) as k
    ), '[]'::jsonb)
  );
end;
$$;
call import_private.expose('import_private.list_skus(uuid, text, integer)');

create or replace function import_private.list_users(
  p_merchant_id uuid,
  p_search text,
  p_limit integer
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_pattern text := import_private.like_pattern(p_search);
  v_limit int := least(greatest(coalesce(p_limit, 50), 1), 200);
begin
  perform import_private.assert_access(p_merchant_id, 'lookup');
  return jsonb_build_object(
    'users', coalesce((
      select jsonb_agg(
        jsonb_build_object('id', x.id, 'email', x.email, 'displayName', x.display_name)
        order by x.email, x.id
      )
      from (
        select a.id, a.email, a.display_name
        from public.user_accounts a
        where a.merchant_id = p_merchant_id
          and (
            v_pattern is null
            or a.email ilike v_pattern
            or a.display_name ilike v_pattern
            or starts_with(a.id::text, lower(btrim(p_search)))
          )
        order by a.email, a.id
        limit v_limit
      ) as x
    ), '[]'::jsonb)
  );
end;
$$;
call import_private.expose('import_private.list_users(uuid, text, integer)');
