-- Issue 14, the commit's own check: each chunk records at staging the distinct values its rows
-- hold, so the commit asks today's tables about the union of a few small lists instead of grouping
-- every staged row of the batch (at 1M rows that grouping took ~2.7 s of the commit call, run on
-- one core while staging runs two chunks side by side). What a list holds is what
-- import_private.batch_value_pairs counts from the rows (sql/schema/05):
-- - transaction_numbers: the chunk's transactions, each once (its line-1 rows). A transaction in
--   two chunks' lists spans them (import_private.chunks_complete).
-- - user_ids, sku_ids: the distinct ids of rows that gave ids, not keys.
-- - user_keys with user_key_ids, sku_keys with sku_key_ids: the distinct pairs of a key as the
--   file spelled it and the id the preview resolved it to (null when unresolved then), aligned by
--   position.
-- Null for chunks staged before this migration: a batch with such a chunk is checked from its
-- staged rows, as before. The lists only ever cache what the chunk's rows say at staging; the
-- one later write to staged rows (the commit's resolve_staged_keys) fills ids the lists record
-- as null, which the check treats alike (see failing_values).

alter table public.bulk_import_staged_chunks
  add column if not exists transaction_numbers text[],
  add column if not exists user_ids uuid[],
  add column if not exists sku_ids uuid[],
  add column if not exists user_keys text[],
  add column if not exists user_key_ids uuid[],
  add column if not exists sku_keys text[],
  add column if not exists sku_key_ids uuid[];

alter table public.bulk_import_staged_chunks
  drop constraint if exists bulk_import_staged_chunks_values_check;
alter table public.bulk_import_staged_chunks
  add constraint bulk_import_staged_chunks_values_check check (
    (
      transaction_numbers is null and user_ids is null and sku_ids is null and user_keys is null
      and user_key_ids is null and sku_keys is null and sku_key_ids is null
    )
    or (
      transaction_numbers is not null and user_ids is not null and sku_ids is not null
      and user_keys is not null and user_key_ids is not null and sku_keys is not null
      and sku_key_ids is not null
      and cardinality(user_keys) = cardinality(user_key_ids)
      and cardinality(sku_keys) = cardinality(sku_key_ids)
    )
  );
