// The security decisions as pure functions (no Electron import), so the e2e harness can enforce
// exactly what the app enforces and unit tests can pin them down.

/**
 * The page's Content-Security-Policy: renderer/index.html carries it as a meta tag (the built
 * page is a file, which has no headers) and main adds it as a header to every response it sees
 * (the dev server). A test keeps the two equal.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

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

/**
 * The only pages the app hands to the user's browser: its own documentation links. Anything
 * else a page asks to open (a phishing link in a cell, a file: or custom-scheme URL that would
 * start another program) is dropped.
 */
export const EXTERNAL_LINKS: readonly string[] = [
  'https://www.postgresql.org/docs/current/libpq-ssl.html',
  'https://supabase.com/docs/guides/platform/ssl-enforcement',
  'https://supabase.com/docs/guides/database/connecting-to-postgres',
];

/** Whether a URL is one of EXTERNAL_LINKS (a #fragment allowed; nothing else may differ). */
export function isAllowedExternalLink(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.search) {
    return false;
  }
  return EXTERNAL_LINKS.includes(`${parsed.origin}${parsed.pathname}`);
}

/** window.open never opens a window in the app; the app's documentation links open in the browser. */
export function windowOpenDecision(url: string): { action: 'deny'; openExternally: boolean } {
  return { action: 'deny', openExternally: isAllowedExternalLink(url) };
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
