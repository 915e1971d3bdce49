import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgConnectionConfig } from './pg-transport';
import { PgTlsConfigError, resolvePgTls, tlsWarning } from './pg-tls';

let dir: string;
let caPath: string;
const CA = '-----BEGIN CERTIFICATE-----\nTESTCA\n-----END CERTIFICATE-----\n';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pg-tls-'));
  caPath = join(dir, 'ca.pem');
  await writeFile(caPath, CA);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('resolvePgTls', () => {
  it('gives a database on another machine verify-full by default', () => {
    for (const url of [
      'postgresql://u:p@db.example.com:5432/app',
      'postgresql://u:p@10.0.0.7/app',
      'postgresql://u:p@[2001:db8::1]:5432/app',
      'postgresql://u:p@127.0.0.1.nip.io/app',
    ]) {
      const tls = resolvePgTls(url);
      expect({ url, mode: tls.sslmode, explicit: tls.explicit }).toEqual({
        url,
        mode: 'verify-full',
        explicit: false,
      });
      expect(tls.ssl).toMatchObject({ rejectUnauthorized: true });
      expect(tls.warning).toBeNull();
    }
  });

  it("connects Supabase's strings as given: encrypted, and says how to verify its own CA", () => {
    for (const url of [
      'postgresql://postgres:p@db.abcdefghijkl.supabase.co:5432/postgres',
      'postgresql://postgres.abcdefghijkl:p@aws-0-eu-west-1.pooler.supabase.com:5432/postgres',
    ]) {
      const tls = resolvePgTls(url);
      expect({ url, mode: tls.sslmode, ssl: tls.ssl }).toEqual({
        url,
        mode: 'require',
        ssl: { rejectUnauthorized: false },
      });
      expect(tls.warning).toMatch(/sslrootcert=/);
    }
    // With the CA from the dashboard it is verify-full like any other host.
    expect(
      resolvePgTls(
        `postgresql://postgres:p@db.abcdefghijkl.supabase.co/postgres?sslrootcert=${caPath}`,
      ),
    ).toMatchObject({
      sslmode: 'verify-full',
      ssl: { ca: CA, rejectUnauthorized: true },
      warning: null,
    });
    // Only Supabase's own domains.
    expect(resolvePgTls('postgresql://u:p@supabase.co.evil.example/app').sslmode).toBe(
      'verify-full',
    );
  });

  it('leaves loopback and Unix sockets without TLS unless asked', () => {
    for (const url of [
      'postgresql://u:p@127.0.0.1:5432/app',
      'postgresql://u:p@localhost/app',
      'postgresql://u:p@[::1]/app',
      'postgresql:///app?host=/var/run/postgresql',
      '/var/run/postgresql app',
    ]) {
      const tls = resolvePgTls(url);
      expect({ url, ssl: tls.ssl, warning: tls.warning }).toEqual({
        url,
        ssl: false,
        warning: null,
      });
    }
    expect(resolvePgTls('postgresql://u:p@localhost/app?sslmode=verify-full').ssl).toMatchObject({
      rejectUnauthorized: true,
    });
  });

  it("keeps the URL's own sslmode, and warns for disable, allow and prefer to another machine", () => {
    const remote = 'postgresql://u:p@db.example.com/app';
    expect(resolvePgTls(`${remote}?sslmode=disable`)).toMatchObject({
      ssl: false,
      explicit: true,
      warning: expect.stringMatching(/unencrypted/),
    });
    expect(resolvePgTls(`${remote}?sslmode=allow`)).toMatchObject({
      ssl: false,
      warning: expect.stringMatching(/unencrypted/),
    });
    expect(resolvePgTls(`${remote}?sslmode=prefer`)).toMatchObject({
      ssl: { rejectUnauthorized: false },
      warning: expect.stringMatching(/not verified/),
    });
    expect(resolvePgTls(`${remote}?sslmode=require`)).toMatchObject({
      ssl: { rejectUnauthorized: false },
      warning: null,
    });
    const verifyCa = resolvePgTls(`${remote}?sslmode=verify-ca&sslrootcert=${caPath}`);
    expect(verifyCa.ssl).toMatchObject({ ca: CA });
    expect(typeof (verifyCa.ssl as { checkServerIdentity?: unknown }).checkServerIdentity).toBe(
      'function',
    );
    expect(resolvePgTls(`${remote}?sslmode=verify-full&sslrootcert=${caPath}`).ssl).toMatchObject({
      ca: CA,
      rejectUnauthorized: true,
    });
    // A root certificate alone asks for verification against it.
    expect(resolvePgTls(`${remote}?sslrootcert=${caPath}`)).toMatchObject({
      sslmode: 'verify-full',
      ssl: { ca: CA },
    });
    expect(tlsWarning(`${remote}?sslmode=disable`)).toMatch(/db\.example\.com/);
    expect(tlsWarning(remote)).toBeNull();
    expect(tlsWarning('postgresql://u:p@127.0.0.1/app?sslmode=disable')).toBeNull();
  });

  it('refuses a string it cannot read instead of connecting without TLS', () => {
    expect(() => resolvePgTls('postgresql://u:p@db.example.com:99999/app')).toThrow(
      PgTlsConfigError,
    );
    expect(resolvePgTls('postgresql://u:p@/app?host=/var/run/postgresql').ssl).toBe(false);
  });

  it('refuses an unknown sslmode and an unreadable certificate, without the password', () => {
    expect(() => resolvePgTls('postgresql://u:secretpw@h/app?sslmode=verify_full')).toThrow(
      PgTlsConfigError,
    );
    let message = '';
    try {
      resolvePgTls(`postgresql://u:secretpw@h/app?sslrootcert=${join(dir, 'missing.pem')}`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/sslrootcert .* cannot be read: ENOENT/);
    expect(message).not.toContain('secretpw');
  });

  it('hands node-postgres a connection string without TLS parameters (they would override ours)', () => {
    const config = pgConnectionConfig(
      `postgresql://u:p@db.example.com/app?sslmode=verify-full&sslrootcert=${caPath}&application_name=x`,
    );
    expect(config.connectionString).toBe('postgresql://u:p@db.example.com/app?application_name=x');
    expect(config.ssl).toMatchObject({ ca: CA });
  });
});
