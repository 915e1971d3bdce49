import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../electron/core/db/migrate';
import { startTestPostgres } from './postgres-server';

// One real PostgreSQL for the whole db project: started once, migrated once, its URL handed to
// every test file through `inject('databaseUrl')`.

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startTestPostgres();
  if (server.startedHere) {
    console.log(`[db] PostgreSQL started in ${Math.round(server.startMs)} ms`);
  }
  try {
    await createSupabaseRoles(server.url);
    const started = performance.now();
    const { applied } = await migrate(server.url, { withReferenceSchema: true });
    console.log(
      `[db] migrated in ${Math.round(performance.now() - started)} ms (${applied.length} files)`,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  project.provide('databaseUrl', server.url);
  return async () => {
    await server.stop();
  };
}

/** The roles Supabase has, so the grants migration is exercised as it will be in production. */
async function createSupabaseRoles(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      do $$
      declare
        v_role text;
      begin
        foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
          if not exists (select 1 from pg_roles where rolname = v_role) then
            execute format('create role %I nologin', v_role);
          end if;
        end loop;
      end;
      $$`);
  } catch (error) {
    // Concurrent setups may race on create role; the roles existing is all that matters.
    const exists = await client.query<{ n: string }>(
      "select count(*) as n from pg_roles where rolname in ('anon', 'authenticated', 'service_role')",
    );
    if (exists.rows[0]?.n !== '3') throw error;
  } finally {
    await client.end();
  }
}
