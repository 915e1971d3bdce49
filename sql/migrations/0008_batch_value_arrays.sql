-- The distinct values a refused batch records (migration 0007) move from one row per value to one
-- row per column, the values and their counts as aligned arrays: a 1M-row batch holds 250k
-- transaction numbers, and as 250k rows they took 0.6-3.5 s to write at the refusal and 0.3 s to
-- read back at every re-check (an index entry and a tuple each); as one compressed array (about
-- 0.8 MB) 0.4 s and 0.1 s. The table only caches what the staged rows say, so the rows recorded
-- under 0007 are dropped: a batch without a record has its values counted from its staged rows.

drop table if exists public.bulk_import_batch_values;

create table if not exists public.bulk_import_batch_values (
  batch_id uuid not null references public.bulk_import_batches (id) on delete cascade,
  -- The staged column: 'user_id', 'sku_id', 'user_email', 'sku_code' or 'transaction_number'.
  column_name text collate "C" not null,
  -- Aligned by position: each distinct value, the rows of the batch holding it, the first of them
  -- (spreadsheet row), and how many of them carry a purchase (line 1: more than one for a
  -- transaction staged in two chunks).
  distinct_values text[] collate "C" not null,
  row_counts int[] not null,
  first_rows int[] not null,
  first_lines int[] not null,
  primary key (batch_id, column_name),
  constraint bulk_import_batch_values_aligned check (
    cardinality(row_counts) = cardinality(distinct_values)
    and cardinality(first_rows) = cardinality(distinct_values)
    and cardinality(first_lines) = cardinality(distinct_values)
  )
);
alter table public.bulk_import_batch_values enable row level security;
revoke all on table public.bulk_import_batch_values from public, anon, authenticated;
