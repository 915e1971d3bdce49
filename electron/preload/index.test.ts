import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, listenerName, methodName, pageChannels } from '../../shared/ipc/api';
import { channels, eventNames, ipcContract } from '../../shared/ipc/contract';

// The preload as electron-vite builds it (out/preload/index.cjs), run in a fresh V8 context
// with a stand-in `electron` module as its only require: what it puts on window.api is exactly
// the contract's page functions, frozen, each reaching its own channel and nothing generic.
// (test/e2e/security.spec.ts checks the harness's bridge; this checks the app's preload.)

const ROOT = resolve(import.meta.dirname, '../..');
const BUILT = join(ROOT, 'out', 'preload', 'index.cjs');
const SOURCES = ['electron/preload/index.ts', 'shared/ipc/api.ts'].map((p) => join(ROOT, p));

let code = '';
let tempOut: string | null = null;

/**
 * out/preload/index.cjs when it is newer than its sources; else the preload alone, built by
 * electron-vite with the project's own preload config into a temp folder (about a second).
 */
async function builtPreload(): Promise<string> {
  const built = await stat(BUILT).catch(() => null);
  const newest = Math.max(
    ...(await Promise.all(SOURCES.map(async (p) => (await stat(p)).mtimeMs))),
  );
  if (built && built.mtimeMs >= newest) return BUILT;
  tempOut = await mkdtemp(join(tmpdir(), 'preload-build-'));
  const config = join(tempOut, 'preload-only.config.mjs');
  await writeFile(
    config,
    `import config from ${JSON.stringify(join(ROOT, 'electron.vite.config.ts'))};\n` +
      'export default { preload: config.preload };\n',
  );
  await promisify(execFile)(
    process.execPath,
    [
      join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'),
      'build',
      '--config',
      config,
      '--outDir',
      join(tempOut, 'out'),
      '--logLevel',
      'error',
    ],
    { cwd: ROOT, env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } },
  );
  return join(tempOut, 'out', 'preload', 'index.cjs');
}

beforeAll(async () => {
  code = await readFile(await builtPreload(), 'utf8');
}, 180_000);
afterAll(async () => {
  if (tempOut) await rm(tempOut, { recursive: true, force: true });
});

interface Loaded {
  exposed: { key: string; api: Record<string, unknown> }[];
  invoked: { channel: string; input: unknown }[];
  listeners: Map<string, ((event: unknown, payload: unknown) => void)[]>;
  removed: string[];
  required: string[];
  answer: (channel: string) => unknown;
}

function load(answer: (channel: string) => unknown = () => ({ ok: true, value: 'v' })): Loaded {
  const loaded: Loaded = {
    exposed: [],
    invoked: [],
    listeners: new Map(),
    removed: [],
    required: [],
    answer,
  };
  const electron = {
    contextBridge: {
      exposeInMainWorld: (key: string, api: Record<string, unknown>) => {
        loaded.exposed.push({ key, api });
      },
    },
    ipcRenderer: {
      invoke: async (channel: string, input: unknown) => {
        loaded.invoked.push({ channel, input });
        return loaded.answer(channel);
      },
      on: (event: string, listener: (event: unknown, payload: unknown) => void) => {
        loaded.listeners.set(event, [...(loaded.listeners.get(event) ?? []), listener]);
      },
      removeListener: (event: string) => {
        loaded.removed.push(event);
      },
    },
    webUtils: {
      getPathForFile: (file: { diskPath?: string }) => file.diskPath ?? '',
    },
  };
  const module = { exports: {} };
  runInNewContext(code, {
    module,
    exports: module.exports,
    require: (name: string) => {
      loaded.required.push(name);
      if (name === 'electron') return electron;
      throw new Error(`a sandboxed preload cannot require ${name}`);
    },
  });
  return loaded;
}

/** An input the channel's schema accepts is not needed: main validates; any value shows routing. */
const SAMPLE = { probe: true };

describe('the built preload', () => {
  it('requires electron only and exposes one object, window.api', () => {
    const loaded = load();
    expect(loaded.required).toEqual(['electron']);
    expect(loaded.exposed.map((e) => e.key)).toEqual(['api']);
  });

  it('exposes exactly the contract’s page functions, frozen, and nothing generic', () => {
    const api = load().exposed[0]?.api ?? {};
    expect(Object.keys(api).sort()).toEqual(apiKeys());
    expect(Object.isFrozen(api)).toBe(true);
    expect(Object.values(api).every((v) => typeof v === 'function')).toBe(true);
    for (const generic of ['invoke', 'send', 'sendSync', 'on', 'ipcRenderer', 'require', 'call']) {
      expect(Object.keys(api)).not.toContain(generic);
    }
    // The preload-only channel has no page function that takes a path.
    expect(Object.keys(api)).not.toContain(methodName('files:record-drop'));
    expect(pageChannels.length).toBe(channels.length - 1);
  });

  it('routes each function to its own channel, with the input as given', async () => {
    const loaded = load();
    const api = loaded.exposed[0]?.api as Record<string, (input?: unknown) => Promise<unknown>>;
    for (const channel of pageChannels) {
      const takesInput = !ipcContract[channel].input.safeParse(undefined).success;
      loaded.invoked.length = 0;
      const fn = api[methodName(channel)];
      expect(fn, channel).toBeTypeOf('function');
      await (takesInput ? fn?.(SAMPLE) : fn?.());
      expect({ channel, invoked: loaded.invoked }).toEqual({
        channel,
        invoked: [{ channel, input: takesInput ? SAMPLE : undefined }],
      });
    }
  });

  it('turns a refusal from main into a rejected call with its message and code', async () => {
    const loaded = load(() => ({ ok: false, error: { code: 'forbidden', message: 'Refused.' } }));
    const api = loaded.exposed[0]?.api as Record<string, () => Promise<unknown>>;
    const error = await api['appInfo']?.().then(
      () => null,
      (e: unknown) => e as { message: string; code: string },
    );
    expect(error).toMatchObject({ message: 'Refused.', code: 'forbidden' });
  });

  it('records a drop through webUtils; a File with no disk path reaches nothing', async () => {
    const loaded = load((channel) => ({ ok: true, value: { channel } }));
    const api = loaded.exposed[0]?.api as { fileDropped(file: unknown): Promise<unknown> };
    expect(await api.fileDropped({ name: 'made.csv' })).toBeNull();
    expect(loaded.invoked).toEqual([]);
    await api.fileDropped({ name: 'real.csv', diskPath: '/home/me/real.csv' });
    expect(loaded.invoked).toEqual([
      { channel: 'files:record-drop', input: { path: '/home/me/real.csv' } },
    ]);
  });

  it("passes event payloads only (never Electron's event, which carries the sender)", () => {
    const loaded = load();
    const api = loaded.exposed[0]?.api as Record<string, (l: (p: unknown) => void) => () => void>;
    for (const event of eventNames) {
      const received: unknown[][] = [];
      const off = api[listenerName(event)]?.((...args: unknown[]) => received.push(args));
      const listener = loaded.listeners.get(event)?.at(-1);
      listener?.({ sender: { send: 'ipcRenderer' } }, { payload: event });
      expect({ event, received }).toEqual({ event, received: [[{ payload: event }]] });
      off?.();
      expect(loaded.removed.at(-1)).toBe(event);
    }
  });
});
