import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFile, chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgTransport, pgConnectionConfig } from '../../electron/core/db/pg-transport';
import { RpcError } from '../../shared/db/rpc-transport';
import { tlsWarning } from '../../electron/core/db/pg-tls';
import { EmbeddedPostgres } from '../../electron/core/sandbox/embedded-postgres';

// TLS by default, against a real server: a PostgreSQL cluster with ssl=on and a server
// certificate from a certificate authority this test makes (openssl). verify-full connects when
// the connection string names that CA and is refused without it (the system's CAs do not know
// it); a database on another address than loopback gets verify-full without asking, and the
// session really is encrypted (pg_stat_ssl).

const run = promisify(execFile);
const PASSWORD = randomBytes(18).toString('base64url');

let parent: string;
let server: EmbeddedPostgres;
let port: number;
let caPath: string;
/** A non-loopback address of this machine, when it has one (the server listens there too). */
const external =
  Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address ?? null;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const found = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(found));
    });
  });
}

async function openssl(args: string[], cwd: string): Promise<void> {
  await run('openssl', args, { cwd });
}

beforeAll(async () => {
  const runningAsRoot = process.getuid?.() === 0;
  parent = await mkdtemp(join(tmpdir(), 'pg-tls-db-'));
  if (runningAsRoot) await chmod(parent, 0o777);
  // A CA and a server certificate for localhost, 127.0.0.1 and the external address.
  await openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=purchase-import test CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    parent,
  );
  await openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ],
    parent,
  );
  const names = ['DNS:localhost', 'IP:127.0.0.1', ...(external ? [`IP:${external}`] : [])];
  await writeFile(join(parent, 'ext.cnf'), `subjectAltName=${names.join(',')}\n`);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      '2',
      '-extfile',
      'ext.cnf',
    ],
    parent,
  );
  caPath = join(parent, 'ca.pem');
  const keyPath = join(parent, 'server.key');
  await chmod(keyPath, 0o600);
  if (runningAsRoot) {
    // PostgreSQL runs as 'postgres' here and only reads a key its own user owns (mode 0600).
    const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
    const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
    await chown(keyPath, uid, gid);
  }

  port = await freePort();
  const dataDir = join(parent, 'data');
  server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: runningAsRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    postgresFlags: [
      '-c',
      `listen_addresses=${['127.0.0.1', ...(external ? [external] : [])].join(',')}`,
      '-c',
      'ssl=on',
      '-c',
      `ssl_cert_file=${join(parent, 'server.crt')}`,
      '-c',
      `ssl_key_file=${keyPath}`,
      '-c',
      'max_connections=20',
    ],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  if (external) {
    await appendFile(join(dataDir, 'pg_hba.conf'), `\nhost all all ${external}/32 scram-sha-256\n`);
  }
  await server.start();
}, 120_000);

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  if (parent) await rm(parent, { recursive: true, force: true });
});

function urlFor(host: string, query = ''): string {
  return `postgresql://postgres:${encodeURIComponent(PASSWORD)}@${host}:${port}/postgres${query}`;
}

/** Connects as the app does (pgConnectionConfig) and asks the server whether TLS is on. */
async function connect(url: string): Promise<{ ssl: boolean } | { refused: string }> {
  const client = new pg.Client({ ...pgConnectionConfig(url), connectionTimeoutMillis: 20_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ ssl: boolean }>(
      'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
    );
    return { ssl: result.rows[0]?.ssl ?? false };
  } catch (error) {
    return { refused: (error as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('verify-full against a server with a private CA', () => {
  it('connects encrypted when the connection string names the CA', async () => {
    expect(
      await connect(urlFor('localhost', `?sslmode=verify-full&sslrootcert=${caPath}`)),
    ).toEqual({ ssl: true });
  });

  it("is refused without the CA (the system's authorities do not know it)", async () => {
    const result = await connect(urlFor('localhost', '?sslmode=verify-full'));
    expect(result).toMatchObject({ refused: expect.stringMatching(/certificate/i) });
    // Through the app's transport the refusal says what to do.
    const transport = createPgTransport({
      connectionString: urlFor('localhost', '?sslmode=verify-full'),
    });
    try {
      const error = await transport.call('import_whoami', {}).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RpcError);
      expect((error as RpcError).message).toMatch(/certificate was not accepted.*sslrootcert=/);
      expect((error as RpcError).message).not.toContain(PASSWORD);
    } finally {
      await transport.close();
    }
  });

  it('loopback without sslmode connects as before (no TLS needed on this computer)', async () => {
    expect(await connect(urlFor('127.0.0.1'))).toEqual({ ssl: false });
  });
});

describe('a database on another address', () => {
  it('gets verify-full by default: refused with an unknown CA, encrypted with the right one', async (ctx) => {
    if (external === null) {
      ctx.skip('this machine has no address other than loopback to reach the test server on');
    }
    const host = external as string;
    const plain = urlFor(host);
    const refused = await connect(plain);
    expect(refused).toMatchObject({ refused: expect.stringMatching(/certificate/i) });
    expect(await connect(urlFor(host, `?sslrootcert=${caPath}`))).toEqual({ ssl: true });
    // The user can still opt out, and the profile says what that means.
    expect(await connect(urlFor(host, '?sslmode=disable'))).toEqual({ ssl: false });
    expect(tlsWarning(urlFor(host, '?sslmode=disable'))).toMatch(/unencrypted/);
    // require: encrypted without verification (libpq's meaning), no CA needed.
    expect(await connect(urlFor(host, '?sslmode=require'))).toEqual({ ssl: true });
  });
});
