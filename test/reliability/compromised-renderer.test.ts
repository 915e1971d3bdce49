import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildRows, seedMerchant, type SeededMerchant } from '../support/seed';
import { openSupabaseTestEnv, type SupabaseTestEnv } from '../support/supabase-env';
import { openTempFolder, recordsOf, type TempFolder } from './support/security-files';
import { createCapturingHost, tokensIn, type CapturingHost } from './support/security-host';

// The renderer is untrusted. This suite is a compromised page: it calls the real IPC handlers
// (dispatch: zod on input and output, then the same services the app runs) with whatever it
// likes, and watches what comes back and what goes over the wire.
// - Files: it names paths and forges handles; nothing outside what the user chose is ever read.
// - Sessions: after a sign-in it points the profile at its own server; no token arrives there.
// - Project URLs: http to another machine is refused before any request.

let env: SupabaseTestEnv;
let merchant: SeededMerchant;
let folder: TempFolder;
let host: CapturingHost;
let hostDir: string;
/** Files a compromised page would love to read, each holding a marker it must never see. */
const secrets: Record<string, { path: string; marker: string }> = {};

beforeAll(async () => {
  env = await openSupabaseTestEnv(inject('databaseUrl'));
  merchant = await seedMerchant(env.db.pool, {
    users: 3,
    skus: 3,
    name: `Compromised ${randomUUID().slice(0, 6)}`,
  });
  folder = await openTempFolder('compromised-renderer');
  hostDir = await mkdtemp(join(tmpdir(), 'compromised-renderer-host-'));
  host = createCapturingHost({ dataDir: hostDir, databaseUrl: inject('databaseUrl') });
  await host.value('connection:connect', { profileId: 'sandbox' });
  await host.value('connection:select-merchant', { merchantId: merchant.merchantId });

  // An SSH key elsewhere on disk, and the app's own secrets in its data folder.
  const marker = (): string => `MARKER${randomBytes(12).toString('hex')}`;
  const plant = async (name: string, path: string, text: (m: string) => string) => {
    const m = marker();
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text(m), { mode: 0o600 });
    secrets[name] = { path, marker: m };
  };
  await plant('ssh key', join(folder.dir, 'home', '.ssh', 'id_ed25519'), (m) => `header\n${m}\n`);
  await plant('sandbox password', join(hostDir, 'sandbox', 'sandbox.json'), (m) => `a\n${m}\n`);
  await plant('stored secret', join(hostDir, 'settings', 'secrets', 'x.bin'), (m) => `a\n${m}\n`);
});

afterAll(async () => {
  await host?.close();
  await env?.close();
  await folder?.remove();
  if (hostDir) await rm(hostDir, { recursive: true, force: true });
});

/** Everything the page received and every line main logged, as one text. */
function everythingSeen(h: CapturingHost): string {
  return JSON.stringify([h.exchanges, h.events, h.log]);
}

describe('files: the page cannot name one', () => {
  it('refuses paths, forged and foreign handles before reading anything', async () => {
    const chosen = await folder.write(
      recordsOf(buildRows(merchant, { purchases: 2, itemsPerPurchase: 1 })),
    );
    const handle = await host.choose(chosen);
    const other = createCapturingHost({ dataDir: hostDir, databaseUrl: inject('databaseUrl') });
    const foreign = await other.choose(chosen);
    await other.close();
    expect(foreign).not.toBe(handle);

    const attempts: { input: unknown; code: string }[] = [
      { input: { path: '/etc/passwd' }, code: 'invalid_input' },
      { input: { path: secrets['ssh key']?.path }, code: 'invalid_input' },
      { input: { file: '/etc/passwd' }, code: 'invalid_input' },
      { input: { file: secrets['sandbox password']?.path }, code: 'invalid_input' },
      { input: { file: handle, path: '/etc/passwd' }, code: 'ok' },
      { input: { file: 'A'.repeat(32) }, code: 'unknown_file' },
      { input: { file: foreign }, code: 'unknown_file' },
      {
        input: { file: `${handle.slice(0, 31)}${handle.endsWith('A') ? 'B' : 'A'}` },
        code: 'unknown_file',
      },
      { input: { file: '__proto__' }, code: 'invalid_input' },
    ];
    for (const { input, code } of attempts) {
      const result = await host.call('import:open', input);
      expect({ input, code: result.ok ? 'ok' : result.error.code }).toEqual({ input, code });
    }
    // The one that went through opened the file the user chose, not the path sent beside it.
    const view = await host.value('import:view');
    expect(view?.fileName).toBe(chosen.split('/').pop());
    host.sessions.close();
  });

  it("refuses drops of the app's own secrets and anything that is not a file", async () => {
    // files:record-drop is the preload's channel (the page only gets fileDropped(File)); even
    // if a page reached it, the app's settings and sandbox stay out of reach.
    for (const path of [
      secrets['sandbox password']?.path,
      secrets['stored secret']?.path,
      join(hostDir, 'settings'),
      folder.dir,
      join(folder.dir, 'missing.csv'),
      'relative/name.csv',
    ]) {
      const result = await host.call('files:record-drop', { path });
      expect({ path, ok: result.ok }).toEqual({ path, ok: false });
    }
  });

  it('lists only recent files the user opened, as handles without paths', async () => {
    const chosen = await folder.write(
      recordsOf(buildRows(merchant, { purchases: 1, itemsPerPurchase: 1 })),
      `recent-${randomUUID()}.csv`,
    );
    const handle = await host.choose(chosen);
    expect(await host.value('import:open', { file: handle })).toMatchObject({ kind: 'opened' });
    const { files } = await host.value('files:recent');
    expect(files[0]).toEqual({ handle, name: chosen.split('/').pop() });
    expect(JSON.stringify(files)).not.toContain(folder.dir);
    host.sessions.close();
  });

  it("cannot name where an export is written: only main's save dialog decides", async () => {
    const chosen = await folder.write(
      recordsOf(buildRows(merchant, { purchases: 1, itemsPerPurchase: 1 })).map((r) => ({
        ...r,
        quantity: '0', // an error row, so the export has a line
      })),
    );
    expect(await host.value('import:open', { file: await host.choose(chosen) })).toMatchObject({
      kind: 'opened',
    });
    const forged = join(folder.dir, `forged-${randomUUID()}.csv`);
    // Channels without input refuse one; extra fields are dropped by the contract.
    expect(await host.call('import:export-errors', { path: forged })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input' },
    });
    const answered = join(folder.dir, `answered-${randomUUID()}.csv`);
    host.answerSaveDialog(answered);
    expect(await host.value('import:save-fixed')).toMatchObject({ path: answered });
    await expect(readFile(forged, 'utf8')).rejects.toThrow(/ENOENT/);
    expect(await readFile(answered, 'utf8')).toContain('transaction_number');
    host.sessions.close();
  });

  it('never shows the page a byte of a file the user did not choose', () => {
    const seen = everythingSeen(host);
    for (const [name, { marker }] of Object.entries(secrets)) {
      expect({ name, leaked: seen.includes(marker) }).toEqual({ name, leaked: false });
    }
  });
});

/** A server the page controls: records every request's headers, answers 401. */
async function recordingServer(): Promise<{
  url: string;
  requests: { url: string; headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}> {
  const requests: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', headers: req.headers, body });
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end('{"message":"no"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe('sessions: bound to the project that issued them', () => {
  for (const change of ['url', 'key'] as const) {
    it(`a profile edit of its ${change} after sign-in signs out and sends no token anywhere new`, async () => {
      const dataDir = await mkdtemp(join(tmpdir(), 'compromised-session-'));
      const app = createCapturingHost({ dataDir, databaseUrl: inject('databaseUrl') });
      const attacker = await recordingServer();
      try {
        const user = await env.createOperator({ [merchant.merchantId]: 'operator' }, 'bound');
        const profile = await app.value('connection:save-profile', {
          kind: 'supabase',
          name: 'Project',
          url: env.gateway.url,
          anonKey: env.gateway.anonKey,
        });
        await app.value('connection:connect', { profileId: profile.id });
        expect(
          await app.value('connection:sign-in', { email: user.email, password: user.password }),
        ).toMatchObject({ status: 'connected' });
        const { accessTokens, refreshTokens } = tokensIn(app.secretWrites);
        expect(accessTokens.length).toBeGreaterThan(0);

        // The page saves the same profile pointing elsewhere (or with another key) and connects.
        const edited = await app.value('connection:save-profile', {
          id: profile.id,
          kind: 'supabase',
          name: 'Project',
          url: change === 'url' ? attacker.url : env.gateway.url,
          anonKey: change === 'key' ? `${env.gateway.anonKey}x` : env.gateway.anonKey,
        });
        expect(app.connection.state().status).not.toBe('connected');
        const state = await app.value('connection:connect', { profileId: edited.id });
        expect(state.status).toBe('needs-sign-in');
        if (change === 'url') {
          const wire = JSON.stringify(attacker.requests);
          for (const token of [...accessTokens, ...refreshTokens]) {
            expect(wire.includes(token)).toBe(false);
          }
          expect(attacker.requests.some((r) => /bearer/i.test(r.headers.authorization ?? ''))).toBe(
            false,
          );
        }
        // The session is gone from the store, not just unused.
        const me = await app.call('batches:list', {
          status: null,
          search: null,
          limit: 1,
          offset: 0,
        });
        expect(me.ok).toBe(false);
      } finally {
        await app.close();
        await attacker.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }

  it('a session stored for another project is deleted on load, never sent', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'compromised-stored-'));
    const app = createCapturingHost({ dataDir, databaseUrl: inject('databaseUrl') });
    const attacker = await recordingServer();
    try {
      const user = await env.createOperator({ [merchant.merchantId]: 'operator' }, 'stored');
      const profile = await app.value('connection:save-profile', {
        kind: 'supabase',
        name: 'Project',
        url: env.gateway.url,
        anonKey: env.gateway.anonKey,
      });
      await app.value('connection:connect', { profileId: profile.id });
      await app.value('connection:sign-in', { email: user.email, password: user.password });
      const { accessTokens } = tokensIn(app.secretWrites);
      // Someone edits profiles.json by hand (bypassing the save handler) to point elsewhere.
      const profilesPath = join(dataDir, 'settings', 'profiles.json');
      const text = await readFile(profilesPath, 'utf8');
      await writeFile(profilesPath, text.split(env.gateway.url).join(attacker.url));
      await app.value('connection:connect', { profileId: 'sandbox' });
      expect(await app.value('connection:connect', { profileId: profile.id })).toMatchObject({
        status: 'needs-sign-in',
      });
      const wire = JSON.stringify(attacker.requests);
      for (const token of accessTokens) expect(wire.includes(token)).toBe(false);
    } finally {
      await app.close();
      await attacker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('project URLs', () => {
  it('refuses http to another machine, at the door and for a stored profile', async () => {
    for (const url of [
      'http://example.com',
      'http://10.0.0.5:54321',
      'http://db.internal',
      'ftp://x.test',
      'javascript:alert(1)',
    ]) {
      const result = await host.call('connection:save-profile', {
        kind: 'supabase',
        name: 'Plain',
        url,
        anonKey: 'a'.repeat(40),
      });
      expect({ url, code: result.ok ? 'ok' : result.error.code }).toEqual({
        url,
        code: 'invalid_input',
      });
    }
    // Loopback stays allowed for local development.
    for (const url of ['http://127.0.0.1:54321', 'http://localhost:54321', 'http://[::1]:54321']) {
      const saved = await host.call('connection:save-profile', {
        kind: 'supabase',
        name: 'Local',
        url,
        anonKey: 'a'.repeat(40),
      });
      expect({ url, ok: saved.ok }).toEqual({ url, ok: true });
    }

    // A profile stored with http (an older version, a hand edit): connecting makes no request.
    const dataDir = await mkdtemp(join(tmpdir(), 'compromised-http-'));
    const app = createCapturingHost({ dataDir, databaseUrl: inject('databaseUrl') });
    try {
      const profile = await app.value('connection:save-profile', {
        kind: 'supabase',
        name: 'Later plain',
        url: 'https://project.example.test',
        anonKey: 'a'.repeat(40),
      });
      const profilesPath = join(dataDir, 'settings', 'profiles.json');
      const text = await readFile(profilesPath, 'utf8');
      await writeFile(
        profilesPath,
        text.split('https://project.example.test').join('http://project.example.test'),
      );
      const state = await app.value('connection:connect', { profileId: profile.id });
      expect(state.status).toBe('failed');
      expect(state.error).toMatch(/must start with https:\/\//);
    } finally {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
