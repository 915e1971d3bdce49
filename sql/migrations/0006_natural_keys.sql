-- Natural keys (issue 13): a file may name the member by e-mail and the SKU by its code instead of
-- their UUIDs. A staged row keeps the key it was given (user_email, sku_code: the row's audit of
-- "which key did this row use") beside the UUID the preview resolved it to; that UUID is null when
-- the key was unknown or ambiguous then. The commit resolves the keys again under its lock, so a
-- key re-pointed between preview and commit is caught there (sql/schema/03_validation.sql).

alter table public.bulk_import_staged_rows
  alter column user_id drop not null,
  alter column sku_id drop not null,
  add column if not exists user_email text,
  add column if not exists sku_code text;

alter table public.bulk_import_staged_rows
  drop constraint if exists bulk_import_staged_rows_user_ref_check;
alter table public.bulk_import_staged_rows
  add constraint bulk_import_staged_rows_user_ref_check
  check (user_id is not null or user_email is not null);
alter table public.bulk_import_staged_rows
  drop constraint if exists bulk_import_staged_rows_sku_ref_check;
alter table public.bulk_import_staged_rows
  add constraint bulk_import_staged_rows_sku_ref_check
  check (sku_id is not null or sku_code is not null);

-- The key checks of a commit read only a batch's keyed rows: for a file of UUIDs (no keys) these
-- partial indexes hold nothing of it, so the checks cost an empty index probe, not a scan.
create index if not exists bulk_import_staged_rows_user_email_idx
  on public.bulk_import_staged_rows (batch_id) where user_email is not null;
create index if not exists bulk_import_staged_rows_sku_code_idx
  on public.bulk_import_staged_rows (batch_id) where sku_code is not null;
