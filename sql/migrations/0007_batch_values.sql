-- The distinct values a batch's staged rows hold, one row per column and value, with how many rows
-- hold each. Written when a commit refuses the batch (its staged rows never change after that), so
-- a re-check asks today's tables about the distinct values (a few ids and one transaction number
-- per purchase) instead of reading every staged row again: a 1M-row batch refused for 20 SKU ids
-- took 4-9 s to re-check, over the API's 2 s budget for reading a batch. A batch without them
-- (pending, completed, or failed before this migration) has them computed from its staged rows.

create table if not exists public.bulk_import_batch_values (
  batch_id uuid not null references public.bulk_import_batches (id) on delete cascade,
  -- The staged column: 'user_id', 'sku_id' or 'transaction_number'. Byte order ("C"): the key
  -- is only ever matched exactly, and the database's locale made writing 250k of them 5x slower.
  column_name text collate "C" not null,
  value text collate "C" not null,
  -- Rows of the batch holding the value, the first of them (spreadsheet row), and how many of
  -- them carry a purchase (line 1): more than one for a transaction staged in two chunks.
  row_count int not null check (row_count > 0),
  first_row int not null,
  first_lines int not null check (first_lines >= 0),
  primary key (batch_id, column_name, value)
);
alter table public.bulk_import_batch_values enable row level security;
revoke all on table public.bulk_import_batch_values from public, anon, authenticated;
