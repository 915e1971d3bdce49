import type { EventName, EventPayload } from '../../../shared/ipc/contract';
import { createMemorySecretStore } from '../../../electron/core/auth/secret-store';
import type { Handlers } from '../../../electron/main/ipc/handlers';
import { createMainServices } from '../../../electron/main/main-services';
import { dispatch } from '../../../electron/main/ipc/dispatch';

// The main process without Electron: the same services and handlers the app registers, hosted in
// the test process. Dialogs and notifications are the only stand-ins (tests answer them); files
// reach the handlers by the handles main issues, as in the app.

export interface Host {
  handlers: Handlers;
  call(channel: string, input: unknown): ReturnType<typeof dispatch>;
  /** Where pushes go once a page is attached. */
  attach(emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void): void;
  answerOpenDialog(path: string | null): void;
  answerSaveDialog(path: string | null): void;
  notifications: { title: string; body: string }[];
  log: string[];
  close(): Promise<void>;
}

export async function createHost(options: { dataDir: string; databaseUrl: string }): Promise<Host> {
  let emit: <E extends EventName>(event: E, payload: EventPayload<E>) => void = () => undefined;
  const openAnswers: (string | null)[] = [];
  const saveAnswers: (string | null)[] = [];
  const notifications: { title: string; body: string }[] = [];
  const log: string[] = [];
  const write = (line: string): void => {
    log.push(line);
  };
  const stores = new Map<string, ReturnType<typeof createMemorySecretStore>>();
  const memoryStore = (key: string) => {
    let store = stores.get(key);
    if (!store) {
      store = createMemorySecretStore();
      stores.set(key, store);
    }
    return store;
  };
  // The app's own wiring; only dialogs, notifications and secret storage are stand-ins.
  const { connection, sessions, handlers } = createMainServices({
    dataDir: options.dataDir,
    secretStore: memoryStore,
    log: write,
    emit: (event, payload) => emit(event, payload),
    // The built-in sandbox profile goes to the test server instead of an embedded one.
    sandboxTarget: () => ({ kind: 'postgres', url: options.databaseUrl }),
    notify: (title, body) => notifications.push({ title, body }),
    appInfo: { platform: process.platform, version: 'e2e' },
    dialogs: {
      openCsv: async () => openAnswers.shift() ?? null,
      saveCsv: async () => saveAnswers.shift() ?? null,
    },
  });
  // As the app does on start: connect to the last used profile (the sandbox on a first start).
  await connection.connectDefault();
  return {
    handlers,
    call: (channel, input) => dispatch(handlers, channel, input, write),
    attach: (next) => {
      emit = next;
    },
    answerOpenDialog: (path) => openAnswers.push(path),
    answerSaveDialog: (path) => saveAnswers.push(path),
    notifications,
    log,
    close: async () => {
      sessions.close();
      await connection.close();
    },
  };
}
