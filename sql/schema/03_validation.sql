-- The server-side check of a batch's staged rows against current data. Commit and recheck both
-- ask import_private.staged_errors, so "recheck says ok" means "commit would insert"; both
-- describe errors with import_private.error_report. Set-based: a handful of scans over the
-- batch's rows, no per-row loops. Purchases imported by this same batch are not conflicts (a
-- completed batch rechecks clean).

-- The rules that depend only on the batch's own rows, over the staged rows of one chunk (staging
-- records them per chunk, p_first_row..p_last_row bounding its rows) or, with nulls, of the whole
-- batch. A transaction's rows must all be in the range for its result to be complete.
-- Returns [{row, column, code, message, value, subject}] in no particular order; subject is what
-- the summary counts (the transaction, or the row and column).
create or replace function import_private.check_staged_rows(
  p_batch_id uuid,
  p_chunk_no integer,
  p_first_row integer,
  p_last_row integer
)
returns jsonb
language sql
stable
set search_path = ''
-- A whole batch's rows are grouped in memory rather than spilled, and joined by hash.
set work_mem = '64MB'
set enable_nestloop = off
as $$
  with staged as materialized (
    select
      s.row_number, s.transaction_number, s.user_id, s.purchased_at, s.sku_id, s.quantity,
      s.unit_price, s.currency, s.total_amount, s.store_code
    from public.bulk_import_staged_rows s
    where s.batch_id = p_batch_id
      and s.row_number between coalesce(p_first_row, -2147483648) and coalesce(p_last_row, 2147483647)
      and (p_chunk_no is null or s.chunk_no = p_chunk_no)
  ),
  -- One pass per transaction. A column is inconsistent when its rows hold more than one value,
  -- a missing value next to a given one included. (min/max under "C": bytes, not locale rules.)
  tx as materialized (
    select
      s.transaction_number,
      sum(s.quantity::numeric * s.unit_price) as items_sum,
      min(s.total_amount) as given_total,
      min(s.user_id::text collate "C") <> max(s.user_id::text collate "C") as bad_user_id,
      min(s.purchased_at) <> max(s.purchased_at) as bad_purchased_at,
      (min(s.currency collate "C") <> max(s.currency collate "C")
        or count(s.currency) not in (0, count(*))) as bad_currency,
      (min(s.total_amount) <> max(s.total_amount)
        or count(s.total_amount) not in (0, count(*))) as bad_total_amount,
      (min(s.store_code collate "C") <> max(s.store_code collate "C")
        or count(s.store_code) not in (0, count(*))) as bad_store_code
    from staged s
    group by s.transaction_number
  ),
  inconsistent_tx as materialized (
    select t.transaction_number
    from tx t
    where t.bad_user_id or t.bad_purchased_at or t.bad_currency or t.bad_total_amount
      or t.bad_store_code
  ),
  mismatched_tx as materialized (
    select t.transaction_number, t.given_total, t.items_sum
    from tx t
    where not t.bad_total_amount
      and t.given_total is not null
      and abs(t.given_total - t.items_sum) > 0.01
  ),
  -- Only the rows of inconsistent transactions, each compared with its transaction's first row
  -- in file order (usually none, so the window below sorts nothing).
  framed as (
    select
      s.*,
      first_value(s.row_number) over w as first_row,
      first_value(s.user_id) over w as first_user_id,
      first_value(s.purchased_at) over w as first_purchased_at,
      first_value(s.currency) over w as first_currency,
      first_value(s.total_amount) over w as first_total_amount,
      first_value(s.store_code) over w as first_store_code
    from staged s
    where s.transaction_number in (select i.transaction_number from inconsistent_tx i)
    window w as (partition by s.transaction_number order by s.row_number)
  ),
  errs as (
    select
      f.row_number as row, d.col, 'inconsistent_purchase' as code,
      format(
        'Transaction %s: %s differs from row %s of the same purchase.',
        f.transaction_number, d.col, f.first_row
      ) as message,
      case d.col
        when 'user_id' then f.user_id::text
        when 'purchased_at' then import_private.iso_time(f.purchased_at)
        when 'currency' then f.currency
        when 'total_amount' then f.total_amount::text
        else f.store_code
      end as value,
      f.transaction_number as subject
    from framed f
    cross join lateral (
      values
        ('user_id', f.user_id is distinct from f.first_user_id),
        ('purchased_at', f.purchased_at is distinct from f.first_purchased_at),
        ('currency', f.currency is distinct from f.first_currency),
        ('total_amount', f.total_amount is distinct from f.first_total_amount),
        ('store_code', f.store_code is distinct from f.first_store_code)
    ) as d(col, differs)
    where d.differs
    union all
    select
      s.row_number, 'total_amount', 'total_mismatch',
      format(
        'Transaction %s: total %s differs from the sum of its items %s.',
        s.transaction_number, m.given_total, m.items_sum
      ),
      m.given_total::text, s.transaction_number
    from staged s join mismatched_tx m on m.transaction_number = s.transaction_number
    union all
    select
      s.row_number, 'quantity', 'out_of_range', 'Quantity must be at least 1.',
      s.quantity::text, s.row_number::text || ':quantity'
    from staged s where s.quantity < 1
    union all
    select
      s.row_number, 'unit_price', 'out_of_range', 'Unit price must not be negative.',
      s.unit_price::text, s.row_number::text || ':unit_price'
    from staged s where s.unit_price < 0
    union all
    select
      s.row_number, 'currency', 'invalid_currency',
      'Currency must be a three-letter ISO 4217 code in capitals.',
      s.currency, s.row_number::text
    from staged s where s.currency is not null and s.currency !~ '^[A-Z]{3}$'
  )
  select coalesce(
    jsonb_agg(jsonb_build_object(
      'row', e.row, 'column', e.col, 'code', e.code, 'message', e.message, 'value', e.value,
      'subject', e.subject
    )),
    '[]'::jsonb
  )
  from errs e
$$;
revoke all on function import_private.check_staged_rows(uuid, integer, integer, integer)
  from public, anon, authenticated;

-- Whether staging's per-chunk results are the batch's: every chunk recorded them and no
-- transaction spans two chunks (each chunk numbers a transaction's rows from line 1, so a spanning
-- one has two first lines). Clients send whole purchases per chunk; if one did not, the batch is
-- checked, and numbered at commit, as a whole.
create or replace function import_private.chunks_complete(p_batch_id uuid)
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((
      select bool_and(c.errors is not null)
      from public.bulk_import_staged_chunks c
      where c.batch_id = p_batch_id
    ), true)
    and case
      -- A refused batch's recorded values say it without reading its rows (migrations/0008).
      when exists (select 1 from public.bulk_import_batch_values v where v.batch_id = p_batch_id)
        then not exists (
          select 1
          from public.bulk_import_batch_values v
          where v.batch_id = p_batch_id and v.column_name = 'transaction_number'
            and 1 < any (v.first_lines)
        )
      -- Each chunk's transactions as it recorded them at staging (migrations/0011): a
      -- transaction in two chunks' lists spans them. Read from the chunk records, not the rows.
      when not exists (
        select 1 from public.bulk_import_staged_chunks c
        where c.batch_id = p_batch_id and c.transaction_numbers is null
      )
        then not exists (
          select 1
          from public.bulk_import_staged_chunks c
          cross join lateral unnest(c.transaction_numbers) as t(value)
          where c.batch_id = p_batch_id
          group by t.value
          having count(*) > 1
        )
      else not exists (
        select 1
        from public.bulk_import_staged_rows s
        where s.batch_id = p_batch_id and s.line_number = 1
        group by s.transaction_number
        having count(*) > 1
      )
    end
$$;
revoke all on function import_private.chunks_complete(uuid) from public, anon, authenticated;

-- What fails today, one row per failing value: a user or SKU id the merchant does not have (an
-- id of another merchant counts as unknown), a transaction number it already has from elsewhere,
-- and for rows that named the member by e-mail or the SKU by code (natural keys, migration 0006):
-- a key the merchant does not have, a key several members or SKUs share, and, for a batch not yet
-- committed, a key that now names another member or SKU than the one the preview resolved it to
-- (re-pointed in between). A failed batch's keys are re-resolved against today's data instead
-- (re-check and retry): import_private.resolve_staged_keys writes today's answer before a retry.
-- Each message is written once per value, whatever the number of rows holding it.
create or replace function import_private.failing_values(p_batch_id uuid, p_complete boolean)
returns table (code text, column_name text, value text, message text)
language plpgsql
stable
set search_path = ''
set work_mem = '64MB'
set enable_nestloop = off
as $$
#variable_conflict use_column
declare
  v_merchant_id uuid;
  v_status text;
begin
  select b.merchant_id, b.status into v_merchant_id, v_status
  from public.bulk_import_batches b where b.id = p_batch_id;
  if not found then
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', coalesce(p_batch_id::text, 'null'));
  end if;

  -- Per-id primary key lookups (correlated subqueries, never a scan of the merchant's users,
  -- SKUs or purchases): the cost follows the size of the batch, not the size of the CRM.
  return query
  with vals as materialized (
    -- The batch's distinct values as staged (import_private.batch_distinct_values): the union of
    -- the lists its chunks recorded at staging, recorded for a refused batch (a re-check reads no
    -- staged row for them), else counted in one pass over its rows; each key as spelled with the
    -- id the preview resolved it to (an e-mail's lower(btrim()) is taken per spelling).
    select v.column_name, v.value, v.resolved_id
    from import_private.batch_distinct_values(p_batch_id, p_complete) as v
  ),
  user_keys as materialized (
    select distinct lower(btrim(v.value)) as key, v.resolved_id as user_id
    from vals v
    where v.column_name = 'user_email'
  ),
  user_res as materialized (
    select r.* from import_private.resolve_keys(
      v_merchant_id, 'user_email', array(select distinct k.key from user_keys k)
    ) as r
  ),
  sku_keys as materialized (
    select v.value as key, v.resolved_id as sku_id
    from vals v
    where v.column_name = 'sku_code'
  ),
  sku_res as materialized (
    select r.* from import_private.resolve_keys(
      v_merchant_id, 'sku_code', array(select distinct k.key from sku_keys k)
    ) as r
  )
  select 'unknown_user', 'user_id', d.user_id::text,
    format('User id %s does not exist for this merchant.', d.user_id)
  from (
    select v.value::uuid as user_id from vals v where v.column_name = 'user_id'
  ) as d
  where (select a.merchant_id from public.user_accounts a where a.id = d.user_id)
    is distinct from v_merchant_id
  union all
  select 'unknown_sku', 'sku_id', d.sku_id::text,
    format('SKU id %s does not exist for this merchant.', d.sku_id)
  from (
    select v.value::uuid as sku_id from vals v where v.column_name = 'sku_id'
  ) as d
  where (select k.merchant_id from public.skus k where k.id = d.sku_id)
    is distinct from v_merchant_id
  union all
  select
    case when r.matches = 0 then 'unknown_user' else 'ambiguous_key' end, 'user_email', r.key,
    case when r.matches = 0
      then format('User e-mail %s is not a member of this merchant.', r.key)
      else format(
        'User e-mail %s is shared by %s members of this merchant (%s): make it unique in the CRM, or give user_id.',
        r.key, r.matches, import_private.describe_candidates(r.candidates)
      )
    end
  from user_res r
  where r.matches <> 1
  union all
  select distinct on (r.key) 'key_changed', 'user_email', r.key,
    format(
      'User e-mail %s was member %s when the file was checked and is now member %s (%s): check the file again.',
      r.key, k.user_id, r.id, r.name
    )
  from user_keys k
  join user_res r on r.key = k.key and r.matches = 1
  where v_status = 'pending' and k.user_id is not null and k.user_id <> r.id
  union all
  select
    case when r.matches = 0 then 'unknown_sku' else 'ambiguous_key' end, 'sku_code', r.key,
    case when r.matches = 0
      then format('SKU code %s is not a SKU of this merchant.', r.key)
      else format(
        'SKU code %s is shared by %s SKUs of this merchant (%s): make it unique in the CRM, or give sku_id.',
        r.key, r.matches, import_private.describe_candidates(r.candidates)
      )
    end
  from sku_res r
  where r.matches <> 1
  union all
  select distinct on (r.key) 'key_changed', 'sku_code', r.key,
    format(
      'SKU code %s was SKU %s when the file was checked and is now SKU %s (%s): check the file again.',
      r.key, k.sku_id, r.id, r.name
    )
  from sku_keys k
  join sku_res r on r.key = k.key and r.matches = 1
  where v_status = 'pending' and k.sku_id is not null and k.sku_id <> r.id
  union all
  select 'already_imported', 'transaction_number', t.transaction_number,
    case
      when p.import_batch_id is null then format(
        'Transaction %s already exists for this merchant (not from an import batch).',
        t.transaction_number
      )
      else format(
        'Transaction %s was already imported by batch %s.', t.transaction_number, p.import_batch_id
      )
    end
  from (
    -- Each transaction once.
    select v.value as transaction_number from vals v where v.column_name = 'transaction_number'
  ) as t
  cross join lateral (
    select p.import_batch_id
    from public.purchases p
    where p.merchant_id = v_merchant_id
      and p.transaction_number = t.transaction_number
      and p.import_batch_id is distinct from p_batch_id
    limit 1
  ) as p;
end;
$$;
revoke all on function import_private.failing_values(uuid, boolean)
  from public, anon, authenticated;

-- The errors of the batch's own rows (inconsistent purchases, totals, ranges, currency codes):
-- recorded per chunk at staging, or checked here for the batch as a whole.
create or replace function import_private.own_errors(p_batch_id uuid, p_complete boolean)
returns table (
  row_number int, column_name text, code text, message text, value text, subject text
)
language sql
stable
set search_path = ''
as $$
  select o."row", coalesce(o."column", ''), o.code, o.message, o.value, o.subject
  from jsonb_to_recordset(
    case
      when p_complete then (
        select coalesce(jsonb_agg(e.value), '[]'::jsonb)
        from public.bulk_import_staged_chunks c
        cross join lateral jsonb_array_elements(c.errors) as e(value)
        where c.batch_id = p_batch_id and jsonb_array_length(c.errors) > 0
      )
      else import_private.check_staged_rows(p_batch_id, null, null, null)
    end
  ) as o("row" int, "column" text, code text, message text, value text, subject text)
$$;
revoke all on function import_private.own_errors(uuid, boolean)
  from public, anon, authenticated;

-- Every error of a batch's staged rows against today's data, one per row, column and code, in no
-- particular order: each staged row holding a failing value (the value's message, written once),
-- and the own-row errors. subject is what the summary counts (the id, the transaction, or the row
-- and column).
-- p_complete: chunks_complete's answer when the caller already has it (the commit asks it once).
create or replace function import_private.staged_errors(
  p_batch_id uuid,
  p_complete boolean default null
)
returns table (
  row_number int, column_name text, code text, message text, value text, subject text
)
language sql
stable
set search_path = ''
-- Each staged row is probed against a hash of the few failing values, never looped over them;
-- a kind of failing value the batch has none of reads no row at all (a one-time filter: a hash
-- join reads its outer rows before it learns its hash is empty, 0.1 s per 200k rows a kind).
set work_mem = '64MB'
set enable_nestloop = off
as $$
  with layout as materialized (
    select coalesce(p_complete, import_private.chunks_complete(p_batch_id)) as complete
  ),
  failing as materialized (
    select f.* from layout l, import_private.failing_values(p_batch_id, l.complete) as f
  )
  select s.row_number, f.column_name, f.code, f.message, f.value, f.value
  from public.bulk_import_staged_rows s
  join (
    select f.*, f.value::uuid as id from failing f
    where f.code = 'unknown_user' and f.column_name = 'user_id'
  ) as f
    on f.id = s.user_id
  where s.batch_id = p_batch_id and s.user_email is null
    and exists (
      select 1 from failing f where f.code = 'unknown_user' and f.column_name = 'user_id'
    )
  union all
  select s.row_number, f.column_name, f.code, f.message, f.value, f.value
  from public.bulk_import_staged_rows s
  join (
    select f.*, f.value::uuid as id from failing f
    where f.code = 'unknown_sku' and f.column_name = 'sku_id'
  ) as f
    on f.id = s.sku_id
  where s.batch_id = p_batch_id and s.sku_code is null
    and exists (
      select 1 from failing f where f.code = 'unknown_sku' and f.column_name = 'sku_id'
    )
  union all
  -- Rows that named the member or SKU by a key that fails (unknown, shared, re-pointed).
  select s.row_number, f.column_name, f.code, f.message, f.value, f.value
  from public.bulk_import_staged_rows s
  join (select f.* from failing f where f.column_name = 'user_email') as f
    on f.value = lower(btrim(s.user_email))
  where s.batch_id = p_batch_id and s.user_email is not null
    and exists (select 1 from failing f where f.column_name = 'user_email')
  union all
  select s.row_number, f.column_name, f.code, f.message, f.value, f.value
  from public.bulk_import_staged_rows s
  join (select f.* from failing f where f.column_name = 'sku_code') as f
    on f.value = s.sku_code
  where s.batch_id = p_batch_id and s.sku_code is not null
    and exists (select 1 from failing f where f.column_name = 'sku_code')
  union all
  select s.row_number, f.column_name, f.code, f.message, f.value, f.value
  from public.bulk_import_staged_rows s
  join (select f.* from failing f where f.code = 'already_imported') as f
    on f.value = s.transaction_number
  where s.batch_id = p_batch_id
    and exists (select 1 from failing f where f.code = 'already_imported')
  union all
  select o.* from layout l, import_private.own_errors(p_batch_id, l.complete) as o
$$;
revoke all on function import_private.staged_errors(uuid, boolean)
  from public, anon, authenticated;

-- What a set of row errors says, bounded whatever its size: the count, the rows affected, a
-- sentence ('3 rows refused: 2 unknown SKU ids, …'), the causes (code and column: rows, distinct
-- values, the 20 values affecting most rows) and one page of errors in row order. The errors are
-- the batch's recorded ones (bulk_import_batch_errors) or, p_live, those of its staged rows
-- against today's data. Unknown ids and existing transactions are listed up to 1,000 each.
create or replace function import_private.error_report(
  p_batch_id uuid,
  p_live boolean,
  p_limit integer,
  p_offset integer
)
returns jsonb
language plpgsql
stable
set search_path = ''
set work_mem = '64MB'
as $$
declare
  v_result jsonb;
  v_counts jsonb;
  v_rows int;
  v_parts text[] := '{}';
  v_code text;
  v_n int;
begin
  -- A re-check reads its errors weighted by value (one per failing value, n its rows) and its
  -- page and row count from import_private.live_errors (sql/schema/06), not one per row.
  with live as materialized (
    select l.* from import_private.live_errors(p_batch_id, p_limit, p_offset) as l where p_live
  ),
  errs as materialized (
    select e.row_number, e.column_name, e.code, e.message, e.value,
      case
        when e.code in (
          'unknown_user', 'unknown_sku', 'already_imported', 'ambiguous_key', 'key_changed'
        ) then e.value
        when e.code in ('inconsistent_purchase', 'total_mismatch') then s.transaction_number
        else e.row_number::text || ':' || e.column_name
      end as subject,
      1 as n
    from public.bulk_import_batch_errors e
    left join public.bulk_import_staged_rows s
      on s.batch_id = e.batch_id and s.row_number = e.row_number
        and e.code in ('inconsistent_purchase', 'total_mismatch')
    where not p_live and e.batch_id = p_batch_id
    union all
    select l.row_number, l.column_name, l.code, l.message, l.value, l.subject, l.n
    from live l
    where l.part = 'all'
  ),
  by_value as (
    select e.code, e.column_name, e.value, sum(e.n)::int as n, min(e.message) as message
    from errs e
    group by e.code, e.column_name, e.value
  ),
  causes as (
    select v.code, v.column_name, sum(v.n)::int as n, count(*)::int as distinct_values,
      (array_agg(v.message order by v.n desc, v.value))[1] as message,
      jsonb_agg(jsonb_build_object('value', v.value, 'rows', v.n) order by v.n desc, v.value)
        filter (where v.rank <= 20) as top
    from (
      select b.*, row_number() over (partition by b.code, b.column_name order by b.n desc, b.value)
        as rank
      from by_value b
    ) as v
    group by v.code, v.column_name
  )
  select
    jsonb_build_object(
      'errorTotal', (select coalesce(sum(e.n), 0)::int from errs e),
      'causes', coalesce((
        select jsonb_agg(jsonb_build_object(
          'code', c.code, 'column', nullif(c.column_name, ''), 'rows', c.n,
          'distinctValues', c.distinct_values, 'message', c.message, 'values', c.top
        ) order by c.n desc, c.code, c.column_name)
        from causes c
      ), '[]'::jsonb),
      'errors', coalesce((
        select jsonb_agg(jsonb_build_object(
          'row', p.row_number, 'column', nullif(p.column_name, ''), 'code', p.code,
          'message', p.message, 'value', p.value
        ) order by p.row_number, p.column_name, p.code)
        from (
          (
            select e.row_number, e.column_name, e.code, e.message, e.value
            from errs e
            where not p_live
            order by e.row_number, e.column_name, e.code
            limit greatest(coalesce(p_limit, 50), 0) offset greatest(coalesce(p_offset, 0), 0)
          )
          union all
          select l.row_number, l.column_name, l.code, l.message, l.value
          from live l
          where l.part = 'page'
        ) as p
      ), '[]'::jsonb),
      'unknownUserIds', coalesce((
        select jsonb_agg(v.value::uuid order by v.value)
        from (select b.value from by_value b
              where b.code = 'unknown_user' and b.column_name = 'user_id' order by b.value
              limit 1000) as v
      ), '[]'::jsonb),
      'unknownSkuIds', coalesce((
        select jsonb_agg(v.value::uuid order by v.value)
        from (select b.value from by_value b
              where b.code = 'unknown_sku' and b.column_name = 'sku_id' order by b.value
              limit 1000) as v
      ), '[]'::jsonb),
      'existingTransactions', coalesce((
        select jsonb_agg(jsonb_build_object(
          'transactionNumber', x.transaction_number, 'batchId', x.import_batch_id
        ) order by x.transaction_number)
        from (
          select b.value as transaction_number, (
              select p.import_batch_id from public.purchases p
              join public.bulk_import_batches o on o.id = p_batch_id
              where p.merchant_id = o.merchant_id and p.transaction_number = b.value
              limit 1
            ) as import_batch_id
          from by_value b where b.code = 'already_imported' order by b.value limit 1000
        ) as x
      ), '[]'::jsonb)
    ),
    -- What the sentence counts per code: distinct values (ids, keys, transactions), else
    -- subjects. An unknown e-mail or code counts apart from an unknown id (its own words).
    coalesce((
      select jsonb_object_agg(c.code, c.n)
      from (
        select
          case
            when b.column_name in ('user_email', 'sku_code') and b.code in ('unknown_user', 'unknown_sku')
              then b.code || '_key'
            else b.code
          end as code,
          count(*)::int as n
        from by_value b
        where b.code in (
          'unknown_user', 'unknown_sku', 'already_imported', 'ambiguous_key', 'key_changed'
        )
        group by 1
        union all
        select e.code, count(distinct e.subject)::int
        from errs e
        where e.code not in (
          'unknown_user', 'unknown_sku', 'already_imported', 'ambiguous_key', 'key_changed'
        )
        group by e.code
      ) as c
    ), '{}'::jsonb),
    case
      when p_live then (select l.n from live l where l.part = 'rows')
      else (select count(distinct e.row_number)::int from errs e)
    end
  into v_result, v_counts, v_rows;

  if v_rows = 0 then
    return v_result || jsonb_build_object('errorRows', 0, 'summary', null);
  end if;

  -- A human summary, e.g. '3 rows refused: 2 unknown SKU ids, 1 transaction already imported'.
  foreach v_code in array array[
    'unknown_user', 'unknown_sku', 'unknown_user_key', 'unknown_sku_key', 'ambiguous_key',
    'key_changed', 'already_imported', 'inconsistent_purchase',
    'total_mismatch', 'out_of_range', 'invalid_currency', 'conflict'
  ] loop
    v_n := coalesce((v_counts ->> v_code)::int, 0);
    continue when v_n = 0;
    v_parts := v_parts || format('%s %s', to_char(v_n, 'FM999,999,999,990'), case v_code
      when 'unknown_user' then case when v_n = 1 then 'unknown user id' else 'unknown user ids' end
      when 'unknown_sku' then case when v_n = 1 then 'unknown SKU id' else 'unknown SKU ids' end
      when 'unknown_user_key' then
        case when v_n = 1 then 'unknown user e-mail' else 'unknown user e-mails' end
      when 'unknown_sku_key' then
        case when v_n = 1 then 'unknown SKU code' else 'unknown SKU codes' end
      when 'ambiguous_key' then
        case when v_n = 1 then 'ambiguous key' else 'ambiguous keys' end
      when 'key_changed' then
        case when v_n = 1 then 'key re-pointed since the check' else 'keys re-pointed since the check' end
      when 'already_imported' then
        case when v_n = 1 then 'transaction already imported'
          else 'transactions already imported' end
      when 'inconsistent_purchase' then
        case when v_n = 1 then 'inconsistent purchase' else 'inconsistent purchases' end
      when 'total_mismatch' then
        case when v_n = 1 then 'purchase total not matching its items'
          else 'purchase totals not matching their items' end
      when 'out_of_range' then
        case when v_n = 1 then 'value out of range' else 'values out of range' end
      when 'conflict' then 'refusal by the database'
      else case when v_n = 1 then 'invalid currency code' else 'invalid currency codes' end
    end);
  end loop;

  return v_result || jsonb_build_object(
    'errorRows', v_rows,
    'summary', format(
      '%s %s refused: %s',
      to_char(v_rows, 'FM999,999,999,990'),
      case when v_rows = 1 then 'row' else 'rows' end,
      array_to_string(v_parts, ', ')
    )
  );
end;
$$;
revoke all on function import_private.error_report(uuid, boolean, integer, integer)
  from public, anon, authenticated;

-- Before a commit checks a batch, under its lock: keyed rows whose member or SKU the preview could
-- not resolve (unknown or shared then) take today's answer, and with p_all (a retry of a failed
-- batch: "re-resolve against today's data") every keyed row does. A pending batch keeps the
-- preview's answer otherwise, so failing_values can catch a key re-pointed since.
create or replace function import_private.resolve_staged_keys(
  p_batch_id uuid,
  p_merchant_id uuid,
  p_all boolean
)
returns void
language plpgsql
volatile
set search_path = ''
set work_mem = '64MB'
as $$
begin
  if not p_all then
    -- A pending batch: only the rows the preview left unresolved (migration 0009 indexes just
    -- those, so a batch whose keys all resolved costs two empty index probes, not two reads of
    -- its keyed rows).
    update public.bulk_import_staged_rows s
    set user_id = r.id
    from import_private.resolve_keys(p_merchant_id, 'user_email', array(
      select distinct k.user_email
      from public.bulk_import_staged_rows k
      where k.batch_id = p_batch_id and k.user_email is not null and k.user_id is null
    )) as r
    where s.batch_id = p_batch_id
      and s.user_email is not null
      and s.user_id is null
      and lower(btrim(s.user_email)) = r.key
      and r.matches = 1;

    update public.bulk_import_staged_rows s
    set sku_id = r.id
    from import_private.resolve_keys(p_merchant_id, 'sku_code', array(
      select distinct k.sku_code
      from public.bulk_import_staged_rows k
      where k.batch_id = p_batch_id and k.sku_code is not null and k.sku_id is null
    )) as r
    where s.batch_id = p_batch_id
      and s.sku_code is not null
      and s.sku_id is null
      and s.sku_code = r.key
      and r.matches = 1;
    return;
  end if;

  update public.bulk_import_staged_rows s
  set user_id = r.id
  from import_private.resolve_keys(p_merchant_id, 'user_email', array(
    select distinct k.user_email
    from public.bulk_import_staged_rows k
    where k.batch_id = p_batch_id and k.user_email is not null
  )) as r
  where s.batch_id = p_batch_id
    and s.user_email is not null
    and lower(btrim(s.user_email)) = r.key
    and r.matches = 1
    and s.user_id is distinct from r.id;

  update public.bulk_import_staged_rows s
  set sku_id = r.id
  from import_private.resolve_keys(p_merchant_id, 'sku_code', array(
    select distinct k.sku_code
    from public.bulk_import_staged_rows k
    where k.batch_id = p_batch_id and k.sku_code is not null
  )) as r
  where s.batch_id = p_batch_id
    and s.sku_code is not null
    and s.sku_code = r.key
    and r.matches = 1
    and s.sku_id is distinct from r.id;
end;
$$;
revoke all on function import_private.resolve_staged_keys(uuid, uuid, boolean)
  from public, anon, authenticated;
