import { randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, chown, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, parse as parsePath } from 'node:path';
import { promisify } from 'node:util';
import { EmbeddedPostgres } from './embedded-postgres';
import pg from 'pg';
import { z } from 'zod';
import { migrate } from '../db/migrate';
import { DEMO_MERCHANTS } from './demo-data';

// The built-in sandbox: a real PostgreSQL (embedded-postgres binaries) in the user's data folder,
// created on first use with the reference CRM schema, the import migrations and a demo merchant.
// The desktop app and the CLI share it: whoever finds it stopped starts it, and only the starter
// stops it.

const sandboxConfigSchema = z.object({
  port: z.number().int().min(1024).max(65535),
  password: z.string().min(16),
  createdAt: z.string(),
  seeded: z.boolean(),
});
type SandboxConfig = z.infer<typeof sandboxConfigSchema>;

export interface Sandbox {
  /** Connection string with the sandbox's local password: hand it to main-process code only. */
  readonly url: string;
  readonly dataDir: string;
  readonly startedHere: boolean;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  log?: (line: string) => void;
  sqlDir?: string;
}

const DATABASE = 'postgres';
const USER = 'postgres';

export async function openSandbox(dataDir: string, options: SandboxOptions = {}): Promise<Sandbox> {
  const log = options.log ?? (() => undefined);
  const dir = join(dataDir, 'sandbox');
  const pgData = join(dir, 'pgdata');
  const configPath = join(dir, 'sandbox.json');
  await mkdir(dir, { recursive: true, mode: 0o700 });

  let config = await readConfig(configPath);
  const fresh = config === null;
  if (config === null) {
    config = {
      port: await freePort(),
      password: randomBytes(24).toString('base64url'),
      createdAt: new Date().toISOString(),
      seeded: false,
    };
  }
  const url = `postgresql://${USER}:${encodeURIComponent(config.password)}@127.0.0.1:${config.port}/${DATABASE}`;

  // Another process (the app, or a CLI run) may have it running already.
  if (!fresh && (await canConnect(url))) {
    log('sandbox: using the running sandbox database');
    await ensureSeeded(url, config, configPath, options);
    return { url, dataDir, startedHere: false, stop: async () => undefined };
  }

  const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (runningAsRoot) {
    // PostgreSQL refuses to run as root; embedded-postgres runs it as a 'postgres' user, which
    // must be able to traverse (not read) the folders above the data folder.
    await makeTraversable(dir);
    await chmod(dir, 0o711);
  }
  const initialise = fresh || !(await exists(join(pgData, 'PG_VERSION')));
  // embedded-postgres's initialise() writes `password` to a file in the system's temp folder
  // with the default mode (0644 under the usual umask: readable by every local user) and hands
  // it to initdb. The real password goes to initdb in a file of our own instead (mode 0600 from
  // its creation, in the sandbox folder), named by a later --pwfile, which initdb takes over the
  // first; the temp file only ever holds a throwaway value that opens nothing.
  const pwFile = initialise ? await writePasswordFile(dir, config.password, runningAsRoot) : null;
  const server = new EmbeddedPostgres({
    databaseDir: pgData,
    port: config.port,
    user: USER,
    password: randomBytes(24).toString('base64url'),
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', ...(pwFile ? [`--pwfile=${pwFile}`] : [])],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (error: unknown) => log(`sandbox: ${String(error)}`),
  });
  if (pwFile) {
    log('sandbox: creating the local database (first start)');
    try {
      await server.initialise();
    } finally {
      await rm(pwFile, { force: true });
    }
  }
  await writePrivateFile(configPath, JSON.stringify(config, null, 2));
  log('sandbox: starting');
  await server.start();
  try {
    await ensureSeeded(url, config, configPath, options);
  } catch (error) {
    // A server left running would be reused, unmigrated, by the next start.
    await server.stop().catch(() => undefined);
    throw error;
  }
  return {
    url,
    dataDir,
    startedHere: true,
    stop: async () => {
      await server.stop();
    },
  };
}

async function ensureSeeded(
  url: string,
  config: SandboxConfig,
  configPath: string,
  options: SandboxOptions,
): Promise<void> {
  // A no-op when nothing changed; on every start it keeps an older sandbox in step with a newer
  // app.
  await migrate(url, {
    withReferenceSchema: true,
    ...(options.log ? { log: options.log } : {}),
    ...(options.sqlDir ? { sqlDir: options.sqlDir } : {}),
  });
  if (config.seeded) return;
  await seedDemoData(url);
  config.seeded = true;
  await writePrivateFile(configPath, JSON.stringify(config, null, 2));
}

export async function seedDemoData(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('begin');
    for (const merchant of DEMO_MERCHANTS) {
      await client.query(
        'insert into public.merchants (id, name) values ($1, $2) on conflict (id) do nothing',
        [merchant.id, merchant.name],
      );
      await client.query(
        `insert into public.user_accounts (id, merchant_id, email)
         select u.id, $1, u.email from unnest($2::uuid[], $3::text[]) as u(id, email)
         on conflict (id) do nothing`,
        [merchant.id, merchant.users.map((u) => u.id), merchant.users.map((u) => u.email)],
      );
      await client.query(
        `insert into public.skus (id, merchant_id, code, name)
         select s.id, $1, s.code, s.name from unnest($2::uuid[], $3::text[], $4::text[]) as s(id, code, name)
         on conflict (id) do nothing`,
        [
          merchant.id,
          merchant.skus.map((s) => s.id),
          merchant.skus.map((s) => s.code),
          merchant.skus.map((s) => s.name),
        ],
      );
    }
    await client.query('commit');
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    await client.end();
  }
}

/**
 * Writes a file readable by its owner only, from the moment it exists: a new file created with
 * mode 0600, then renamed over the old one (a file that existed with a wider mode is replaced,
 * never rewritten in place).
 */
async function writePrivateFile(path: string, text: string): Promise<void> {
  const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temp, text, { mode: 0o600, flag: 'wx' });
  await rename(temp, path);
}

/** The superuser password for initdb, in the sandbox folder, readable by its owner only. */
async function writePasswordFile(
  dir: string,
  password: string,
  runningAsRoot: boolean,
): Promise<string> {
  const path = join(dir, `.initdb-pw-${randomBytes(6).toString('hex')}`);
  await writeFile(path, `${password}\n`, { mode: 0o600, flag: 'wx' });
  if (runningAsRoot) {
    // initdb runs as the 'postgres' user there: the file becomes that user's, still 0600.
    const { uid, gid } = await postgresUser();
    await chown(path, uid, gid);
  }
  return path;
}

/** The uid and gid of the 'postgres' user, created as embedded-postgres would create it. */
async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const ids = async () => ({
    uid: Number((await run('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await run('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    await run('groupadd', ['postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return ids();
  }
}

async function readConfig(path: string): Promise<SandboxConfig | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  const parsed = sandboxConfigSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(`The sandbox settings in ${path} are damaged: ${parsed.error.message}`);
  }
  return parsed.data;
}

async function canConnect(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

async function makeTraversable(path: string): Promise<void> {
  const root = parsePath(path).root;
  for (let current = dirname(path); current !== root; current = dirname(current)) {
    const info = await stat(current);
    if ((info.mode & 0o001) === 0) await chmod(current, info.mode | 0o001);
  }
}
