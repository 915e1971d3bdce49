-- The import's own record of every batch: who sent which file, how far it got, and why it failed.
-- Safe to re-run.

create table if not exists public.bulk_import_batches (
  id uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references public.merchants (id),
  batch_name text,
  status text not null default 'pending',
  total_rows int not null default 0,
  -- Maintained by import_stage_chunk so listings need not count staged rows.
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
  constraint bulk_import_batches_status_check
    check (status in ('pending', 'validating', 'processing', 'completed', 'failed')),
  constraint bulk_import_batches_counts_check
    check (total_rows >= 0 and staged_rows >= 0 and chunk_count >= 0),
  constraint bulk_import_batches_errors_check check (jsonb_typeof(errors) = 'array'),
  constraint bulk_import_batches_merchant_idempotency_key unique (merchant_id, idempotency_key)
);

-- History: newest first per merchant, optionally per status.
create index if not exists bulk_import_batches_merchant_created_idx
  on public.bulk_import_batches (merchant_id, created_at desc, id desc);
create index if not exists bulk_import_batches_merchant_status_created_idx
  on public.bulk_import_batches (merchant_id, status, created_at desc, id desc);
