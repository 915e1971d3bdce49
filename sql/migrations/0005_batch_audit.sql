-- What the admin did to the file before importing it, kept with the batch so support can answer
-- "why does this batch have 6 rows when the file had 15" from any machine: the original file
-- (name, SHA-256, row count), rows deleted or left out, cells changed (row, column, before →
-- after) and replace-alls. The shape is auditTrailSchema in shared/db/rpc-contract.ts; null for
-- batches imported as they were (the CLI, or before this existed).

alter table public.bulk_import_batches add column if not exists audit jsonb;
alter table public.bulk_import_batches drop constraint if exists bulk_import_batches_audit_check;
alter table public.bulk_import_batches
  add constraint bulk_import_batches_audit_check
  check (audit is null or jsonb_typeof(audit) = 'object');

-- History's overview reads a merchant's batches of a period by creation time.
create index if not exists bulk_import_batches_merchant_created_status_idx
  on public.bulk_import_batches (merchant_id, created_at, status);
