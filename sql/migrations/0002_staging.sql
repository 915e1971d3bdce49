-- Where a batch's rows wait between staging and commit: one row per CSV line, and one record per
-- staged chunk (its payload hash makes a resend recognisable). Both stay after the commit so
-- support staff can see exactly what was sent. Safe to re-run.

create table if not exists public.bulk_import_staged_chunks (
  batch_id uuid not null references public.bulk_import_batches (id) on delete cascade,
  chunk_no int not null check (chunk_no >= 0),
  row_count int not null check (row_count > 0),
  payload_sha256 text not null,
  staged_at timestamptz not null default now(),
  primary key (batch_id, chunk_no)
);

create table if not exists public.bulk_import_staged_rows (
  batch_id uuid not null,
  chunk_no int not null,
  -- Spreadsheet row: the header is row 1, the first data row is row 2.
  row_number int not null,
  transaction_number text not null,
  user_id uuid not null,
  purchased_at timestamptz not null,
  sku_id uuid not null,
  quantity int not null,
  unit_price numeric(12, 2) not null,
  currency text,
  total_amount numeric(12, 2),
  store_code text,
  notes text,
  -- Also the index every read of a batch's rows uses (batch_id leads).
  primary key (batch_id, row_number),
  foreign key (batch_id, chunk_no)
    references public.bulk_import_staged_chunks (batch_id, chunk_no) on delete cascade
);
