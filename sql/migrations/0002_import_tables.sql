-- The import's own tables, each born locked: row-level security on and every right revoked from
-- the client roles in the statement right after its creation (on Supabase, default privileges
-- grant anon and authenticated everything on new tables in public). Clients reach them only
-- through the functions in sql/schema; the policies there make a future grant safe.
--
-- Written to also bring a database migrated by the pre-1.0 layout (functions in migrations, every
-- file re-applied) to this one: each statement is a no-op where its change is already made.

-- The import's record of every batch: who sent which file, how far it got, and why it failed.
create table if not exists public.bulk_import_batches (
  id uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references public.merchants (id),
  batch_name text,
  status text not null default 'pending',
  total_rows int not null default 0,
  -- Maintained by staging so listings need not count staged rows.
  staged_rows int not null default 0,
  chunk_count int,
  imported_purchases int not null default 0,
  imported_items int not null default 0,
  error_message text,
  errors jsonb not null default '[]'::jsonb,
  -- Stored so listings need not detoast a large errors document per batch.
  error_count int generated always as (jsonb_array_length(errors)) stored,
  file_name text,
  file_sha256 text,
  idempotency_key text not null,
  created_by text,
  created_at timestamptz not null default now(),
  started_at timestamptz,
  completed_at timestamptz,
  constraint bulk_import_batches_counts_check
    check (total_rows >= 0 and staged_rows >= 0 and chunk_count >= 0),
  constraint bulk_import_batches_errors_check check (jsonb_typeof(errors) = 'array'),
  constraint bulk_import_batches_merchant_idempotency_key unique (merchant_id, idempotency_key)
);
alter table public.bulk_import_batches enable row level security;
revoke all on table public.bulk_import_batches from public, anon, authenticated;

-- 'cancelled': abandoned before its commit step; final (its staged rows are dropped).
alter table public.bulk_import_batches
  drop constraint if exists bulk_import_batches_status_check;
alter table public.bulk_import_batches
  add constraint bulk_import_batches_status_check
  check (status in ('pending', 'validating', 'processing', 'completed', 'failed', 'cancelled'));

-- History: newest first per merchant, optionally per status.
create index if not exists bulk_import_batches_merchant_created_idx
  on public.bulk_import_batches (merchant_id, created_at desc, id desc);
create index if not exists bulk_import_batches_merchant_status_created_idx
  on public.bulk_import_batches (merchant_id, status, created_at desc, id desc);

-- One record per staged chunk: its payload hash makes a resend recognisable, and its rule
-- violations (those that depend only on its own rows) are recorded at staging so the commit
-- need not recompute them.
create table if not exists public.bulk_import_staged_chunks (
  batch_id uuid not null references public.bulk_import_batches (id) on delete cascade,
  chunk_no int not null check (chunk_no >= 0),
  row_count int not null check (row_count > 0),
  payload_sha256 text not null,
  staged_at timestamptz not null default now(),
  -- [{row, column, code, message, value, subject}] (subject: what the summary counts). Null for
  -- chunks staged before these were recorded: their batch is checked as a whole.
  errors jsonb,
  primary key (batch_id, chunk_no)
);
alter table public.bulk_import_staged_chunks enable row level security;
revoke all on table public.bulk_import_staged_chunks from public, anon, authenticated;
alter table public.bulk_import_staged_chunks add column if not exists errors jsonb;

-- Where a batch's rows wait between staging and commit, one row per file line. They stay after
-- the commit so support staff can see exactly what was sent.
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
alter table public.bulk_import_staged_rows enable row level security;
revoke all on table public.bulk_import_staged_rows from public, anon, authenticated;
alter table public.bulk_import_staged_rows
  add column if not exists purchase_id uuid,
  add column if not exists item_id uuid,
  add column if not exists line_number int,
  add column if not exists items_sum numeric;
-- No foreign key to the chunk: its per-row check cost a third of every staging call. Staging
-- writes a chunk's record and rows in one transaction, and a trigger (sql/schema) deletes a
-- chunk's rows with it.
alter table public.bulk_import_staged_rows
  drop constraint if exists bulk_import_staged_rows_batch_id_chunk_no_fkey;

-- Who may use the import for which merchant: one role per Supabase Auth user and merchant
-- (operator, support, admin; the permission matrix is import_private.role_allows).
create table if not exists public.import_operators (
  user_id uuid not null references auth.users (id) on delete cascade,
  merchant_id uuid not null references public.merchants (id) on delete cascade,
  role text not null,
  created_at timestamptz not null default now(),
  created_by text,
  constraint import_operators_pkey primary key (user_id, merchant_id),
  constraint import_operators_role_check check (role in ('operator', 'admin', 'support'))
);
alter table public.import_operators enable row level security;
revoke all on table public.import_operators from public, anon, authenticated;

-- "Who operates merchant X" (admin screens, the last-admin guard); the primary key serves
-- "what may user U do", which every call asks.
create index if not exists import_operators_merchant_idx
  on public.import_operators (merchant_id, role);
