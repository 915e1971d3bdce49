-- Reference copy of the CRM tables production already has. Used by the sandbox and the tests
-- only: the import migrations never create or alter these in a real CRM database.
-- Safe to re-run.

create table if not exists public.merchants (
  id uuid primary key default gen_random_uuid(),
  name text not null,
  created_at timestamptz not null default now()
);

create table if not exists public.user_accounts (
  id uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references public.merchants (id),
  email text,
  display_name text,
  created_at timestamptz not null default now()
);

create table if not exists public.skus (
  id uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references public.merchants (id),
  code text,
  name text not null,
  created_at timestamptz not null default now()
);

create table if not exists public.purchases (
  id uuid primary key default gen_random_uuid(),
  merchant_id uuid not null references public.merchants (id),
  user_id uuid not null references public.user_accounts (id),
  transaction_number text not null,
  purchased_at timestamptz not null,
  currency char(3),
  total_amount numeric(12, 2) not null,
  store_code text,
  notes text,
  import_batch_id uuid,
  created_at timestamptz not null default now(),
  constraint purchases_merchant_transaction_key unique (merchant_id, transaction_number)
);

create table if not exists public.purchase_items (
  id uuid primary key default gen_random_uuid(),
  purchase_id uuid not null references public.purchases (id) on delete cascade,
  line_number int not null,
  sku_id uuid not null references public.skus (id),
  quantity int not null check (quantity > 0),
  unit_price numeric(12, 2) not null check (unit_price >= 0),
  import_batch_id uuid,
  created_at timestamptz not null default now(),
  constraint purchase_items_purchase_line_key unique (purchase_id, line_number)
);

-- The reference check and the commit look users and SKUs up by id (primary key) and check the
-- merchant; these serve listings per merchant, the foreign keys' delete checks and "what did
-- batch X import".
create index if not exists user_accounts_merchant_id_idx on public.user_accounts (merchant_id);
create index if not exists skus_merchant_id_idx on public.skus (merchant_id);
create index if not exists purchases_user_id_idx on public.purchases (user_id);
create index if not exists purchases_import_batch_id_idx
  on public.purchases (import_batch_id) where import_batch_id is not null;
create index if not exists purchase_items_sku_id_idx on public.purchase_items (sku_id);
-- Items of a batch are found through its purchases; an items index on import_batch_id would only
-- slow every import down.

-- Locked like the import's own tables: nothing here is for the API roles (the import reads and
-- writes these only inside its own functions).
alter table public.merchants enable row level security;
alter table public.user_accounts enable row level security;
alter table public.skus enable row level security;
alter table public.purchases enable row level security;
alter table public.purchase_items enable row level security;
revoke all on table public.merchants, public.user_accounts, public.skus, public.purchases,
  public.purchase_items from public;
-- On a fresh PostgreSQL the API roles come with the first migration, after this file; where they
-- exist already, default privileges may have granted them these tables.
do $$
begin
  if exists (select 1 from pg_catalog.pg_roles r where r.rolname = 'anon')
    and exists (select 1 from pg_catalog.pg_roles r where r.rolname = 'authenticated') then
    revoke all on table public.merchants, public.user_accounts, public.skus, public.purchases,
      public.purchase_items from anon, authenticated;
  end if;
end;
$$;
