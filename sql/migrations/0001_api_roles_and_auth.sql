-- What a Supabase project already has and the import relies on, for plain PostgreSQL (the
-- sandbox, the tests, a self-hosted CRM): the API roles PostgREST switches to, the `auth` schema
-- with a minimal `auth.users`, and `auth.uid()` / `auth.role()` / `auth.jwt()`. Every object is
-- created only where it is missing, so on Supabase this file changes nothing.
--
-- Migrations hold tables and data only, append-only; functions, policies and grants are in
-- sql/schema (re-applied by every migrate run, in the same transaction).

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
        null; -- another cluster user created it meanwhile (roles are cluster-wide)
      end;
    end if;
  end loop;
end;
$$;

create schema if not exists auth;

do $$
begin
  if pg_catalog.to_regclass('auth.users') is null then
    -- The few columns of Supabase's auth.users the import and its tests use. Supabase Auth owns
    -- the real table; nothing here stores passwords.
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
    revoke all on table auth.users from public, anon, authenticated;
  end if;

  -- Supabase's definitions (they read the claims PostgREST sets per request). The import itself
  -- reads claims only through import_private.request_claims(), which trusts PostgREST's sessions
  -- alone.
  if pg_catalog.to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid language sql stable set search_path = '' as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $f$;
  end if;
  if pg_catalog.to_regprocedure('auth.role()') is null then
    create function auth.role() returns text language sql stable set search_path = '' as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $f$;
  end if;
  if pg_catalog.to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb language sql stable set search_path = '' as $f$
      select coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $f$;
  end if;
end;
$$;
