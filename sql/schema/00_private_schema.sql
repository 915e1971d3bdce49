-- import_private holds every function body of the import. PostgREST exposes only `public`, so
-- nothing here is callable over the API: the API is the security invoker functions in public,
-- each defined right after the body it calls. Signed-in users need the schema to reach those
-- bodies; anon never does. (migrate creates the schema, before its bookkeeping table.)
--
-- Every file in sql/schema is re-applied, in name order, by every migrate run that changes
-- anything, in the same transaction as the migrations: each function, trigger and policy is
-- defined in exactly one file, its grants right beside it, born locked (revoked from PUBLIC, which
-- PostgreSQL grants EXECUTE by default, and from the API roles, which Supabase's default
-- privileges grant it).

revoke all on schema import_private from public, anon;
grant usage on schema import_private to authenticated, service_role;
