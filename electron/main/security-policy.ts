// The security decisions as pure functions (no Electron import), so the e2e harness can enforce
// exactly what the app enforces and unit tests can pin them down.

export interface RendererLocation {
  /** The dev server in `electron-vite dev`, or the built index.html. */
  url: string;
  /** What a trusted frame's URL starts with. */
  prefix: string;
}

/** The renderer may show its own page only; everything else is a navigation away. */
export function isAllowedNavigation(url: string, location: RendererLocation): boolean {
  return url === location.url;
}

/** Requests the renderer may make: its own files (and the dev server while developing). */
export function isAllowedRequest(url: string, location: RendererLocation): boolean {
  if (url.startsWith('data:') || url.startsWith('devtools:')) return true;
  if (location.prefix.endsWith('/')) return url.startsWith(location.prefix);
  // The built page: files next to index.html.
  const base = location.url.slice(0, location.url.lastIndexOf('/') + 1);
  return url.startsWith(base);
}

/** window.open never opens a window in the app; https links go to the user's browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: /^https:\/\//i.test(url) };
}

/** IPC senders: the top frame showing our page, nothing else. */
export function isTrustedFrameUrl(
  url: string,
  isTopFrame: boolean,
  location: RendererLocation,
): boolean {
  if (!isTopFrame) return false;
  if (location.prefix.endsWith('/')) return url.startsWith(location.prefix);
  return (
    url === location.prefix ||
    url.startsWith(`${location.prefix}#`) ||
    url.startsWith(`${location.prefix}?`)
  );
}
