-- Who is calling. Through the API, PostgREST logs in as `authenticator` and switches, per request,
-- to the role of the verified JWT (SET ROLE) with its claims in request.jwt.claims. Any other
-- login role can set that setting itself, so claims count only on PostgREST's own sessions: a
-- login role granted `authenticated` that writes claims impersonates nobody.

-- UTC with a 'Z', independent of the session's TimeZone, so every client parses the same instant.
create or replace function import_private.iso_time(p_time timestamptz)
returns text
language sql
immutable
set search_path = ''
as $$
  select to_char(p_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
$$;
revoke all on function import_private.iso_time(timestamptz) from public, anon, authenticated;

-- The request's JWT claims, or null: unset, unreadable, or not set by PostgREST.
create or replace function import_private.request_claims()
returns jsonb
language plpgsql
stable
set search_path = ''
as $$
begin
  if session_user::text <> 'authenticator' then
    return null;
  end if;
  return nullif(current_setting('request.jwt.claims', true), '')::jsonb;
exception when others then
  return null; -- malformed claims name nobody
end;
$$;
-- Policies evaluate as the querying role and ask for its user: a caller may read its own claims.
revoke all on function import_private.request_claims() from public, anon, authenticated;
grant execute on function import_private.request_claims() to authenticated;

-- The signed-in user (the verified JWT's subject), or null.
create or replace function import_private.request_user_id()
returns uuid
language plpgsql
stable
set search_path = ''
as $$
begin
  return (import_private.request_claims() ->> 'sub')::uuid;
exception when others then
  return null; -- a subject that is not a user id
end;
$$;
revoke all on function import_private.request_user_id() from public, anon, authenticated;
grant execute on function import_private.request_user_id() to authenticated;

-- The database role a request runs as: PostgREST switches with SET ROLE (visible as the 'role'
-- setting even inside security definer functions, where current_user is the owner); a direct
-- connection that did not switch is its login role.
create or replace function import_private.caller_db_role()
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(current_setting('role', true), 'none'), session_user::text)
$$;
revoke all on function import_private.caller_db_role() from public, anon, authenticated;

-- service_role (the server key, for automation), a superuser, or a member of the role that owns
-- the import's functions (inside their security definer bodies current_user is that owner): they
-- own the tables anyway, so checking claims they could set themselves would protect nothing.
create or replace function import_private.caller_is_trusted()
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce((
    select r.rolname = 'service_role'
      or r.rolsuper
      or pg_catalog.pg_has_role(r.oid, current_user, 'MEMBER')
    from pg_catalog.pg_roles r
    where r.rolname = import_private.caller_db_role()
  ), false)
$$;
revoke all on function import_private.caller_is_trusted() from public, anon, authenticated;

-- Who the batch records name: the signed-in user's e-mail (or id), else the login role.
create or replace function import_private.current_actor()
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    nullif(import_private.request_claims() ->> 'email', ''),
    nullif(import_private.request_claims() ->> 'sub', ''),
    session_user::text
  )
$$;
revoke all on function import_private.current_actor() from public, anon, authenticated;
