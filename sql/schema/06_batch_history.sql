-- Reading batches back: the history list, one batch with its errors, and a dry-run re-validation
-- against today's data. All read-only.

create or replace function import_private.list_batches(
  p_merchant_id uuid,
  p_status text,
  p_search text,
  p_limit integer,
  p_offset integer
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_search text := nullif(btrim(coalesce(p_search, '')), '');
  v_pattern text;
  v_prefix text;
  v_limit int := least(greatest(coalesce(p_limit, 50), 1), 500);
  v_offset int := greatest(coalesce(p_offset, 0), 0);
begin
  perform import_private.assert_access(p_merchant_id, 'read');

  if p_status is not null
    and p_status not in ('pending', 'validating', 'processing', 'completed', 'failed', 'cancelled') then
    raise exception 'Unknown batch status %.', p_status;
  end if;
  if v_search is not null then
    -- The user's text is matched literally: escape LIKE's wildcards.
    v_search := replace(replace(replace(v_search, '\', '\\'), '%', '\%'), '_', '\_');
    v_pattern := '%' || v_search || '%';
    v_prefix := lower(v_search) || '%';
  end if;

  return jsonb_build_object(
    'batches', coalesce((
      select jsonb_agg(page.doc order by page.created_at desc, page.id desc)
      from (
        select import_private.batch_json(b, null, null) as doc, b.created_at, b.id
        from public.bulk_import_batches b
        where b.merchant_id = p_merchant_id
          and (p_status is null or b.status = p_status)
          and (
            v_pattern is null
            or b.batch_name ilike v_pattern
            or b.file_name ilike v_pattern
            or b.id::text like v_prefix
          )
        order by b.created_at desc, b.id desc
        limit v_limit offset v_offset
      ) as page
    ), '[]'::jsonb),
    'total', (
      select count(*)::int
      from public.bulk_import_batches b
      where b.merchant_id = p_merchant_id
        and (p_status is null or b.status = p_status)
        and (
          v_pattern is null
          or b.batch_name ilike v_pattern
          or b.file_name ilike v_pattern
          or b.id::text like v_prefix
        )
    )
  );
end;
$$;
call import_private.expose('import_private.list_batches(uuid, text, text, integer, integer)');

create or replace function import_private.get_batch(
  p_batch_id uuid,
  p_errors_limit integer default 50,
  p_errors_offset integer default 0
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
begin
  v_batch := import_private.find_batch(p_batch_id);
  perform import_private.assert_access(v_batch.merchant_id, 'read');
  return import_private.batch_json(v_batch, coalesce(p_errors_limit, 50), p_errors_offset);
end;
$$;
call import_private.expose('import_private.get_batch(uuid, integer, integer)');

-- A batch's recorded row errors a page at a time, optionally of one cause (code, and value):
-- keyset paging after (row, column), so reading all of a 1M-row batch's errors costs the same per
-- page from the first to the last. total counts the errors the filter matches.
create or replace function import_private.list_batch_errors(
  p_batch_id uuid,
  p_code text,
  p_value text,
  p_after_row integer,
  p_after_column text,
  p_limit integer
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_limit int := least(greatest(coalesce(p_limit, 100), 1), 5000);
  v_page jsonb;
begin
  v_batch := import_private.find_batch(p_batch_id);
  perform import_private.assert_access(v_batch.merchant_id, 'read');
  select
    coalesce(jsonb_agg(jsonb_build_object(
      'row', e.row_number, 'column', nullif(e.column_name, ''), 'code', e.code,
      'message', e.message, 'value', e.value
    ) order by e.row_number, e.column_name, e.code), '[]'::jsonb)
  into v_page
  from (
    select x.*
    from public.bulk_import_batch_errors x
    where x.batch_id = p_batch_id
      and (p_code is null or x.code = p_code)
      and (p_value is null or x.value = p_value)
      and (p_after_row is null
        or (x.row_number, x.column_name) > (p_after_row, coalesce(p_after_column, '')))
    order by x.row_number, x.column_name, x.code
    limit v_limit
  ) as e;
  return jsonb_build_object(
    'batchId', p_batch_id,
    'errors', v_page,
    'next', case when jsonb_array_length(v_page) < v_limit then null else jsonb_build_object(
      'row', v_page -> -1 -> 'row', 'column', coalesce(v_page -> -1 ->> 'column', '')
    ) end,
    'total', (
      select count(*)::int
      from public.bulk_import_batch_errors x
      where x.batch_id = p_batch_id
        and (p_code is null or x.code = p_code)
        and (p_value is null or x.value = p_value)
    )
  );
end;
$$;
call import_private.expose(
  'import_private.list_batch_errors(uuid, text, text, integer, text, integer)'
);

-- A re-check's errors (error_report with p_live), bounded by the batch's distinct values rather
-- than its rows: the values failing today (failing_values, over the batch's recorded distinct
-- values: migration 0008) weighted by how many rows hold each, the batch's own errors (recorded
-- per chunk at staging), one page of row errors (the first rows holding a failing value, read in
-- row order until the page is full), and the number of rows in error. Counts are exact: that
-- number is the sum of the values' rows when at most one column fails (a row holds one value per
-- column), else counted over the staged rows. Parts: 'all' (row_number: the value's first row,
-- n: its rows), 'page', 'rows' (n).
create or replace function import_private.live_errors(
  p_batch_id uuid,
  p_limit integer,
  p_offset integer
)
returns table (
  part text, row_number int, column_name text, code text, message text, value text,
  subject text, n int
)
language sql
stable
set search_path = ''
set work_mem = '64MB'
as $$
  with layout as materialized (
    select import_private.chunks_complete(p_batch_id) as complete
  ),
  failing as materialized (
    select f.* from layout l, import_private.failing_values(p_batch_id, l.complete) as f
  ),
  own as materialized (
    select o.* from layout l, import_private.own_errors(p_batch_id, l.complete) as o
  ),
  -- Each failing value's rows: found among the recorded values of the columns that fail (20
  -- SKU ids: one array of 20), else among the values counted afresh (never refused).
  weighted as materialized (
    select u.first_row, f.column_name, f.code, f.message, f.value, u.row_count
    from public.bulk_import_batch_values v
    cross join lateral unnest(v.distinct_values, v.row_counts, v.first_rows)
      as u(value, row_count, first_row)
    join failing f on f.column_name = v.column_name::text and f.value = u.value::text
    where v.batch_id = p_batch_id
      and v.column_name in (select f.column_name collate "C" from failing f)
    union all
    select v.first_row, f.column_name, f.code, f.message, f.value, v.row_count
    from failing f
    join import_private.batch_values(p_batch_id) as v
      on v.column_name = f.column_name and v.value = f.value
    where not exists (
      select 1 from public.bulk_import_batch_values r where r.batch_id = p_batch_id
    )
  ),
  -- Each staged row and whether it holds a failing value, as staged_errors matches them (ids of
  -- rows that gave ids, keys of rows that gave keys, transaction numbers). Inlined where used, so
  -- each use reads only the rows it needs.
  marked as not materialized (
    select
      s.row_number, s.user_id, s.sku_id, s.transaction_number, s.user_email, s.sku_code,
      (
        (s.user_email is null
          and s.user_id in (select f.value::uuid from failing f where f.column_name = 'user_id'))
        or (s.sku_code is null
          and s.sku_id in (select f.value::uuid from failing f where f.column_name = 'sku_id'))
        or lower(btrim(s.user_email))
          in (select f.value from failing f where f.column_name = 'user_email')
        or s.sku_code in (select f.value from failing f where f.column_name = 'sku_code')
        or s.transaction_number
          in (select f.value from failing f where f.column_name = 'transaction_number')
      ) as holds_failing
    from public.bulk_import_staged_rows s
    where s.batch_id = p_batch_id
  ),
  -- Every row in error yields at least one error: offset + limit rows hold the page.
  hits as materialized (
    select m.*
    from marked m
    where m.holds_failing or m.row_number in (select o.row_number from own o)
    order by m.row_number
    limit greatest(coalesce(p_offset, 0), 0) + greatest(coalesce(p_limit, 50), 0)
  ),
  -- The failing values by column and value, for a lookup per row of the page (a join of the
  -- page's rows with thousands of failing values would be planned as a loop over both).
  failing_map as materialized (
    select coalesce(jsonb_object_agg(
      f.column_name || ' ' || f.value, jsonb_build_object('code', f.code, 'message', f.message)
    ), '{}'::jsonb) as m
    from failing f
  ),
  page as (
    select e.*
    from (
      select h.row_number, v.column_name, x.e ->> 'code' as code, x.e ->> 'message' as message,
        v.value
      from hits h
      cross join failing_map fm
      cross join lateral (
        values
          ('user_id', case when h.user_email is null then h.user_id::text end),
          ('sku_id', case when h.sku_code is null then h.sku_id::text end),
          ('user_email', lower(btrim(h.user_email))),
          ('sku_code', h.sku_code),
          ('transaction_number', h.transaction_number)
      ) as v(column_name, value)
      cross join lateral (select fm.m -> (v.column_name || ' ' || v.value) as e) as x
      where x.e is not null
      union all
      select o.row_number, o.column_name, o.code, o.message, o.value
      from own o
      where o.row_number in (select h.row_number from hits h)
    ) as e
    order by e.row_number, e.column_name, e.code
    limit greatest(coalesce(p_limit, 50), 0) offset greatest(coalesce(p_offset, 0), 0)
  )
  select 'all', w.first_row, w.column_name, w.code, w.message, w.value, w.value, w.row_count
  from weighted w
  union all
  select 'all', o.row_number, o.column_name, o.code, o.message, o.value, o.subject, 1
  from own o
  union all
  select 'page', p.row_number, p.column_name, p.code, p.message, p.value, null, 1
  from page p
  union all
  select 'rows', null, null, null, null, null, null, case
    when (select count(distinct f.column_name) from failing f) <= 1 then (
      coalesce((select sum(w.row_count) from weighted w), 0) + (
        select count(*)
        from marked m
        where m.row_number in (select o.row_number from own o) and not m.holds_failing
      )
    )::int
    else (
      select count(*)::int
      from marked m
      where m.holds_failing or m.row_number in (select o.row_number from own o)
    )
  end
$$;
revoke all on function import_private.live_errors(uuid, integer, integer)
  from public, anon, authenticated;

-- What a commit would find today: support staff ask it after fixing the data ('recheck'). It
-- answers by cause, like the batch: the errors now (causes, one page) and which of the values the
-- commit refused are resolved since (an id that exists now, a transaction no longer there).
create or replace function import_private.recheck_batch(
  p_batch_id uuid,
  p_errors_limit integer default 50,
  p_errors_offset integer default 0
)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_report jsonb;
begin
  v_batch := import_private.find_batch(p_batch_id);
  perform import_private.assert_access(v_batch.merchant_id, 'recheck');
  v_report := import_private.error_report(
    p_batch_id, true, coalesce(p_errors_limit, 50), p_errors_offset
  );
  return v_report || jsonb_build_object(
    'batchId', v_batch.id,
    'ok', (v_report ->> 'errorTotal')::int = 0,
    'resolved', coalesce((
      select jsonb_agg(jsonb_build_object(
        'code', c ->> 'code', 'column', c ->> 'column', 'value', v ->> 'value',
        'rows', (v ->> 'rows')::int
      ) order by (v ->> 'rows')::int desc, v ->> 'value')
      from jsonb_array_elements(v_batch.error_summary) as c
      cross join lateral jsonb_array_elements(coalesce(c -> 'values', '[]'::jsonb)) as v
      where case
        -- Natural keys (sql/schema/04): resolved when exactly one member or SKU has the key now.
        when c ->> 'column' = 'user_email' then exists (
          select 1
          from import_private.resolve_keys(
            v_batch.merchant_id, 'user_email', array[v ->> 'value']
          ) r
          where r.matches = 1
        )
        when c ->> 'column' = 'sku_code' then exists (
          select 1
          from import_private.resolve_keys(
            v_batch.merchant_id, 'sku_code', array[v ->> 'value']
          ) r
          where r.matches = 1
        )
        else case c ->> 'code'
        when 'unknown_user' then exists (
          select 1 from public.user_accounts a
          where a.id = (v ->> 'value')::uuid and a.merchant_id = v_batch.merchant_id
        )
        when 'unknown_sku' then exists (
          select 1 from public.skus k
          where k.id = (v ->> 'value')::uuid and k.merchant_id = v_batch.merchant_id
        )
        when 'already_imported' then not exists (
          select 1 from public.purchases p
          where p.merchant_id = v_batch.merchant_id and p.transaction_number = v ->> 'value'
            and p.import_batch_id is distinct from v_batch.id
        )
        else false
        end
      end
    ), '[]'::jsonb)
  );
end;
$$;
-- A refused batch is re-checked by its distinct values (live_errors, well under a second at 1M
-- rows); a batch never refused is counted over its staged rows, so it keeps the commit's limit.
call import_private.expose(
  'import_private.recheck_batch(uuid, integer, integer)', p_statement_timeout => '60s'
);

-- History's overview of a period (the last p_days days, today included, UTC): imports per day by
-- outcome, the success rate of those that ended, the median and slowest duration (begin to end),
-- and the rows and purchases imported. What operators used to ask with hand-written SQL.
create or replace function import_private.batch_overview(p_merchant_id uuid, p_days integer)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_days int := least(greatest(coalesce(p_days, 30), 1), 366);
  v_from timestamptz := date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'
    - make_interval(days => v_days - 1);
begin
  perform import_private.assert_access(p_merchant_id, 'read');
  return (
    with period as (
      select
        b.status,
        b.total_rows,
        b.imported_purchases,
        (b.created_at at time zone 'UTC')::date as day,
        extract(epoch from (b.completed_at - coalesce(b.started_at, b.created_at))) * 1000 as ms
      from public.bulk_import_batches b
      where b.merchant_id = p_merchant_id and b.created_at >= v_from
    ),
    ended as (
      select * from period p where p.status in ('completed', 'failed')
    )
    select jsonb_build_object(
      'from', to_char(v_from at time zone 'UTC', 'YYYY-MM-DD'),
      'days', v_days,
      'perDay', coalesce((
        select jsonb_agg(jsonb_build_object(
          'day', to_char(c.day, 'YYYY-MM-DD'), 'completed', c.completed, 'failed', c.failed,
          'other', c.other
        ) order by c.day)
        from (
          select d.day,
            count(p.status) filter (where p.status = 'completed') as completed,
            count(p.status) filter (where p.status = 'failed') as failed,
            count(p.status) filter (where p.status not in ('completed', 'failed')) as other
          from generate_series(
            (v_from at time zone 'UTC')::date, (now() at time zone 'UTC')::date, interval '1 day'
          ) as d(day)
          left join period p on p.day = d.day
          group by d.day
        ) as c
      ), '[]'::jsonb),
      'imports', (select count(*)::int from period),
      'completed', (select count(*)::int from ended e where e.status = 'completed'),
      'failed', (select count(*)::int from ended e where e.status = 'failed'),
      'successRate', (
        select round(count(*) filter (where e.status = 'completed')::numeric
          / nullif(count(*), 0), 4)
        from ended e
      ),
      'medianMs', (
        select round(percentile_cont(0.5) within group (order by e.ms))::bigint
        from ended e where e.ms is not null
      ),
      'slowestMs', (select round(max(e.ms))::bigint from ended e),
      'rowsImported', (
        select coalesce(sum(e.total_rows), 0)::bigint from ended e where e.status = 'completed'
      ),
      'purchasesImported', (
        select coalesce(sum(e.imported_purchases), 0)::bigint
        from ended e where e.status = 'completed'
      )
    )
  );
end;
$$;
call import_private.expose('import_private.batch_overview(uuid, integer)');
