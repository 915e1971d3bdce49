-- Issue 14: import_stage_chunk takes its rows as json instead of jsonb (sql/schema/05: the text is
-- hashed as sent and read in one pass). The schema files define the new signature; this drops the
-- old API function, which would otherwise stay beside it as an overload (PostgREST cannot choose
-- between two functions of one name with the same argument names). The old private body goes with
-- it: migrate also drops private functions no schema file defines any more. A no-op on a new
-- database.
drop function if exists public.import_stage_chunk(uuid, integer, jsonb);
drop function if exists import_private.stage_chunk(uuid, integer, jsonb);
