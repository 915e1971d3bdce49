// Which hosts count as this computer. Traffic to them never leaves the machine, so they may be
// reached without TLS (a local development Supabase, the sandbox, a local PostgreSQL); every
// other host gets an encrypted, verified connection unless the user says otherwise.

/** A URL's hostname (`URL.hostname`, brackets around IPv6 allowed) that is this computer. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  // Not *.localhost: outside browsers such names may be resolved by DNS to any address.
  if (host === 'localhost') return true;
  if (host === '::1' || host === '0:0:0:0:0:0:0:1') return true;
  // IPv4 127.0.0.0/8, also as an IPv4-mapped IPv6 address.
  const v4 = host.replace(/^::ffff:/, '');
  const parts = v4.split('.');
  return (
    parts.length === 4 &&
    parts[0] === '127' &&
    parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
  );
}

/** Why a Supabase project URL is refused, or null: https, or http to this computer only. */
export function projectUrlProblem(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'The project URL is not a URL (https://your-project.supabase.co).';
  }
  if (parsed.protocol === 'https:') return null;
  if (parsed.protocol === 'http:' && isLoopbackHost(parsed.hostname)) return null;
  return 'The project URL must start with https:// (http:// only for a Supabase running on this computer): sign-in tokens must not travel unencrypted.';
}
