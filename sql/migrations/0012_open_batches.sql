-- Issue 14, staging overlapped with the parse: a batch may be begun before its file has been read
-- to the end. Such a batch is *open*: total_rows (and chunk_count) are null, chunks arrive as the
-- parse hands out whole purchases, and import_seal_batch (sql/schema/05) writes the file's totals
-- and SHA-256 once it is read, after checking that what is staged is exactly that. A batch begun
-- with its totals is sealed from the start, as before.
alter table public.bulk_import_batches alter column total_rows drop not null;

-- total_rows >= 0 and chunk_count >= 0 (bulk_import_batches_counts_check) still hold whenever they
-- are known. An open batch has no chunk count either (the two are given together, at begin or at
-- the seal), and it can only be pending (rows still arriving) or cancelled: the commit refuses it,
-- so a completed or failed batch (which a retry takes) always has its totals. Checked here as well
-- as in the functions, so no path can commit or retry a file that was not read to the end.
alter table public.bulk_import_batches
  drop constraint if exists bulk_import_batches_open_check;
alter table public.bulk_import_batches
  add constraint bulk_import_batches_open_check check (
    total_rows is not null or (chunk_count is null and status in ('pending', 'cancelled'))
  );
