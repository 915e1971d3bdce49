import type { BrowserContext, Page } from '@playwright/test';
import { listenerName, methodName, pageChannels, PRELOAD_EXTRAS } from '../../../shared/ipc/api';
import { eventNames } from '../../../shared/ipc/contract';
import {
  isAllowedNavigation,
  isAllowedRequest,
  windowOpenDecision,
  type RendererLocation,
} from '../../../electron/main/security-policy';
import type { Host } from './host';

// Bridges the page to the test-hosted main process, the way the preload and ipcMain do in the
// app: window.api gets one function per contract channel (built from the same contract), each
// call travels through a Playwright binding into dispatch() (zod on input and output), and
// pushes come back through page.evaluate. The app's request and navigation policy is applied
// with the same functions main uses.

interface BridgeSpec {
  methods: [string, string][];
  listeners: [string, string][];
  extras: string[];
}

export async function installBridge(
  context: BrowserContext,
  page: Page,
  host: Host,
  location: RendererLocation,
): Promise<{ blocked: string[]; popups: string[] }> {
  const blocked: string[] = [];
  const popups: string[] = [];
  // As setWindowOpenHandler in main: no window is ever kept open (Chromium's own popup blocker,
  // left on by the fixture, already refuses window.open without a user gesture).
  context.on('page', (opened) => {
    if (opened === page) return;
    popups.push(opened.url());
    if (windowOpenDecision(opened.url()).action === 'deny') void opened.close();
  });
  await context.route('**/*', async (route) => {
    const request = route.request();
    const url = request.url();
    let ownFrame = false;
    try {
      ownFrame = request.frame() === page.mainFrame();
    } catch {
      // A navigation of a window being created (a popup) has no frame yet: not ours.
    }
    const navigation = request.isNavigationRequest();
    const allowed = navigation
      ? ownFrame && isAllowedNavigation(url, location)
      : isAllowedRequest(url, location);
    if (allowed) {
      await route.continue();
    } else {
      blocked.push(url);
      // 'aborted' keeps the current document, as Electron's preventDefault on will-navigate does.
      await route.abort('aborted');
    }
  });
  await page.exposeBinding('__piIpc', async (_source, channel: unknown, input: unknown) =>
    host.call(String(channel), input),
  );
  const spec: BridgeSpec = {
    methods: pageChannels.map((c) => [methodName(c), c]),
    listeners: eventNames.map((e) => [listenerName(e), e]),
    extras: [...PRELOAD_EXTRAS],
  };
  await page.addInitScript((bridge: BridgeSpec) => {
    type Listener = (payload: unknown) => void;
    type IpcResult =
      { ok: true; value: unknown } | { ok: false; error: { message: string; code: string } };
    const w = globalThis as unknown as {
      __piIpc(channel: string, input: unknown): Promise<IpcResult>;
      __piEmit?: (event: string, payload: unknown) => void;
    };
    const listeners = new Map<string, Set<Listener>>();
    const api: Record<string, unknown> = {};
    for (const [method, channel] of bridge.methods) {
      api[method] = async (input?: unknown) => {
        const result = await w.__piIpc(channel, input);
        if (!result.ok)
          throw Object.assign(new Error(result.error.message), { code: result.error.code });
        return result.value;
      };
    }
    for (const [name, event] of bridge.listeners) {
      api[name] = (listener: Listener) => {
        const set = listeners.get(event) ?? new Set<Listener>();
        listeners.set(event, set);
        set.add(listener);
        return () => set.delete(listener);
      };
    }
    // As the preload's fileDropped: resolve the File's path (webUtils there; here a browser File
    // has no path, so a spec that drops a file names the disk file it stands for in
    // __piDropPaths, keyed by file name) and have main record it (files:record-drop).
    if (bridge.extras.includes('fileDropped'))
      api['fileDropped'] = async (file: File) => {
        const path =
          (globalThis as unknown as { __piDropPaths?: Record<string, string> }).__piDropPaths?.[
            file.name
          ] ?? '';
        if (!path) return null;
        const result = await w.__piIpc('files:record-drop', { path });
        if (!result.ok)
          throw Object.assign(new Error(result.error.message), { code: result.error.code });
        return result.value;
      };
    Object.defineProperty(globalThis, 'api', { value: Object.freeze(api), enumerable: false });
    Object.defineProperty(globalThis, '__piEmit', {
      value: (event: string, payload: unknown) => {
        for (const listener of listeners.get(event) ?? []) listener(payload);
      },
    });
  }, spec);
  host.attach((event, payload) => {
    if (page.isClosed()) return;
    void page
      .evaluate(
        ([e, p]) =>
          (globalThis as unknown as { __piEmit(e: string, p: unknown): void }).__piEmit(e, p),
        [event, payload] as const,
      )
      .catch(() => undefined);
  });
  return { blocked, popups };
}
