-- Where a batch's rows wait between staging and commit: one row per CSV line, and one record per
-- staged chunk (its payload hash makes a resend recognisable). Both stay after the commit so
-- support staff can see exactly what was sent. Safe to re-run.
--
-- Staging does the work that depends only on a chunk's own rows, so the commit (which must stay
-- far below Supabase's statement timeout) need not: it assigns each purchase its id and each row
-- its item id and line number, sums the items, and records the chunk's own rule violations
-- (inconsistent purchases, totals, ranges, currency codes) in bulk_import_staged_chunks.errors.
-- Clients send whole purchases per chunk; the commit checks that they did (0006) before it
-- trusts these per-chunk results.

create table if not exists public.bulk_import_staged_chunks (
  batch_id uuid not null references public.bulk_import_batches (id) on delete cascade,
  chunk_no int not null check (chunk_no >= 0),
  row_count int not null check (row_count > 0),
  payload_sha256 text not null,
  staged_at timestamptz not null default now(),
  -- This chunk's batch-independent rule violations, [{row, column, code, message, value,
  -- subject}] (subject: what the summary counts). Null for chunks staged before these were
  -- recorded: their batch is checked as a whole.
  errors jsonb,
  primary key (batch_id, chunk_no)
);
alter table public.bulk_import_staged_chunks add column if not exists errors jsonb;

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
  -- Assigned at staging, per transaction of the chunk: the ids the commit inserts with, the line
  -- number (1 marks the row that carries the purchase) and, on line 1, the items' sum.
  purchase_id uuid,
  item_id uuid,
  line_number int,
  items_sum numeric,
  -- Also the index every read of a batch's rows uses (batch_id leads).
  primary key (batch_id, row_number)
);
alter table public.bulk_import_staged_rows
  add column if not exists purchase_id uuid,
  add column if not exists item_id uuid,
  add column if not exists line_number int,
  add column if not exists items_sum numeric;

-- A chunk's rows used to reference their chunk by a foreign key, whose per-row check cost a third
-- of every staging call. import_stage_chunk writes a chunk's record and rows in one transaction,
-- so the reference holds by construction; deleting a chunk (or its batch) still deletes its rows.
alter table public.bulk_import_staged_rows
  drop constraint if exists bulk_import_staged_rows_batch_id_chunk_no_fkey;

create or replace function public.import_delete_staged_chunk_rows()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from public.bulk_import_staged_rows s
  using gone g
  where s.batch_id = g.batch_id and s.chunk_no = g.chunk_no;
  return null;
end;
$$;

drop trigger if exists bulk_import_staged_chunks_delete_rows on public.bulk_import_staged_chunks;
create trigger bulk_import_staged_chunks_delete_rows
  after delete on public.bulk_import_staged_chunks
  referencing old table as gone
  for each statement
  execute function public.import_delete_staged_chunk_rows();

do $$
declare
  v_role text;
begin
  revoke all on function public.import_delete_staged_chunk_rows() from public;
  foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
    if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
      execute format(
        'revoke all on function public.import_delete_staged_chunk_rows() from %I', v_role
      );
    end if;
  end loop;
end;
$$;
