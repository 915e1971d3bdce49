import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedPostgres } from '../../electron/core/sandbox/embedded-postgres';

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

/**
 * How a restartable server goes down. 'fast' is SIGINT (what embedded-postgres's stop() sends):
 * sessions are terminated, their transactions rolled back, and a shutdown checkpoint is written.
 * 'immediate' is SIGQUIT: every process quits at once, nothing is flushed or checkpointed, and
 * the next start replays the WAL (crash recovery) — the closest a test gets to pulling the plug.
 */
export type ShutdownMode = 'fast' | 'immediate';

/** An embedded cluster of its own that a test can take down and bring back on the same data. */
export interface RestartableTestPostgres extends TestPostgres {
  /** Takes the server down and waits until its postmaster has exited. */
  halt(mode: ShutdownMode): Promise<void>;
  /** Starts the halted server again on the same data folder and port. */
  start(): Promise<void>;
  /** halt(mode) then start(); resolves once the server accepts connections again. */
  restart(mode: ShutdownMode): Promise<void>;
  /** The server's last log lines (for failure messages). */
  log(): string;
}

const USER = 'postgres';

export async function startTestPostgres(): Promise<TestPostgres> {
  const external = process.env.TEST_DATABASE_URL;
  if (external) {
    return { url: external, startMs: 0, startedHere: false, stop: async () => undefined };
  }
  const cluster = await createCluster({
    persistent: false,
    // The 100k-row commit test touches ~300 MB of tables and indexes; the 128 MB default would
    // make it measure buffer eviction rather than the import.
    sharedBuffers: '512MB',
  });
  return {
    url: cluster.url,
    startMs: cluster.startMs,
    startedHere: true,
    stop: async () => {
      await cluster.server.stop();
      await rm(cluster.parent, { recursive: true, force: true });
    },
  };
}

/**
 * Always a fresh embedded cluster (never TEST_DATABASE_URL: a test must not restart a server
 * others use). Its data folder survives halt() and is deleted by stop().
 */
export async function startRestartableTestPostgres(): Promise<RestartableTestPostgres> {
  // Runs beside the shared server on a small box: the default shared_buffers is plenty.
  const cluster = await createCluster({ persistent: true, sharedBuffers: '128MB' });
  const { server, dataDir, parent } = cluster;
  let running = true;

  const halt = async (mode: ShutdownMode): Promise<void> => {
    if (!running) return;
    // The postmaster's pid is the first line of postmaster.pid. Signalling it directly (rather
    // than `pg_ctl stop -m immediate`) also works when the tests run as root, where pg_ctl
    // refuses to run; and embedded-postgres's stop() only knows SIGINT.
    const pid = Number.parseInt(
      (await readFile(join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0] ?? '',
      10,
    );
    if (!Number.isInteger(pid) || pid <= 0) throw new Error('halt: no postmaster pid');
    process.kill(pid, mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    await waitForExit(pid, 30_000);
    running = false;
  };
  const start = async (): Promise<void> => {
    if (running) return;
    await server.start();
    running = true;
  };
  return {
    url: cluster.url,
    startMs: cluster.startMs,
    startedHere: true,
    halt,
    start,
    restart: async (mode) => {
      await halt(mode);
      await start();
    },
    log: () => cluster.logTail.join('').slice(-4000),
    stop: async () => {
      // embedded-postgres's stop() waits for the exit of the process it started last, which a
      // halted server no longer has.
      if (running) await server.stop();
      running = false;
      await rm(parent, { recursive: true, force: true });
    },
  };
}

interface Cluster {
  server: EmbeddedPostgres;
  url: string;
  startMs: number;
  parent: string;
  dataDir: string;
  logTail: string[];
}

async function createCluster(options: {
  persistent: boolean;
  sharedBuffers: string;
}): Promise<Cluster> {
  const started = performance.now();
  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const parent = await mkdtemp(join(tmpdir(), 'purchase-import-pg-'));
  if (runningAsRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres runs it as a 'postgres' user, which
    // must be able to reach the data folder inside this root-owned temp folder.
    await chmod(parent, 0o777);
  }
  const dataDir = join(parent, 'data');
  const port = await freePort();
  const password = randomBytes(18).toString('base64url');
  const logTail: string[] = [];
  const remember = (line: string): void => {
    logTail.push(line);
    if (logTail.length > 40) logTail.shift();
  };
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: options.persistent,
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
      '-c',
      `shared_buffers=${options.sharedBuffers}`,
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
  return {
    server,
    url: `postgresql://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`,
    startMs: performance.now() - started,
    parent,
    dataDir,
    logTail,
  };
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (isAlive(pid)) {
    if (performance.now() > deadline) throw new Error(`process ${pid} did not exit`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
