import type { IpcResult } from '../../../shared/ipc/api';
import type {
  Channel,
  ChannelInput,
  ChannelOutput,
  EventName,
  EventPayload,
} from '../../../shared/ipc/contract';
import {
  createMemorySecretStore,
  type SecretStore,
} from '../../../electron/core/auth/secret-store';
import type { ConnectionManager } from '../../../electron/main/services/session/connection-manager';
import type { SessionService } from '../../../electron/main/services/session/session-service';
import { createMainServices } from '../../../electron/main/main-services';
import { dispatch } from '../../../electron/main/ipc/dispatch';

// The main process without Electron (as test/e2e/support/host.ts hosts it), recording everything
// that leaves it: every line its services log, every answer and push the renderer would receive,
// and every value handed to a secret store (the only place a token or password may rest).

export interface Exchange {
  channel: Channel;
  result: IpcResult<unknown>;
}

export interface CapturingHost {
  /** Calls a channel as the renderer does (input parsed as unknown, output checked). */
  call(channel: Channel, input?: unknown): Promise<IpcResult<unknown>>;
  /** Like call, but returns the value (checked by the contract) and throws when it failed. */
  value<C extends Channel>(channel: C, input?: ChannelInput<C>): Promise<ChannelOutput<C>>;
  answerSaveDialog(path: string | null): void;
  answerOpenDialog(path: string | null): void;
  /** The user chooses this file in main's open dialog: returns the handle main issued. */
  choose(path: string): Promise<string>;
  readonly log: string[];
  readonly exchanges: Exchange[];
  readonly events: { event: EventName; payload: unknown }[];
  /** Everything written to a secret store (sessions, connection strings). */
  readonly secretWrites: string[];
  readonly connection: ConnectionManager;
  readonly sessions: SessionService;
  readonly dataDir: string;
  close(): Promise<void>;
}

export function createCapturingHost(options: {
  dataDir: string;
  /** Where the built-in sandbox profile connects (the test server, with its password). */
  databaseUrl: string;
}): CapturingHost {
  const log: string[] = [];
  const exchanges: Exchange[] = [];
  const events: { event: EventName; payload: unknown }[] = [];
  const secretWrites: string[] = [];
  const saveAnswers: (string | null)[] = [];
  const openAnswers: (string | null)[] = [];
  const write = (line: string): void => {
    log.push(line);
  };
  const stores = new Map<string, SecretStore>();
  const storeFor = (key: string): SecretStore => {
    let store = stores.get(key);
    if (!store) {
      const inner = createMemorySecretStore();
      store = {
        persistent: inner.persistent,
        read: () => inner.read(),
        clear: () => inner.clear(),
        write: async (secret) => {
          secretWrites.push(secret);
          await inner.write(secret);
        },
      };
      stores.set(key, store);
    }
    return store;
  };
  const emit = <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    events.push({ event, payload });
  };
  // The app's own wiring; only dialogs, notifications and secret storage are stand-ins.
  const { connection, sessions, handlers } = createMainServices({
    dataDir: options.dataDir,
    secretStore: storeFor,
    log: write,
    emit,
    sandboxTarget: () => ({ kind: 'postgres', url: options.databaseUrl }),
    notify: (title, body) => write(`notify: ${title}: ${body}`),
    appInfo: { platform: process.platform, version: 'security' },
    dialogs: {
      openCsv: async () => openAnswers.shift() ?? null,
      saveCsv: async () => saveAnswers.shift() ?? null,
    },
  });
  const call = async (channel: Channel, input?: unknown): Promise<IpcResult<unknown>> => {
    const result = await dispatch(handlers, channel, input, write);
    exchanges.push({ channel, result });
    return result;
  };
  return {
    call,
    async value<C extends Channel>(channel: C, input?: ChannelInput<C>) {
      const result = await call(channel, input);
      if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
      // dispatch parsed it with the channel's output schema.
      return result.value as ChannelOutput<C>;
    },
    answerSaveDialog: (path) => saveAnswers.push(path),
    answerOpenDialog: (path) => openAnswers.push(path),
    async choose(path) {
      openAnswers.push(path);
      const result = await call('import:choose-file');
      if (!result.ok) throw new Error(`import:choose-file: ${result.error.message}`);
      const { file } = result.value as ChannelOutput<'import:choose-file'>;
      if (!file) throw new Error('import:choose-file: no file');
      return file.handle;
    },
    log,
    exchanges,
    events,
    secretWrites,
    connection,
    sessions,
    dataDir: options.dataDir,
    close: async () => {
      sessions.close();
      await connection.close();
    },
  };
}

/**
 * The names of the secrets that occur in the text. A JWT also counts as leaked when only its
 * signature shows (a token cut in two by a log line is still a token).
 */
export function leakedSecrets(text: string, secrets: Readonly<Record<string, string>>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    if (secret.length < 8) throw new Error(`secret ${name} is too short to scan for`);
    const parts = secret.split('.');
    const signature = parts.length === 3 ? parts[2] : undefined;
    const probes = [secret, encodeURIComponent(secret), ...(signature ? [signature] : [])];
    if (probes.some((probe) => text.includes(probe))) found.push(name);
  }
  return found;
}

/** Access and refresh tokens of every Supabase session written to a store. */
export function tokensIn(secretWrites: readonly string[]): {
  accessTokens: string[];
  refreshTokens: string[];
} {
  const accessTokens = new Set<string>();
  const refreshTokens = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      // supabase-js stores the session as JSON text inside the storage's item map.
      if (value.startsWith('{')) {
        try {
          visit(JSON.parse(value) as unknown);
        } catch {
          // not JSON: a connection string or similar, not a session
        }
      }
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'access_token' && typeof inner === 'string') accessTokens.add(inner);
      else if (key === 'refresh_token' && typeof inner === 'string') refreshTokens.add(inner);
      else visit(inner);
    }
  };
  for (const written of secretWrites) visit(written);
  return { accessTokens: [...accessTokens], refreshTokens: [...refreshTokens] };
}
