import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { CONTENT_SECURITY_POLICY, EXTERNAL_LINKS, type RendererLocation } from './security-policy';

// security.ts registered on stand-ins of Electron's objects (the binary does not exist here),
// then exercised the way Chromium would call it: permission requests and checks, web requests
// and their headers, window.open, navigation, redirects and webviews.

type Callback = (...args: unknown[]) => unknown;
const standIn = vi.hoisted(() => {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  const opened: string[] = [];
  return {
    handlers,
    opened,
    app: {
      isPackaged: true,
      on: (event: string, listener: (...args: unknown[]) => unknown) => {
        handlers.set(`app:${event}`, listener);
      },
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: (...args: unknown[]) => unknown) =>
          handlers.set('permission-request', h),
        setPermissionCheckHandler: (h: (...args: unknown[]) => unknown) =>
          handlers.set('permission-check', h),
        setDevicePermissionHandler: (h: (...args: unknown[]) => unknown) =>
          handlers.set('device-permission', h),
        webRequest: {
          onBeforeRequest: (h: (...args: unknown[]) => unknown) =>
            handlers.set('before-request', h),
          onHeadersReceived: (h: (...args: unknown[]) => unknown) =>
            handlers.set('headers-received', h),
        },
      },
    },
    shell: {
      openExternal: async (url: string) => {
        opened.push(url);
      },
    },
  };
});

vi.mock('electron', () => ({
  app: standIn.app,
  session: standIn.session,
  shell: standIn.shell,
}));

const { hardenSessions, hardenWebContents, isTrustedFrame, rendererLocation } =
  await import('./security');

const LOCATION: RendererLocation = {
  url: 'file:///opt/app/out/renderer/index.html',
  prefix: 'file:///opt/app/out/renderer/index.html',
};

function handler(name: string): Callback {
  const found = standIn.handlers.get(name);
  if (!found) throw new Error(`${name} was not registered`);
  return found;
}

/** A stand-in WebContents: records its handlers; events are emitted by the test. */
function fakeContents() {
  const listeners = new Map<string, Callback>();
  let windowOpen: Callback | null = null;
  return {
    contents: {
      setWindowOpenHandler: (h: Callback) => {
        windowOpen = h;
      },
      on: (event: string, listener: Callback) => {
        listeners.set(event, listener);
      },
    },
    windowOpen: (url: string) => {
      if (!windowOpen) throw new Error('no window open handler');
      return windowOpen({ url });
    },
    /** Emits an event; returns whether the handler prevented it. */
    emit: (event: string, url?: string): boolean => {
      const listener = listeners.get(event);
      if (!listener) throw new Error(`${event} has no listener`);
      let prevented = false;
      listener({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    },
  };
}

beforeEach(() => {
  standIn.handlers.clear();
  standIn.opened.length = 0;
});

describe('hardenSessions', () => {
  beforeEach(() => hardenSessions(LOCATION));

  it('refuses every permission request, check and device', () => {
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'hid']) {
      let granted: unknown = 'unanswered';
      handler('permission-request')({}, permission, (answer: boolean) => (granted = answer));
      expect({ permission, granted }).toEqual({ permission, granted: false });
      expect(handler('permission-check')({}, permission, 'file://')).toBe(false);
    }
    expect(handler('device-permission')({ deviceType: 'usb' })).toBe(false);
  });

  it('lets the page load its own files only; the network is closed to it', () => {
    const decide = (url: string): unknown => {
      let answer: unknown;
      handler('before-request')({ url }, (a: unknown) => (answer = a));
      return answer;
    };
    expect(decide(LOCATION.url)).toEqual({ cancel: false });
    expect(decide('file:///opt/app/out/renderer/assets/index-1.js')).toEqual({ cancel: false });
    expect(decide('data:image/png;base64,AA==')).toEqual({ cancel: false });
    for (const url of [
      'https://evil.example/x.js',
      'http://127.0.0.1:5432/',
      'file:///etc/passwd',
      'file:///opt/app/out/main/index.js',
      'ws://localhost:1/',
    ]) {
      expect({ url, answer: decide(url) }).toEqual({ url, answer: { cancel: true } });
    }
  });

  it('sets the CSP header on every response, replacing one the response brings', () => {
    let answer: { responseHeaders?: Record<string, string[]> } = {};
    handler('headers-received')(
      {
        url: 'http://localhost:5173/',
        responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Other': ['1'] },
      },
      (a: typeof answer) => (answer = a),
    );
    expect(answer.responseHeaders).toEqual({
      'X-Other': ['1'],
      'Content-Security-Policy': [CONTENT_SECURITY_POLICY],
    });
  });

  it('keeps the header and the page’s meta tag the same policy', async () => {
    const html = await readFile(join(import.meta.dirname, '../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(CONTENT_SECURITY_POLICY);
  });
});

describe('hardenWebContents', () => {
  let tab: ReturnType<typeof fakeContents>;
  beforeEach(() => {
    hardenWebContents(LOCATION);
    tab = fakeContents();
    handler('app:web-contents-created')({}, tab.contents);
  });

  it('never opens a window; only the documentation links go to the browser', async () => {
    for (const link of EXTERNAL_LINKS) {
      expect(tab.windowOpen(link)).toEqual({ action: 'deny' });
      expect(tab.windowOpen(`${link}#section`)).toEqual({ action: 'deny' });
    }
    for (const url of [
      'https://evil.example/login',
      `${EXTERNAL_LINKS[0]}?next=https://evil.example`,
      `https://user:pw@${(EXTERNAL_LINKS[0] ?? '').slice('https://'.length)}`,
      'http://www.postgresql.org/docs/current/libpq-ssl.html',
      'file:///etc/passwd',
      'smb://host/share',
      'javascript:alert(1)',
      'ms-settings:',
    ]) {
      expect({ url, decision: tab.windowOpen(url) }).toEqual({
        url,
        decision: { action: 'deny' },
      });
    }
    await Promise.resolve();
    expect(standIn.opened).toEqual(EXTERNAL_LINKS.flatMap((l) => [l, `${l}#section`]));
  });

  it('prevents navigation and redirects away from the page, and every webview', () => {
    expect(tab.emit('will-navigate', LOCATION.url)).toBe(false);
    for (const event of ['will-navigate', 'will-redirect']) {
      for (const url of ['https://evil.example/', 'file:///etc/passwd', `${LOCATION.url}.evil`]) {
        expect({ event, url, prevented: tab.emit(event, url) }).toEqual({
          event,
          url,
          prevented: true,
        });
      }
    }
    expect(tab.emit('will-attach-webview')).toBe(true);
  });
});

describe('isTrustedFrame and rendererLocation', () => {
  it('trusts the top frame of the page only', () => {
    const frame = (url: string, parent: unknown = null) =>
      ({ url, parent }) as unknown as Parameters<typeof isTrustedFrame>[0];
    expect(isTrustedFrame(frame(LOCATION.url), LOCATION)).toBe(true);
    expect(isTrustedFrame(frame(LOCATION.url, {}), LOCATION)).toBe(false);
    expect(isTrustedFrame(frame('https://evil.example/'), LOCATION)).toBe(false);
    expect(isTrustedFrame(null, LOCATION)).toBe(false);
  });

  it('ignores ELECTRON_RENDERER_URL in a packaged app (no dev server origin is trusted)', () => {
    vi.stubEnv('ELECTRON_RENDERER_URL', 'https://evil.example/');
    try {
      const location = rendererLocation('/opt/app/out/renderer');
      expect(location).toEqual({
        url: 'file:///opt/app/out/renderer/index.html',
        prefix: 'file:///opt/app/out/renderer/index.html',
      });
    } finally {
      vi.unstubAllEnvs();
    }
  });
});
