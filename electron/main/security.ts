import { pathToFileURL } from 'node:url';
import { app, session, shell, type WebContents, type WebFrameMain } from 'electron';
import {
  CONTENT_SECURITY_POLICY,
  isAllowedNavigation,
  isAllowedRequest,
  isTrustedFrameUrl,
  windowOpenDecision,
  type RendererLocation,
} from './security-policy';

// Electron hardening in one place. The renderer is untrusted: it may only show the app's own
// page, it cannot open windows or navigate, every permission request is refused, it reaches no
// network, and IPC is answered only for the top frame showing the app's own page.

export type { RendererLocation };

export function rendererLocation(rendererDir: string): RendererLocation {
  const dev = process.env['ELECTRON_RENDERER_URL'];
  if (dev && !app.isPackaged) {
    const origin = new URL(dev).origin;
    return { url: dev, prefix: `${origin}/` };
  }
  const file = pathToFileURL(`${rendererDir}/index.html`).href;
  return { url: file, prefix: file };
}

export function isTrustedFrame(frame: WebFrameMain | null, location: RendererLocation): boolean {
  if (!frame) return false;
  return isTrustedFrameUrl(frame.url, frame.parent === null, location);
}

export function hardenSessions(location: RendererLocation): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);
  // Nothing the app needs lives on the network: the database is reached from main.
  ses.webRequest.onBeforeRequest((details, callback) => {
    callback({ cancel: !isAllowedRequest(details.url, location) });
  });
  // The policy of the page's meta tag, also as a header (whatever a response says of its own).
  ses.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(
        ([name]) => name.toLowerCase() !== 'content-security-policy',
      ),
    );
    callback({
      responseHeaders: { ...headers, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

/** Applied to every web contents the app ever creates. */
export function hardenWebContents(location: RendererLocation): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      const decision = windowOpenDecision(url);
      // Only the app's own documentation links reach the browser (security-policy's list).
      if (decision.openExternally) void shell.openExternal(new URL(url).href);
      return { action: decision.action };
    });
    contents.on('will-navigate', (event, url) => {
      if (!isAllowedNavigation(url, location)) event.preventDefault();
    });
    contents.on('will-redirect', (event, url) => {
      if (!isAllowedNavigation(url, location)) event.preventDefault();
    });
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
