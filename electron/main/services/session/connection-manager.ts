import type { ImportRpc } from '../../../../shared/db/import-rpc';
import type { OperatorRole } from '../../../../shared/db/rpc-contract';
import { RpcError } from '../../../../shared/db/rpc-transport';
import type {
  ConnectionState,
  MerchantAccess,
  Profile,
  SaveProfileInput,
} from '../../../../shared/ipc/contract';
import { projectUrlProblem } from '../../../../shared/net/hosts';
import type { SecretStore } from '../../../core/auth/secret-store';
import {
  createSupabaseAuth,
  hostOf,
  type SupabaseAuthService,
} from '../../../core/auth/supabase-auth';
import {
  openDatabase,
  redactUrl,
  type DatabaseTarget,
  type OpenDatabase,
} from '../../../core/connection';
import { tlsWarning } from '../../../core/db/pg-tls';
import type { SettingsStore, StoredProfile } from '../settings/settings';

// The app's one live database connection: which profile, who is connected, which merchant is
// chosen and what that allows. Secrets (connection strings, Supabase sessions) stay here and in
// the secret stores; the renderer gets ConnectionState, which never holds one.

export const SANDBOX_PROFILE_ID = 'sandbox';
export const ENVIRONMENT_PROFILE_ID = 'environment';

export interface ConnectionDeps {
  settings: SettingsStore;
  dataDir: string;
  /** PURCHASE_IMPORT_DB, as for the CLI: offered as a profile (and the default) when set. */
  environmentUrl: string | null;
  /** Where the built-in sandbox profile goes; tests point it at their own server. */
  sandboxTarget?: () => DatabaseTarget;
  /** Keeps a Supabase profile's session (safeStorage in the app, memory in tests). */
  authStore: (profileId: string) => SecretStore;
  log: (line: string) => void;
  onChange: (state: ConnectionState) => void;
}

export interface ActiveConnection {
  rpc: ImportRpc;
  merchantId: string;
  state: ConnectionState;
}

const NO_PERMISSIONS: ConnectionState['permissions'] = {
  preview: false,
  import: false,
  fix: false,
  history: false,
  recheck: false,
  retry: false,
};

/** The matrix of sql/migrations/0012_authorization.sql, for what the UI offers. */
export function permissionsFor(role: OperatorRole | null): ConnectionState['permissions'] {
  switch (role) {
    case null:
    case 'admin':
      return { preview: true, import: true, fix: true, history: true, recheck: true, retry: true };
    case 'operator':
      return { ...NO_PERMISSIONS, preview: true, import: true, history: true };
    case 'support':
      return { ...NO_PERMISSIONS, history: true, recheck: true, retry: true };
  }
}

function disconnected(): ConnectionState {
  return {
    status: 'disconnected',
    profileId: null,
    profileName: null,
    kind: null,
    label: null,
    who: null,
    unrestricted: false,
    merchants: [],
    merchantId: null,
    permissions: NO_PERMISSIONS,
    error: null,
  };
}

export interface ConnectionManager {
  state(): ConnectionState;
  listProfiles(): Promise<{ profiles: Profile[]; activeId: string | null }>;
  saveProfile(input: SaveProfileInput): Promise<Profile>;
  deleteProfile(id: string): Promise<boolean>;
  connect(profileId: string): Promise<ConnectionState>;
  /** Connects to the profile used last (the sandbox on a first start). */
  connectDefault(): Promise<ConnectionState>;
  signIn(email: string, password: string): Promise<ConnectionState>;
  signOut(): Promise<ConnectionState>;
  selectMerchant(merchantId: string): Promise<ConnectionState>;
  /** The connection to act on, or an error that says what to do first. */
  active(): ActiveConnection;
  close(): Promise<void>;
}

export function createConnectionManager(deps: ConnectionDeps): ConnectionManager {
  let state = disconnected();
  let database: OpenDatabase | null = null;
  let auth: SupabaseAuthService | null = null;
  let generation = 0;

  const publish = (next: ConnectionState): ConnectionState => {
    state = next;
    deps.onChange(state);
    return state;
  };

  const builtIns = (): Profile[] => {
    const list: Profile[] = [];
    if (deps.environmentUrl) {
      list.push({
        id: ENVIRONMENT_PROFILE_ID,
        name: 'PURCHASE_IMPORT_DB',
        kind: 'environment',
        label: redactUrl(deps.environmentUrl),
        hasSecret: true,
        warning: tlsWarning(deps.environmentUrl),
        supabaseUrl: null,
        supabaseAnonKey: null,
      });
    }
    list.push({
      id: SANDBOX_PROFILE_ID,
      name: 'Sandbox',
      kind: 'sandbox',
      label: 'built-in local database',
      hasSecret: false,
      warning: null,
      supabaseUrl: null,
      supabaseAnonKey: null,
    });
    return list;
  };

  const toProfile = async (stored: StoredProfile): Promise<Profile> => {
    const secret =
      stored.kind === 'postgres' ? await deps.settings.secretFor(stored.id).read() : null;
    return {
      id: stored.id,
      name: stored.name,
      kind: stored.kind,
      label: stored.label,
      hasSecret: secret !== null,
      // Derived from the connection string in main; the string itself never leaves.
      warning: secret === null ? null : tlsWarning(secret),
      supabaseUrl: stored.supabaseUrl,
      supabaseAnonKey: stored.supabaseAnonKey,
    };
  };

  const findProfile = async (id: string): Promise<Profile | null> => {
    const builtIn = builtIns().find((p) => p.id === id);
    if (builtIn) return builtIn;
    const stored = (await deps.settings.profiles.read()).profiles.find((p) => p.id === id);
    return stored ? toProfile(stored) : null;
  };

  const closeCurrent = async (): Promise<void> => {
    const closing = database;
    const closingAuth = auth;
    database = null;
    auth = null;
    await closing?.close().catch((error: unknown) => deps.log(`close: ${String(error)}`));
    await closingAuth?.dispose().catch(() => undefined);
  };

  const rpcOf = (): ImportRpc | null => database?.rpc ?? auth?.rpc ?? null;

  /**
   * Signs a profile's session out and deletes it, before the profile's URL or key changes: the
   * session is revoked at the project that issued it (never sent anywhere else), and deleted
   * locally whether or not that project answers.
   */
  const unbindSession = async (profile: StoredProfile): Promise<void> => {
    if (state.profileId === profile.id) {
      generation++;
      await closeCurrent();
      publish(disconnected());
    }
    const store = deps.authStore(profile.id);
    if (
      profile.kind === 'supabase' &&
      profile.supabaseUrl &&
      profile.supabaseAnonKey &&
      (await store.read().catch(() => null)) !== null
    ) {
      let old: SupabaseAuthService | null = null;
      try {
        old = createSupabaseAuth(
          { url: profile.supabaseUrl, anonKey: profile.supabaseAnonKey },
          { store, requestTimeoutMs: REVOKE_TIMEOUT_MS },
        );
        const revoke = old.signOut();
        await Promise.race([revoke, delay(REVOKE_TIMEOUT_MS)]);
      } catch (error) {
        deps.log(`sign-out before a profile change: ${describeError(error)}`);
      } finally {
        await old?.dispose().catch(() => undefined);
      }
    }
    await store.clear();
    deps.log(`profile ${profile.id}: project changed, its session was signed out and deleted`);
  };

  /** Who is connected and which merchants they may use, asked of the database. */
  const describe = async (
    rpc: ImportRpc,
    profile: Profile,
    base: Pick<ConnectionState, 'label'>,
  ): Promise<ConnectionState> => {
    const who = await rpc.call('import_whoami', {});
    let merchants: MerchantAccess[];
    if (who.unrestricted) {
      const list = await rpc.call('import_list_merchants', {});
      merchants = list.merchants.map((m) => ({ id: m.id, name: m.name, role: null }));
    } else {
      merchants = who.merchants.map((m) => ({ id: m.id, name: m.name, role: m.role }));
    }
    merchants.sort((a, b) => a.name.localeCompare(b.name));
    const remembered = (await deps.settings.profiles.read()).merchantByProfile[profile.id];
    const merchant = merchants.find((m) => m.id === remembered) ?? merchants[0] ?? null;
    const whoText = who.unrestricted
      ? profile.kind === 'sandbox'
        ? 'sandbox owner (full access)'
        : 'database owner (full access)'
      : (who.email ?? who.userId ?? 'signed-in user');
    return {
      status: 'connected',
      profileId: profile.id,
      profileName: profile.name,
      kind: profile.kind,
      label: base.label,
      who: whoText,
      unrestricted: who.unrestricted,
      merchants,
      merchantId: merchant?.id ?? null,
      permissions: merchant
        ? permissionsFor(who.unrestricted ? null : merchant.role)
        : NO_PERMISSIONS,
      error:
        merchants.length === 0
          ? who.unrestricted
            ? 'This database has no merchants yet.'
            : 'You are not an operator of any merchant. Ask an admin to add you.'
          : null,
    };
  };

  const failed = (profile: Profile, message: string): ConnectionState => ({
    ...disconnected(),
    status: 'failed',
    profileId: profile.id,
    profileName: profile.name,
    kind: profile.kind,
    label: profile.label,
    error: message,
  });

  // A tagged result, never a bare string: a stored connection string must not be mistaken for
  // the reason a profile cannot connect (it would reach the renderer with its password).
  type Resolved =
    | { kind: 'database'; target: DatabaseTarget }
    | { kind: 'supabase' }
    | { kind: 'unavailable'; reason: string };

  const targetOf = async (profile: Profile): Promise<Resolved> => {
    switch (profile.kind) {
      case 'sandbox':
        return {
          kind: 'database',
          target: deps.sandboxTarget?.() ?? { kind: 'sandbox', dataDir: deps.dataDir },
        };
      case 'environment':
        return deps.environmentUrl
          ? { kind: 'database', target: { kind: 'postgres', url: deps.environmentUrl } }
          : { kind: 'unavailable', reason: 'PURCHASE_IMPORT_DB is not set any more.' };
      case 'postgres': {
        const url = await deps.settings.secretFor(profile.id).read();
        return url
          ? { kind: 'database', target: { kind: 'postgres', url } }
          : {
              kind: 'unavailable',
              reason:
                'The connection string of this profile is not stored on this computer (no keychain is available, so it is kept only until the app quits). Edit the profile and enter it again.',
            };
      }
      case 'supabase':
        return { kind: 'supabase' };
    }
  };

  const manager: ConnectionManager = {
    state: () => state,

    async listProfiles() {
      const file = await deps.settings.profiles.read();
      const stored = await Promise.all(file.profiles.map(toProfile));
      return { profiles: [...builtIns(), ...stored], activeId: state.profileId ?? file.activeId };
    },

    async saveProfile(input) {
      const existing = input.id
        ? (await deps.settings.profiles.read()).profiles.find((p) => p.id === input.id)
        : undefined;
      if (input.id && !existing) throw new Error('That profile no longer exists.');
      if (input.kind === 'postgres') {
        if (!input.connectionString && !existing) {
          throw new Error('Enter the connection string (postgresql://user:password@host:5432/db).');
        }
        const label = input.connectionString
          ? redactUrl(input.connectionString)
          : (existing?.label ?? '');
        const stored = await deps.settings.profiles.upsert({
          ...(input.id ? { id: input.id } : {}),
          name: input.name,
          kind: 'postgres',
          label,
          supabaseUrl: null,
          supabaseAnonKey: null,
        });
        if (input.connectionString) {
          await deps.settings.secretFor(stored.id).write(input.connectionString);
        }
        return toProfile(stored);
      }
      const problem = projectUrlProblem(input.url);
      if (problem) throw new Error(problem);
      const supabaseUrl = input.url.replace(/\/+$/, '');
      if (
        existing &&
        (existing.kind !== 'supabase' ||
          existing.supabaseUrl !== supabaseUrl ||
          existing.supabaseAnonKey !== input.anonKey)
      ) {
        // The session belongs to the project that issued it: another URL or key signs out.
        await unbindSession(existing);
      }
      const stored = await deps.settings.profiles.upsert({
        ...(input.id ? { id: input.id } : {}),
        name: input.name,
        kind: 'supabase',
        label: hostOf(supabaseUrl),
        supabaseUrl,
        supabaseAnonKey: input.anonKey,
      });
      return toProfile(stored);
    },

    async deleteProfile(id) {
      if (id === SANDBOX_PROFILE_ID || id === ENVIRONMENT_PROFILE_ID) {
        throw new Error('The built-in profiles cannot be deleted.');
      }
      if (state.profileId === id) {
        await closeCurrent();
        publish(disconnected());
      }
      await deps.authStore(id).clear();
      return deps.settings.profiles.remove(id);
    },

    async connect(profileId) {
      const profile = await findProfile(profileId);
      if (!profile) throw new Error('That profile no longer exists.');
      const mine = ++generation;
      await closeCurrent();
      publish({
        ...disconnected(),
        status: 'connecting',
        profileId: profile.id,
        profileName: profile.name,
        kind: profile.kind,
        label: profile.label,
      });
      await deps.settings.profiles.setActive(profile.id);
      try {
        const resolved = await targetOf(profile);
        if (resolved.kind === 'unavailable') return publish(failed(profile, resolved.reason));
        if (resolved.kind === 'supabase') {
          const service = createSupabaseAuth(
            { url: profile.supabaseUrl ?? '', anonKey: profile.supabaseAnonKey ?? '' },
            { store: deps.authStore(profile.id) },
          );
          if (mine !== generation) {
            await service.dispose();
            return state;
          }
          auth = service;
          service.onSignedOut(() => {
            if (auth === service) publish({ ...state, ...signedOutState(profile) });
          });
          const user = await service.currentUser().catch(() => null);
          if (!user) return publish(signedOutState(profile));
          return publish(await describe(service.rpc, profile, { label: service.label }));
        }
        const opened = await openDatabase(resolved.target, { log: deps.log });
        if (mine !== generation) {
          await opened.close();
          return state;
        }
        database = opened;
        return publish(await describe(opened.rpc, profile, { label: opened.label }));
      } catch (error) {
        if (mine !== generation) return state;
        await closeCurrent();
        return publish(failed(profile, describeError(error)));
      }
    },

    async connectDefault() {
      const { activeId } = await manager.listProfiles();
      const preferred =
        activeId ?? (deps.environmentUrl ? ENVIRONMENT_PROFILE_ID : SANDBOX_PROFILE_ID);
      const profile = (await findProfile(preferred)) ? preferred : SANDBOX_PROFILE_ID;
      return manager.connect(profile);
    },

    async signIn(email, password) {
      const profile = state.profileId ? await findProfile(state.profileId) : null;
      if (!auth || !profile || profile.kind !== 'supabase') {
        throw new Error('Choose a Supabase profile before signing in.');
      }
      try {
        await auth.signIn(email, password);
      } catch (error) {
        return publish({ ...signedOutState(profile), error: describeError(error) });
      }
      return publish(await describe(auth.rpc, profile, { label: auth.label }));
    },

    async signOut() {
      const profile = state.profileId ? await findProfile(state.profileId) : null;
      if (!auth || !profile) return state;
      await auth.signOut();
      return publish(signedOutState(profile));
    },

    async selectMerchant(merchantId) {
      const merchant = state.merchants.find((m) => m.id === merchantId);
      if (!merchant || !state.profileId) throw new Error('That merchant is not available here.');
      await deps.settings.profiles.rememberMerchant(state.profileId, merchantId);
      return publish({
        ...state,
        merchantId,
        permissions: permissionsFor(state.unrestricted ? null : merchant.role),
      });
    },

    active() {
      const rpc = rpcOf();
      if (!rpc || state.status !== 'connected') {
        throw new Error('Not connected to a database: choose a profile on the Connection screen.');
      }
      if (!state.merchantId) throw new Error('Choose a merchant on the Connection screen first.');
      return { rpc, merchantId: state.merchantId, state };
    },

    async close() {
      generation++;
      await closeCurrent();
    },
  };
  return manager;
}

/** How long a sign-out at a project the profile leaves may take before the session is deleted. */
const REVOKE_TIMEOUT_MS = 5_000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

function signedOutState(profile: Profile): ConnectionState {
  return {
    ...disconnected(),
    status: 'needs-sign-in',
    profileId: profile.id,
    profileName: profile.name,
    kind: profile.kind,
    label: profile.label,
  };
}

/** A message for people; connection strings were already redacted by the transports. */
export function describeError(error: unknown): string {
  if (error instanceof RpcError) {
    if (error.kind === 'unreachable') return `The database did not answer: ${error.message}`;
    // SQLSTATE class 28: the server refused the login itself.
    if (error.code?.startsWith('28')) {
      return `${error.message}. Edit the profile and check the user name and password.`;
    }
    return error.message;
  }
  const message = error instanceof Error ? error.message : String(error);
  return redactConnectionStrings(message);
}

export function redactConnectionStrings(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/)[^\s@/]*@/gi, '$1***@');
}
