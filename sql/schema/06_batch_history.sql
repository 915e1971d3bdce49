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
        select import_private.batch_json(b, false) as doc, b.created_at, b.id
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

create or replace function import_private.get_batch(p_batch_id uuid)
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
  return import_private.batch_json(v_batch, true);
end;
$$;
call import_private.expose('import_private.get_batch(uuid)');

-- What a commit would find today: support staff ask it after fixing the data ('recheck').
create or replace function import_private.recheck_batch(p_batch_id uuid)
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
  v_batch := import_private.find_batch(p_batch_id);
  perform import_private.assert_access(v_batch.merchant_id, 'recheck');
  v_check := import_private.validate_staged(p_batch_id);
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
call import_private.expose('import_private.recheck_batch(uuid)');
