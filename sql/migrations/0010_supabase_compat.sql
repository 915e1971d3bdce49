-- What a Supabase project already has and the import relies on, for plain PostgreSQL (the
-- sandbox, the tests): the API roles, the `auth` schema with `auth.uid()`, `auth.role()` and
-- `auth.jwt()` reading the request's JWT claims as PostgREST sets them, and a minimal
-- `auth.users`. Every object is created only where it is missing, so on Supabase this file
-- changes nothing. Safe to re-run.

do $$
declare
  v_role text;
  v_super boolean;
begin
  select r.rolsuper into v_super from pg_catalog.pg_roles r where r.rolname = current_user;
  foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
      begin
        -- As on Supabase: nologin roles that PostgREST switches to; service_role bypasses RLS
        -- (only a superuser may grant that attribute).
        if v_role = 'service_role' and coalesce(v_super, false) then
          execute format('create role %I nologin noinherit bypassrls', v_role);
        else
          execute format('create role %I nologin noinherit', v_role);
        end if;
      exception when duplicate_object then
        null; -- another migrator or test setup created it meanwhile (roles are cluster-wide)
      end;
    end if;
  end loop;
end;
$$;

do $$
begin
  if not exists (select 1 from pg_catalog.pg_namespace n where n.nspname = 'auth') then
    create schema auth;
  end if;

  if pg_catalog.to_regclass('auth.users') is null then
    -- The few columns of Supabase's auth.users the import and its tests use. Supabase Auth owns
    -- the real table; nothing here writes passwords.
    create table auth.users (
      id uuid primary key default gen_random_uuid(),
      aud varchar(255) default 'authenticated',
      role varchar(255) default 'authenticated',
      email varchar(255),
      raw_app_meta_data jsonb default '{}'::jsonb,
      raw_user_meta_data jsonb default '{}'::jsonb,
      created_at timestamptz default now(),
      updated_at timestamptz default now()
    );
    create unique index users_email_key on auth.users (email);
  end if;

  -- The same definitions as Supabase's (they read the claims PostgREST sets per request).
  if pg_catalog.to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid language sql stable as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $f$;
  end if;
  if pg_catalog.to_regprocedure('auth.role()') is null then
    create function auth.role() returns text language sql stable as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $f$;
  end if;
  if pg_catalog.to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb language sql stable as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $f$;
  end if;
end;
$$;

-- Supabase grants the API roles the use of auth's helpers (policies call auth.uid() as them).
do $$
declare
  v_role text;
begin
  foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
    -- Checked first: on Supabase the grant exists and auth belongs to another role.
    if not has_schema_privilege(v_role, 'auth', 'usage') then
      execute format('grant usage on schema auth to %I', v_role);
    end if;
  end loop;
end;
$$;
