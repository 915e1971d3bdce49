-- Row-level security on the import's tables. Clients hold no table grants (migrations/0002): the
-- functions are the API. These policies make a future grant (say, select for Realtime progress)
-- safe by default: a signed-in user sees only rows of merchants they operate.

drop policy if exists import_batches_operators_select on public.bulk_import_batches;
create policy import_batches_operators_select on public.bulk_import_batches
  for select to authenticated
  using (merchant_id in (select import_private.my_merchant_ids()));

drop policy if exists import_staged_chunks_operators_select on public.bulk_import_staged_chunks;
create policy import_staged_chunks_operators_select on public.bulk_import_staged_chunks
  for select to authenticated
  using (batch_id in (
    select b.id from public.bulk_import_batches b
    where b.merchant_id in (select import_private.my_merchant_ids())
  ));

drop policy if exists import_staged_rows_operators_select on public.bulk_import_staged_rows;
create policy import_staged_rows_operators_select on public.bulk_import_staged_rows
  for select to authenticated
  using (batch_id in (
    select b.id from public.bulk_import_batches b
    where b.merchant_id in (select import_private.my_merchant_ids())
  ));

drop policy if exists import_operators_self_select on public.import_operators;
create policy import_operators_self_select on public.import_operators
  for select to authenticated
  using (user_id = import_private.request_user_id());
