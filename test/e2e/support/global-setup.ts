import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { migrate } from '../../../electron/core/db/migrate';
import { startTestPostgres } from '../../support/postgres-server';

// One real PostgreSQL for the e2e run (migrated once); each test seeds a merchant of its own.
// The URL reaches the workers through the environment.

export default async function globalSetup(): Promise<() => Promise<void>> {
  const renderer = resolve(import.meta.dirname, '../../../out/renderer/index.html');
  if (!existsSync(renderer)) {
    throw new Error(
      'out/renderer is missing: run `npx electron-vite build` first (npm run test:e2e does).',
    );
  }
  const server = await startTestPostgres();
  try {
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      // The API roles Supabase has, so the grants migration runs as in production.
      await client.query(`
        do $$
        declare v_role text;
        begin
          foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
            if not exists (select 1 from pg_roles where rolname = v_role) then
              execute format('create role %I nologin', v_role);
            end if;
          end loop;
        end;
        $$`);
    } finally {
      await client.end();
    }
    const started = performance.now();
    await migrate(server.url, { withReferenceSchema: true });
    console.log(
      `[e2e] PostgreSQL ready (start ${Math.round(server.startMs)} ms, migrate ${Math.round(performance.now() - started)} ms)`,
    );
  } catch (error) {
    await server.stop();
    throw error;
  }
  process.env['E2E_DATABASE_URL'] = server.url;
  return async () => {
    await server.stop();
  };
}
