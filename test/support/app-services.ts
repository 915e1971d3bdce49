import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemorySecretStore } from '../../electron/core/auth/secret-store';
import { createMainServices } from '../../electron/main/main-services';
import type { SessionService } from '../../electron/main/services/session/session-service';

// The app's session service as the app wires it (createMainServices), connected to the test's
// database and merchant, for db tests that drive it directly instead of through IPC.

export interface AppServices {
  sessions: SessionService;
  /** The app's data folder for this test (settings, exports), removed by close(). */
  dir: string;
  close(): Promise<void>;
}

export async function openAppServices(options: {
  databaseUrl: string;
  merchantId: string;
  /** Names the temporary data folder. */
  name: string;
  /** Stage files while they are read: true whatever their size, false never (default: by size). */
  stageWhileRead?: boolean;
  /** Each line the services log. */
  log?: (line: string) => void;
}): Promise<AppServices> {
  const dir = await mkdtemp(join(tmpdir(), `${options.name}-`));
  const { connection, sessions } = createMainServices({
    dataDir: dir,
    secretStore: () => createMemorySecretStore(),
    log: options.log ?? (() => undefined),
    emit: () => undefined,
    notify: () => undefined,
    dialogs: { openCsv: async () => null, saveCsv: async () => null },
    appInfo: { platform: process.platform, version: 'test' },
    sandboxTarget: () => ({ kind: 'postgres', url: options.databaseUrl }),
    ...(options.stageWhileRead === undefined ? {} : { stageWhileRead: options.stageWhileRead }),
  });
  await connection.connect('sandbox');
  await connection.selectMerchant(options.merchantId);
  return {
    sessions,
    dir,
    close: async () => {
      sessions.close();
      await connection.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
