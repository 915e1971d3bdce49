-- A failed batch's row errors, one row each, so they can be counted by cause and read in pages:
-- a 1M-row batch refused for 20 unknown SKU ids used to carry its million errors as one jsonb
-- value that every read of the batch returned whole. The batch keeps a bounded summary by cause
-- (error_summary) and the count (error_count).

create table if not exists public.bulk_import_batch_errors (
  batch_id uuid not null references public.bulk_import_batches (id) on delete cascade,
  -- Spreadsheet row (0 for an error of the batch as a whole).
  row_number int not null,
  -- '' for an error of no column (jsonb's null), so the key can hold it.
  column_name text not null default '',
  code text not null,
  message text not null,
  value text,
  -- Also the order of every page: by row, then column, then code.
  primary key (batch_id, row_number, column_name, code)
);
alter table public.bulk_import_batch_errors enable row level security;
revoke all on table public.bulk_import_batch_errors from public, anon, authenticated;

alter table public.bulk_import_batches
  add column if not exists error_summary jsonb not null default '[]'::jsonb;

-- Errors recorded in the batch row by the earlier layout move to the table.
insert into public.bulk_import_batch_errors (batch_id, row_number, column_name, code, message, value)
select b.id, (e.value ->> 'row')::int, coalesce(e.value ->> 'column', ''), e.value ->> 'code',
  e.value ->> 'message', e.value ->> 'value'
from public.bulk_import_batches b
cross join lateral jsonb_array_elements(b.errors) as e(value)
where jsonb_typeof(b.errors) = 'array' and jsonb_array_length(b.errors) > 0
on conflict do nothing;

alter table public.bulk_import_batches alter column error_count drop expression;
alter table public.bulk_import_batches alter column error_count set default 0;
alter table public.bulk_import_batches drop constraint if exists bulk_import_batches_errors_check;
alter table public.bulk_import_batches drop column errors;
