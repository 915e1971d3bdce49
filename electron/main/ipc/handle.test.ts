import { beforeEach, describe, expect, it, vi } from 'vitest';
import { channels } from '../../../shared/ipc/contract';
import type { IpcResult } from '../../../shared/ipc/api';
import type { RendererLocation } from '../security-policy';
import type { Handlers } from './handlers';

// handle() as the app registers it, on a stand-in of Electron's ipcMain (the binary does not
// exist here): every contract channel is registered, and a call is answered only for the top
// frame showing the app's own page. Forged frames and URLs never reach a handler.

type Listener = (event: unknown, raw: unknown) => Promise<IpcResult<unknown>>;
const registered = new Map<string, Listener>();

vi.mock('electron', () => ({
  ipcMain: {
    handle: (channel: string, listener: Listener) => {
      if (registered.has(channel)) throw new Error(`second handler for ${channel}`);
      registered.set(channel, listener);
    },
  },
  // security.ts imports these; handle() uses only isTrustedFrame.
  app: {},
  session: {},
  shell: {},
}));

const { registerHandlers } = await import('./handle');

const BUILT: RendererLocation = {
  url: 'file:///opt/app/resources/app.asar/out/renderer/index.html',
  prefix: 'file:///opt/app/resources/app.asar/out/renderer/index.html',
};
const DEV: RendererLocation = { url: 'http://localhost:5173/', prefix: 'http://localhost:5173/' };

interface FakeFrame {
  url: string;
  parent: FakeFrame | null;
}
const top = (url: string): FakeFrame => ({ url, parent: null });
const child = (url: string): FakeFrame => ({ url, parent: top(BUILT.url) });

let calls: unknown[];
let log: string[];

function register(location: RendererLocation): void {
  registered.clear();
  calls = [];
  log = [];
  // Every handler records that it ran; none of the forged calls may get here.
  const handlers = Object.fromEntries(
    channels.map((channel) => [
      channel,
      (input: unknown) => {
        calls.push({ channel, input });
        return { platform: 'test', version: '0', dataDir: '/x' };
      },
    ]),
  ) as unknown as Handlers;
  registerHandlers(handlers, location, (line) => log.push(line));
}

async function invoke(channel: string, frame: FakeFrame | null, raw?: unknown) {
  const listener = registered.get(channel);
  if (!listener) throw new Error(`${channel} not registered`);
  return listener({ senderFrame: frame }, raw);
}

describe('handle(): the sender check', () => {
  beforeEach(() => register(BUILT));

  it('registers exactly the contract channels', () => {
    expect([...registered.keys()].sort()).toEqual([...channels].sort());
  });

  it("answers the app's own top frame (its page, with a #route or ?query)", async () => {
    for (const url of [BUILT.url, `${BUILT.url}#/history`, `${BUILT.url}?x=1`]) {
      expect(await invoke('app:info', top(url))).toMatchObject({ ok: true });
    }
    expect(calls).toHaveLength(3);
  });

  it('refuses forged frames and URLs before any handler runs', async () => {
    const forged: [string, FakeFrame | null][] = [
      ['no frame', null],
      ['another site', top('https://evil.example/index.html')],
      ['a subframe showing our page', child(BUILT.url)],
      ['a sibling file', top('file:///opt/app/resources/app.asar/out/renderer/evil.html')],
      ['a longer path', top(`${BUILT.url}.evil.html`)],
      ['a prefix directory trick', top(`${BUILT.url}/../../../../etc/passwd`)],
      ['data URL', top('data:text/html,<script>1</script>')],
      ['about:blank', top('about:blank')],
      ['the dev server in a packaged app', top('http://localhost:5173/')],
    ];
    for (const [what, frame] of forged) {
      for (const channel of ['app:info', 'import:open', 'files:record-drop']) {
        const result = await invoke(channel, frame, { path: '/etc/passwd' });
        expect({ what, channel, result }).toEqual({
          what,
          channel,
          result: { ok: false, error: { code: 'forbidden', message: 'Refused: unknown sender.' } },
        });
      }
    }
    expect(calls).toEqual([]);
    expect(log.filter((line) => line.includes('refused a call'))).toHaveLength(forged.length * 3);
  });

  it('still validates the input of a trusted caller with the contract', async () => {
    const result = await invoke('import:open', top(BUILT.url), { path: '/etc/passwd' });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(calls).toEqual([]);
  });
});

describe('handle() in development (the dev server)', () => {
  beforeEach(() => register(DEV));

  it("answers the dev server's pages and refuses other origins", async () => {
    expect(await invoke('app:info', top('http://localhost:5173/'))).toMatchObject({ ok: true });
    expect(await invoke('app:info', top('http://localhost:5173/#/import'))).toMatchObject({
      ok: true,
    });
    for (const url of [
      'http://localhost:5174/',
      'http://localhost:5173.evil.example/',
      'https://localhost:5173/',
      'http://127.0.0.1:5173/',
    ]) {
      expect({ url, result: await invoke('app:info', top(url)) }).toMatchObject({
        url,
        result: { ok: false, error: { code: 'forbidden' } },
      });
    }
    expect(calls).toHaveLength(2);
  });
});
