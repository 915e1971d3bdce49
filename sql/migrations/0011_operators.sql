-- Who may use the import for which merchant: one role per Supabase Auth user and merchant.
--   operator  preview (reference check), import (begin, stage, commit), history
--   support   history, re-check and retry of failed batches; no new imports
--   admin     everything above, plus managing the merchant's operators
-- The permission matrix itself lives in public.import_role_allows (0012). Safe to re-run.

create table if not exists public.import_operators (
  user_id uuid not null references auth.users (id) on delete cascade,
  merchant_id uuid not null references public.merchants (id) on delete cascade,
  role text not null,
  created_at timestamptz not null default now(),
  created_by text,
  constraint import_operators_pkey primary key (user_id, merchant_id),
  constraint import_operators_role_check check (role in ('operator', 'admin', 'support'))
);

-- "Who operates merchant X" (admin screens, the last-admin guard); the primary key serves
-- "what may user U do", which every RPC call asks.
create index if not exists import_operators_merchant_idx
  on public.import_operators (merchant_id, role);

-- Reached only through the import's functions: no client role reads or writes it directly.
alter table public.import_operators enable row level security;
revoke all on table public.import_operators from public;
do $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated'] loop
    if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
      execute format('revoke all on table public.import_operators from %I', v_role);
    end if;
  end loop;
end;
$$;
