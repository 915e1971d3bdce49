-- Before anything is sent: which of a file's user ids and SKU ids the merchant does not have
-- (an id of another merchant counts as unknown), which transaction numbers it already has, and
-- what each natural key (a member's e-mail, a SKU's code) names for this merchant.
-- Set-based so 30k ids and 30k keys of each kind answer in well under a second.

-- What each e-mail names among the merchant's members: one row per distinct key, the key as
-- compared (trimmed, lower case: e-mails are case-insensitive), how many members have it, the
-- member when exactly one does, and up to 10 candidates when several do. The commit and the
-- re-check use the same function, so the preview and the commit resolve a key the same way.
create or replace function import_private.resolve_user_emails(p_merchant_id uuid, p_emails text[])
returns table (key text, matches int, id uuid, name text, candidates jsonb)
language sql
stable
set search_path = ''
set work_mem = '64MB'
as $$
  with k as materialized (
    select distinct lower(btrim(e.v)) as key
    from unnest(p_emails) as e(v)
    where e.v is not null and btrim(e.v) <> ''
  ),
  m as materialized (
    select k.key, a.id, coalesce(nullif(btrim(a.display_name), ''), a.email) as name
    from k
    join public.user_accounts a
      on a.merchant_id = p_merchant_id and lower(btrim(a.email)) = k.key
  )
  select
    k.key,
    count(m.id)::int,
    case when count(m.id) = 1 then (array_agg(m.id))[1] end,
    case when count(m.id) = 1 then (array_agg(m.name))[1] end,
    case when count(m.id) > 1 then to_jsonb((array_agg(
      jsonb_build_object('id', m.id, 'name', m.name) order by m.name, m.id
    ))[1:10]) end
  from k
  left join m on m.key = k.key
  group by k.key
$$;
revoke all on function import_private.resolve_user_emails(uuid, text[])
  from public, anon, authenticated;

-- The same for SKU codes, compared exactly (codes are case-sensitive; the file's cell is trimmed
-- like every cell before it gets here).
create or replace function import_private.resolve_sku_codes(p_merchant_id uuid, p_codes text[])
returns table (key text, matches int, id uuid, name text, candidates jsonb)
language sql
stable
set search_path = ''
set work_mem = '64MB'
as $$
  with k as materialized (
    select distinct c.v as key
    from unnest(p_codes) as c(v)
    where c.v is not null and c.v <> ''
  ),
  m as materialized (
    select k.key, s.id, s.name
    from k
    join public.skus s on s.merchant_id = p_merchant_id and s.code = k.key
  )
  select
    k.key,
    count(m.id)::int,
    case when count(m.id) = 1 then (array_agg(m.id))[1] end,
    case when count(m.id) = 1 then (array_agg(m.name))[1] end,
    case when count(m.id) > 1 then to_jsonb((array_agg(
      jsonb_build_object('id', m.id, 'name', m.name) order by m.name, m.id
    ))[1:10]) end
  from k
  left join m on m.key = k.key
  group by k.key
$$;
revoke all on function import_private.resolve_sku_codes(uuid, text[])
  from public, anon, authenticated;

create or replace function import_private.check_references(
  p_merchant_id uuid,
  p_user_ids uuid[],
  p_sku_ids uuid[],
  p_transaction_numbers text[],
  p_user_emails text[] default null,
  p_sku_codes text[] default null
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  perform import_private.assert_access(p_merchant_id, 'check');

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
    ), '[]'::jsonb),
    -- Every key sent, resolved or not: {key, id, name, candidates} (id null: unknown when there
    -- are no candidates, ambiguous when there are).
    'userKeys', coalesce((
      select jsonb_agg(jsonb_build_object(
        'key', r.key, 'id', r.id, 'name', r.name, 'candidates', coalesce(r.candidates, '[]')
      ) order by r.key)
      from import_private.resolve_user_emails(p_merchant_id, p_user_emails) as r
    ), '[]'::jsonb),
    'skuKeys', coalesce((
      select jsonb_agg(jsonb_build_object(
        'key', r.key, 'id', r.id, 'name', r.name, 'candidates', coalesce(r.candidates, '[]')
      ) order by r.key)
      from import_private.resolve_sku_codes(p_merchant_id, p_sku_codes) as r
    ), '[]'::jsonb)
  );
end;
$$;
call import_private.expose(
  'import_private.check_references(uuid, uuid[], uuid[], text[], text[], text[])'
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
