import { app, session, shell, type WebContents, type WebFrameMain } from 'electron';
import { pathToFileURL } from 'node:url';

// Electron hardening in one place. The renderer is untrusted: it may only show the app's own
// page, it cannot open windows or navigate, every permission request is refused, and IPC is
// answered only for frames showing the app's own page.

export interface RendererLocation {
  /** The dev server in `electron-vite dev`, or the built index.html. */
  url: string;
  /** What a trusted frame's URL starts with. */
  prefix: string;
}

export function rendererLocation(rendererDir: string): RendererLocation {
  const dev = process.env['ELECTRON_RENDERER_URL'];
  if (dev && !app.isPackaged) {
    const origin = new URL(dev).origin;
    return { url: dev, prefix: `${origin}/` };
  }
  const file = pathToFileURL(`${rendererDir}/index.html`).href;
  return { url: file, prefix: file };
}

/** IPC senders: the main frame of our window showing our page, nothing else. */
export function isTrustedFrame(frame: WebFrameMain | null, location: RendererLocation): boolean {
  if (!frame || frame.parent !== null) return false;
  const url = frame.url;
  if (location.prefix.endsWith('/')) return url.startsWith(location.prefix);
  return (
    url === location.prefix ||
    url.startsWith(`${location.prefix}#`) ||
    url.startsWith(`${location.prefix}?`)
  );
}

export function hardenSessions(): void {
  const ses = session.defaultSession;
  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  // Nothing the app needs lives on the network: the database is reached from main.
  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed =
      details.url.startsWith('file:') ||
      details.url.startsWith('devtools:') ||
      details.url.startsWith('data:') ||
      (process.env['ELECTRON_RENDERER_URL'] !== undefined &&
        !app.isPackaged &&
        details.url.startsWith(new URL(process.env['ELECTRON_RENDERER_URL']).origin));
    callback({ cancel: !allowed });
  });
}

/** Applied to every web contents the app ever creates. */
export function hardenWebContents(location: RendererLocation): void {
  app.on('web-contents-created', (_event, contents: WebContents) => {
    contents.setWindowOpenHandler(({ url }) => {
      // Help links open in the user's browser; the app never opens a window of its own.
      if (url.startsWith('https://')) void shell.openExternal(url);
      return { action: 'deny' };
    });
    contents.on('will-navigate', (event, url) => {
      if (url !== location.url) event.preventDefault();
    });
    contents.on('will-redirect', (event) => event.preventDefault());
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
