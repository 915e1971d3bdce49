import { randomUUID } from 'node:crypto';
import type { ImportRpc } from '../../shared/db/import-rpc';
import type { OperatorRole } from '../../shared/db/rpc-contract';
import { createMemorySecretStore } from '../../electron/core/auth/secret-store';
import {
  createSupabaseAuth,
  type SupabaseAuthService,
} from '../../electron/core/auth/supabase-auth';
import { openDatabase, type OpenDatabase } from '../../electron/core/connection';
import { openTestDb, type TestDb } from './seed';
import {
  startSupabaseGateway,
  type GatewayOptions,
  type SupabaseGateway,
} from './supabase-gateway';

// The Supabase side of a db test file: the gateway double in front of the test PostgreSQL, a
// direct pool for setup and assertions, and helpers to make users operators and sign them in
// through the same auth service the app uses.

export interface SupabaseTestEnv {
  gateway: SupabaseGateway;
  db: TestDb;
  /** Creates a Supabase Auth user (unique e-mail) with the given roles per merchant. */
  createOperator(
    roles: Record<string, OperatorRole>,
    label?: string,
  ): Promise<{ id: string; email: string; password: string }>;
  /** Signs in through supabase-js (auth service with an in-memory store). */
  signIn(email: string, password: string): Promise<SupabaseAuthService>;
  /** The service_role key's view (automation). */
  serviceRole(): Promise<OpenDatabase>;
  close(): Promise<void>;
}

export async function openSupabaseTestEnv(
  databaseUrl: string,
  options: Omit<GatewayOptions, 'databaseUrl'> = {},
): Promise<SupabaseTestEnv> {
  const gateway = await startSupabaseGateway({ databaseUrl, ...options });
  const db = openTestDb(databaseUrl);
  const services: SupabaseAuthService[] = [];
  const opened: OpenDatabase[] = [];
  return {
    gateway,
    db,
    async createOperator(roles, label = 'user') {
      const email = `${label}-${randomUUID().slice(0, 8)}@staff.example.test`;
      const password = `pw-${randomUUID()}`;
      const user = await gateway.createUser(email, password);
      for (const [merchantId, role] of Object.entries(roles)) {
        await db.pool.query(
          'insert into public.import_operators (user_id, merchant_id, role) values ($1, $2, $3)',
          [user.id, merchantId, role],
        );
      }
      return { id: user.id, email, password };
    },
    async signIn(email, password) {
      const auth = createSupabaseAuth(
        { url: gateway.url, anonKey: gateway.anonKey },
        { store: createMemorySecretStore() },
      );
      services.push(auth);
      await auth.signIn(email, password);
      return auth;
    },
    async serviceRole() {
      const db = await openDatabase({
        kind: 'supabase',
        project: { url: gateway.url, anonKey: gateway.anonKey },
        as: { kind: 'service-role', serviceRoleKey: gateway.serviceRoleKey },
      });
      opened.push(db);
      return db;
    },
    async close() {
      for (const service of services) await service.dispose();
      for (const database of opened) await database.close();
      await gateway.close();
      await db.close();
    },
  };
}

/** Resolves to the error a call rejects with (or fails the test when it succeeds). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

export type { ImportRpc };
