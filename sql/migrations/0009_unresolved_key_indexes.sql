-- Natural keys, speed (issue 13): migration 0006 indexed every keyed staged row (a file of 1M rows
-- by e-mail and SKU code wrote 2M index entries while staging) so that the checks of a commit
-- would read nothing for a file of UUIDs. Those checks now ask the batch's distinct values first
-- (sql/schema/03_validation.sql: a file without keys reads no keyed rows), and the one read the
-- commit must make cheap is "which keyed rows did the preview leave unresolved?" (usually none):
-- indexes on those rows only, which staging a resolved row does not write to.
drop index if exists public.bulk_import_staged_rows_user_email_idx;
drop index if exists public.bulk_import_staged_rows_sku_code_idx;

create index if not exists bulk_import_staged_rows_unresolved_user_idx
  on public.bulk_import_staged_rows (batch_id) where user_email is not null and user_id is null;
create index if not exists bulk_import_staged_rows_unresolved_sku_idx
  on public.bulk_import_staged_rows (batch_id) where sku_code is not null and sku_id is null;
