-- A batch id of a merchant the caller does not operate is answered exactly like an id that does
-- not exist. Before this, such a call was refused with "You are not an operator of merchant <id>":
-- anyone signed in could probe batch ids and learn that a batch exists and whose it is.
-- Safe to re-run.

create or replace function public.import_find_batch(p_batch_id uuid)
returns public.bulk_import_batches
language plpgsql
stable
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_uid uuid;
  v_visible boolean;
begin
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id;
  v_visible := found;
  if v_visible and not public.import_caller_is_trusted() then
    begin
      v_uid := (select auth.uid());
    exception when others then
      v_uid := null;
    end;
    if v_uid is null then
      -- Not signed in (anon, unreadable claims): refused before anything about the batch shows.
      perform public.import_assert_access(null, 'read');
    end if;
    v_visible := exists (
      select 1
      from public.import_operators o
      where o.user_id = v_uid and o.merchant_id = v_batch.merchant_id
    );
  end if;
  if not v_visible then
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', coalesce(p_batch_id::text, 'null'));
  end if;
  return v_batch;
end;
$$;

revoke all on function public.import_find_batch(uuid) from public;
