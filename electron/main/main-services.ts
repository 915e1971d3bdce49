import type { EventName, EventPayload } from '../../shared/ipc/contract';
import type { DatabaseTarget } from '../core/connection';
import type { SecretStore } from '../core/auth/secret-store';
import { createFileGrants } from './services/files/file-grants';
import { createConnectionManager } from './services/session/connection-manager';
import { createSessionService } from './services/session/session-service';
import { createSettingsStore } from './services/settings/settings';
import { createHandlers, type Handlers } from './ipc/handlers';
import type { Dialogs } from './ipc/dialogs';

// The main process's services and IPC handlers, wired once: the app (electron/main/index.ts) and
// the test hosts (UI harness, compromised-renderer suite) build them with this same function, so
// a test exercises the wiring the app ships. Electron-specific parts come in as plain functions:
// secret storage, pushes to the window, notifications, dialogs.

export interface MainServicesDeps {
  dataDir: string;
  /** The encrypted store for a secret file (safeStorage in the app, memory in tests). */
  secretStore: (path: string) => SecretStore;
  log: (line: string) => void;
  /** Pushes to the window (event:*). */
  emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void;
  notify: (title: string, body: string) => void;
  dialogs: Dialogs;
  appInfo: { platform: string; version: string };
  /** PURCHASE_IMPORT_DB: offered as a profile (and the default) when set. */
  environmentUrl?: string | null;
  /** Where the built-in sandbox profile goes; tests point it at their own server. */
  sandboxTarget?: () => DatabaseTarget;
  /** The built parse worker; default: next to parse-file. */
  workerUrl?: URL;
  prewarm?: () => void;
  /** Stage files while they are read whatever their size (tests); see SessionServiceDeps. */
  stageWhileRead?: boolean;
}

export function createMainServices(deps: MainServicesDeps) {
  const settings = createSettingsStore(deps.dataDir, deps.secretStore, deps.log);
  const connection = createConnectionManager({
    settings,
    dataDir: deps.dataDir,
    environmentUrl: deps.environmentUrl ?? null,
    ...(deps.sandboxTarget ? { sandboxTarget: deps.sandboxTarget } : {}),
    authStore: (profileId) => settings.secretFor(`auth-${profileId}`),
    log: deps.log,
    onChange: (state) => deps.emit('event:connection-changed', state),
  });
  const sessions = createSessionService({
    connection,
    settings,
    ...(deps.workerUrl ? { workerUrl: deps.workerUrl } : {}),
    ...(deps.stageWhileRead === undefined ? {} : { stageWhileRead: deps.stageWhileRead }),
    emitImportProgress: (progress) => deps.emit('event:import-progress', progress),
    emitCommitProgress: (progress) => deps.emit('event:commit-progress', progress),
    notify: deps.notify,
    log: deps.log,
  });
  const handlers: Handlers = createHandlers({
    connection,
    sessions,
    settings,
    files: createFileGrants({ dataDir: deps.dataDir, recents: settings.recentFiles }),
    appInfo: { ...deps.appInfo, dataDir: deps.dataDir },
    ...(deps.prewarm ? { prewarm: deps.prewarm } : {}),
    dialogs: deps.dialogs,
  });
  return { settings, connection, sessions, handlers };
}

export type MainServices = ReturnType<typeof createMainServices>;
