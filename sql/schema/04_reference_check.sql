-- Before anything is sent: which of a file's user ids and SKU ids the merchant does not have
-- (an id of another merchant counts as unknown), which transaction numbers it already has, and
-- what each natural key (a member's e-mail, a SKU's code) names for this merchant.
-- Set-based so 30k ids and 30k keys of each kind answer in well under a second.

-- What each natural key names for the merchant: one row per distinct key, the key as compared,
-- how many members or SKUs have it, the one when exactly one does, and up to 10 candidates when
-- several do. p_column says which key: 'user_email' (a member's e-mail, trimmed and lower case:
-- e-mails are case-insensitive) or 'sku_code' (a SKU's code, compared exactly: codes are
-- case-sensitive, and the file's cell is trimmed like every cell before it gets here). The
-- preview, the commit and the re-check all resolve keys here, so they resolve a key the same way.
create or replace function import_private.resolve_keys(
  p_merchant_id uuid,
  p_column text,
  p_keys text[]
)
returns table (key text, matches int, id uuid, name text, candidates jsonb)
language sql
stable
set search_path = ''
set work_mem = '64MB'
as $$
  with k as materialized (
    select distinct x.key
    from (
      select case when p_column = 'user_email' then lower(btrim(e.v)) else e.v end as key
      from unnest(p_keys) as e(v)
    ) as x
    where x.key <> ''
  ),
  -- Only the branch of the key asked for runs (the other's condition is false before any row).
  m as materialized (
    select k.key, a.id, coalesce(nullif(btrim(a.display_name), ''), a.email) as name
    from k
    join public.user_accounts a
      on a.merchant_id = p_merchant_id and lower(btrim(a.email)) = k.key
    where p_column = 'user_email'
    union all
    select k.key, s.id, s.name
    from k
    join public.skus s on s.merchant_id = p_merchant_id and s.code = k.key
    where p_column = 'sku_code'
  ),
  -- One row per key found; the candidates are gathered for shared keys only (a sort per key).
  c as materialized (
    select m.key, count(*)::int as n, (array_agg(m.id))[1] as id, (array_agg(m.name))[1] as name
    from m
    group by m.key
  ),
  shared as (
    select m.key, to_jsonb((array_agg(
      jsonb_build_object('id', m.id, 'name', m.name) order by m.name, m.id
    ))[1:10]) as candidates
    from m
    where m.key in (select c.key from c where c.n > 1)
    group by m.key
  )
  select
    k.key,
    coalesce(c.n, 0),
    case when c.n = 1 then c.id end,
    case when c.n = 1 then c.name end,
    s.candidates
  from k
  left join c on c.key = k.key
  left join shared s on s.key = k.key
$$;
revoke all on function import_private.resolve_keys(uuid, text, text[])
  from public, anon, authenticated;

create or replace function import_private.check_references(
  p_merchant_id uuid,
  p_user_ids uuid[],
  p_sku_ids uuid[],
  p_transaction_numbers text[],
  p_user_emails text[] default null,
  p_sku_codes text[] default null,
  p_key_names boolean default false
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_user_keys jsonb := '{}';
  v_sku_keys jsonb := '{}';
begin
  perform import_private.assert_access(p_merchant_id, 'check');

  -- Natural keys, answered in the order they were sent (positional, so 30k keys do not travel
  -- back twice): the id each names (null: nobody has it, or several do), the names only when
  -- asked (the preview asks for the cells on screen), and the candidates of shared keys.
  if coalesce(cardinality(p_user_emails), 0) > 0 then
    with r as materialized (
      select * from import_private.resolve_keys(p_merchant_id, 'user_email', p_user_emails)
    ),
    sent as (
      select e.n, r.id, r.name
      from unnest(p_user_emails) with ordinality as e(v, n)
      left join r on r.key = lower(btrim(e.v)) and r.matches = 1
    )
    select jsonb_build_object(
      'userKeyIds', (select jsonb_agg(s.id order by s.n) from sent s),
      'sharedUserKeys', coalesce((
        select jsonb_agg(jsonb_build_object('key', r.key, 'candidates', r.candidates))
        from r where r.matches > 1
      ), '[]'::jsonb)
    ) || case when p_key_names
      then jsonb_build_object('userKeyNames', (select jsonb_agg(s.name order by s.n) from sent s))
      else '{}'::jsonb end
    into v_user_keys;
  end if;
  if coalesce(cardinality(p_sku_codes), 0) > 0 then
    with r as materialized (
      select * from import_private.resolve_keys(p_merchant_id, 'sku_code', p_sku_codes)
    ),
    sent as (
      select c.n, r.id, r.name
      from unnest(p_sku_codes) with ordinality as c(v, n)
      left join r on r.key = c.v and r.matches = 1
    )
    select jsonb_build_object(
      'skuKeyIds', (select jsonb_agg(s.id order by s.n) from sent s),
      'sharedSkuKeys', coalesce((
        select jsonb_agg(jsonb_build_object('key', r.key, 'candidates', r.candidates))
        from r where r.matches > 1
      ), '[]'::jsonb)
    ) || case when p_key_names
      then jsonb_build_object('skuKeyNames', (select jsonb_agg(s.name order by s.n) from sent s))
      else '{}'::jsonb end
    into v_sku_keys;
  end if;

  return jsonb_build_object(
    'unknownUserIds', coalesce((
      select jsonb_agg(d.id order by d.id)
      from (select distinct u.id from unnest(p_user_ids) as u(id) where u.id is not null) as d
      where not exists (
        select 1 from public.user_accounts a where a.id = d.id and a.merchant_id = p_merchant_id
      )
    ), '[]'::jsonb),
    'unknownSkuIds', coalesce((
      select jsonb_agg(d.id order by d.id)
      from (select distinct s.id from unnest(p_sku_ids) as s(id) where s.id is not null) as d
      where not exists (
        select 1 from public.skus k where k.id = d.id and k.merchant_id = p_merchant_id
      )
    ), '[]'::jsonb),
    'existingTransactions', coalesce((
      select jsonb_agg(
        jsonb_build_object('transactionNumber', p.transaction_number, 'batchId', p.import_batch_id)
        order by p.transaction_number
      )
      from public.purchases p
      where p.merchant_id = p_merchant_id
        and p.transaction_number in (
          select t.n from unnest(p_transaction_numbers) as t(n) where t.n is not null
        )
    ), '[]'::jsonb)
  ) || v_user_keys || v_sku_keys;
end;
$$;
call import_private.expose(
  'import_private.check_references(uuid, uuid[], uuid[], text[], text[], text[], boolean)'
);

-- Candidates of a shared key as a sentence part: "3f2c… (Alice Martin), 9a41… (A. Martin)".
create or replace function import_private.describe_candidates(p_candidates jsonb)
returns text
language sql
immutable
set search_path = ''
as $$
  select coalesce(string_agg(
    format('%s (%s)', c.value ->> 'id', coalesce(c.value ->> 'name', 'no name')), ', '
    order by c.ordinality
  ), '')
  from jsonb_array_elements(coalesce(p_candidates, '[]'::jsonb)) with ordinality as c(value, ordinality)
$$;
revoke all on function import_private.describe_candidates(jsonb) from public, anon, authenticated;
