import { createHash } from 'node:crypto';
import { AuthApiError, AuthRetryableFetchError, type SupabaseClient } from '@supabase/supabase-js';
import { z } from 'zod';
import { createImportRpc, type ImportRpc } from '../../../shared/db/import-rpc';
import type { OperatorRole } from '../../../shared/db/rpc-contract';
import { RpcError } from '../../../shared/db/rpc-transport';
import { createSupabaseTransport } from '../../../shared/db/supabase-transport';
import type { SecretStore } from './secret-store';
import { createSupabaseClient } from './supabase-client';

// Staff sign in to the Supabase project with e-mail and password (Supabase Auth, through
// supabase-js) in the main process. The session is kept by supabase-js, which refreshes it
// before it expires; its storage is this file's adapter over a SecretStore (encrypted by
// safeStorage in the app). Tokens never leave this module: callers get who is signed in and
// what they may do, never a token or a key.

export interface SupabaseProject {
  /** https://<ref>.supabase.co */
  url: string;
  /** The publishable (anon) key: safe to ship, it grants nothing without a signed-in user. */
  anonKey: string;
}

export interface MerchantAccess {
  id: string;
  name: string;
  role: OperatorRole;
}

/** What the UI may know about the signed-in user. */
export interface AuthUser {
  id: string;
  email: string | null;
  merchants: MerchantAccess[];
}

export type AuthFailureKind = 'invalid-credentials' | 'unreachable' | 'refused';

export class AuthFailure extends Error {
  constructor(
    readonly kind: AuthFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'AuthFailure';
  }
}

export interface SupabaseAuthService {
  /** The import RPC functions as the signed-in user (permission errors when signed out). */
  readonly rpc: ImportRpc;
  /** Project host, for display; never a key. */
  readonly label: string;
  /** False when the session is not kept across restarts (no OS keychain available). */
  readonly persistent: boolean;
  signIn(email: string, password: string): Promise<AuthUser>;
  /** Ends this device's session (other devices stay signed in) and forgets it locally. */
  signOut(): Promise<void>;
  /** The signed-in user with their roles, or null. Refreshes an expiring session first. */
  currentUser(): Promise<AuthUser | null>;
  /** Called when the session ends without signOut (refresh token revoked or expired). */
  onSignedOut(listener: () => void): () => void;
  /** Stops the refresh timer; the stored session stays for the next start. */
  dispose(): Promise<void>;
}

export interface SupabaseAuthOptions {
  store: SecretStore;
  /** Replaces global fetch (tests). */
  fetch?: typeof fetch;
  /** Client-side limit per API call; Supabase's gateway itself gives up after about 60 s. */
  requestTimeoutMs?: number;
}

const STORAGE_KEY = 'purchase-import-auth';
const storedSessionSchema = z.object({
  /** projectBinding() of the project that issued the session. */
  project: z.string(),
  items: z.record(z.string(), z.string()),
});

/**
 * What a stored session is bound to: the project URL and its key. A session is only ever sent
 * to the project that issued it; a profile edited to point elsewhere finds no session.
 */
export function projectBinding(project: SupabaseProject): string {
  const url = project.url.replace(/\/+$/, '');
  return createHash('sha256').update(`${url}\n${project.anonKey}`).digest('base64url');
}

/**
 * supabase-js's storage interface over a SecretStore: all items in one encrypted blob, written
 * through (in order) on every change, read once on start. The blob names the project it belongs
 * to; a blob of another project (or an older format) is deleted, never used.
 */
class SessionStorage {
  private items = new Map<string, string>();
  private readonly loaded: Promise<void>;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: SecretStore,
    private readonly binding: string,
  ) {
    this.loaded = this.load();
  }

  private async load(): Promise<void> {
    const text = await this.store.read().catch(() => null);
    if (text === null) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    const stored = storedSessionSchema.safeParse(parsed);
    if (stored.success && stored.data.project === this.binding) {
      this.items = new Map(Object.entries(stored.data.items));
    } else {
      await this.store.clear();
    }
  }

  async getItem(key: string): Promise<string | null> {
    await this.loaded;
    return this.items.get(key) ?? null;
  }

  async setItem(key: string, value: string): Promise<void> {
    await this.loaded;
    this.items.set(key, value);
    await this.persist();
  }

  async removeItem(key: string): Promise<void> {
    await this.loaded;
    this.items.delete(key);
    await this.persist();
  }

  async clear(): Promise<void> {
    await this.loaded;
    this.items.clear();
    this.writes = this.writes.then(() => this.store.clear());
    await this.writes;
  }

  private persist(): Promise<void> {
    const snapshot = JSON.stringify({
      project: this.binding,
      items: Object.fromEntries(this.items),
    });
    const empty = this.items.size === 0;
    this.writes = this.writes
      .catch(() => undefined)
      .then(() => (empty ? this.store.clear() : this.store.write(snapshot)));
    return this.writes;
  }
}

export function createSupabaseAuth(
  project: SupabaseProject,
  options: SupabaseAuthOptions,
): SupabaseAuthService {
  const storage = new SessionStorage(options.store, projectBinding(project));
  const client: SupabaseClient = createSupabaseClient(project.url, project.anonKey, {
    auth: {
      storage,
      storageKey: STORAGE_KEY,
      persistSession: true,
      autoRefreshToken: true,
      detectSessionInUrl: false,
    },
    db: { timeout: options.requestTimeoutMs ?? 90_000 },
    global: options.fetch ? { fetch: options.fetch } : {},
  });
  const label = hostOf(project.url);
  const transport = createSupabaseTransport(client, { label });
  const rpc = createImportRpc(transport);
  const listeners = new Set<() => void>();
  let signingOut = false;
  const subscription = client.auth.onAuthStateChange((event) => {
    if (event === 'SIGNED_OUT' && !signingOut) {
      for (const listener of listeners) listener();
    }
  });

  async function describeUser(fallback: { id: string; email: string | null }): Promise<AuthUser> {
    const who = await rpc.call('import_whoami', {});
    return {
      id: who.userId ?? fallback.id,
      email: who.email ?? fallback.email,
      merchants: who.merchants,
    };
  }

  return {
    rpc,
    label,
    persistent: options.store.persistent,
    async signIn(email, password) {
      const { data, error } = await client.auth.signInWithPassword({ email, password });
      if (error || !data.session) throw toAuthFailure(error);
      return describeUser({ id: data.user.id, email: data.user.email ?? null });
    },
    async signOut() {
      signingOut = true;
      try {
        // Revokes this session's refresh token at Supabase; offline, the local copy still goes.
        await client.auth.signOut({ scope: 'local' }).catch(() => undefined);
        await storage.clear();
      } finally {
        signingOut = false;
      }
    },
    async currentUser() {
      const { data } = await client.auth.getSession();
      const session = data.session;
      if (!session) return null;
      try {
        return await describeUser({ id: session.user.id, email: session.user.email ?? null });
      } catch (error) {
        // The server no longer accepts this session (user deleted, token revoked): signed out.
        if (error instanceof RpcError && error.kind === 'permission') {
          await storage.clear();
          return null;
        }
        throw error;
      }
    },
    onSignedOut(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async dispose() {
      subscription.data.subscription.unsubscribe();
      listeners.clear();
      await client.auth.stopAutoRefresh();
    },
  };
}

function toAuthFailure(error: unknown): AuthFailure {
  if (error instanceof AuthRetryableFetchError) {
    return new AuthFailure('unreachable', 'Supabase Auth did not answer; check the connection.');
  }
  if (error instanceof AuthApiError) {
    if (error.code === 'invalid_credentials' || error.status === 400) {
      return new AuthFailure('invalid-credentials', 'Wrong e-mail or password.');
    }
    return new AuthFailure('refused', `Supabase Auth refused the sign-in: ${error.message}`);
  }
  const message = error instanceof Error ? error.message : 'no session returned';
  return new AuthFailure('refused', `Sign-in failed: ${message}`);
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'supabase';
  }
}
