import { readFileSync } from 'node:fs';
import tls, { type ConnectionOptions } from 'node:tls';
import { isLoopbackHost } from '../../../shared/net/hosts';

// TLS for PostgreSQL connection strings, decided here once for every direct connection (app
// profiles, PURCHASE_IMPORT_DB, the CLI). A database on another machine gets an encrypted and
// verified connection by default: sslmode=verify-full against the system's certificate
// authorities, unless the connection string says otherwise. Loopback and Unix sockets never
// leave the computer and connect as before. libpq's meanings are kept where node-postgres can
// express them; modes that send the password to an unverified or unencrypted server come with
// a warning the profile shows.

export const SSL_MODES = [
  'disable',
  'allow',
  'prefer',
  'require',
  'verify-ca',
  'verify-full',
  'no-verify',
] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** Connection-string parameters about TLS: read here, never passed on to node-postgres. */
const TLS_PARAMS = [
  'sslmode',
  'ssl',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'sslnegotiation',
  'uselibpqcompat',
];

export interface PgTlsDecision {
  /** The connection string without its TLS parameters (node-postgres would override ours). */
  connectionString: string;
  ssl: false | ConnectionOptions;
  /** The mode in force: the URL's own, or the default for its host. */
  sslmode: SslMode;
  /** Whether the mode came from the URL (false: the default for the host). */
  explicit: boolean;
  /** The server's host as the URL names it ('' for a Unix socket). */
  host: string;
  local: boolean;
  /** Why this profile's password or data may be exposed on the network, or null. */
  warning: string | null;
}

export class PgTlsConfigError extends Error {
  readonly kind = 'refused';
  constructor(message: string) {
    super(message);
    this.name = 'PgTlsConfigError';
  }
}

/** The system's trusted CAs (Node 22.15+ / Electron): the OS store plus Node's bundled one. */
export function systemCertificates(): string[] | undefined {
  const get = (tls as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (typeof get !== 'function') return undefined; // older Node: its bundled store (the default)
  try {
    return [...new Set([...get('default'), ...get('system')])];
  } catch {
    return undefined;
  }
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new PgTlsConfigError(
      `The connection string's ${what} (${path}) cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
    );
  }
}

function parseMode(value: string): SslMode {
  const mode = value.trim().toLowerCase();
  if ((SSL_MODES as readonly string[]).includes(mode)) return mode as SslMode;
  throw new PgTlsConfigError(
    `Unknown sslmode "${value}": use verify-full (recommended), verify-ca, require, prefer, allow or disable.`,
  );
}

/**
 * The TLS settings for a connection string. Connection strings that are not URLs (a Unix socket
 * path) are local and pass through unchanged.
 */
export function resolvePgTls(connectionString: string): PgTlsDecision {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    // Only a Unix socket (a path, or a URL with an empty host) may fail to parse as a URL;
    // anything else is refused rather than sent without TLS.
    if (!connectionString.startsWith('/') && !connectionString.includes('@/')) {
      throw new PgTlsConfigError(
        'The connection string cannot be read: use postgresql://user:password@host:5432/database.',
      );
    }
    return {
      connectionString,
      ssl: false,
      sslmode: 'disable',
      explicit: false,
      host: '',
      local: true,
      warning: null,
    };
  }
  const params = url.searchParams;
  const hostParam = params.get('host');
  const host = (hostParam ?? decodeURIComponent(url.hostname)).replace(/^\[(.*)\]$/, '$1');
  const local = host === '' || host.startsWith('/') || isLoopbackHost(host);

  const given = params.get('sslmode');
  const sslFlag = params.get('ssl');
  const rootCert = params.get('sslrootcert');
  let sslmode: SslMode;
  let explicit = true;
  if (given !== null) sslmode = parseMode(given);
  else if (sslFlag === 'true' || sslFlag === '1') sslmode = 'verify-full';
  else if (sslFlag === 'false' || sslFlag === '0') sslmode = 'disable';
  else if (rootCert !== null) sslmode = 'verify-full';
  else {
    explicit = false;
    // Supabase signs its database certificates with its own authority, which no system trusts:
    // its direct and pooler strings (no sslmode) still connect, encrypted, and the profile says
    // how to verify (sslrootcert = the CA from the project's database settings).
    sslmode = local ? 'disable' : isSupabaseHost(host) ? 'require' : 'verify-full';
  }

  const stripped = new URL(url.href);
  for (const name of TLS_PARAMS) stripped.searchParams.delete(name);

  const ca =
    rootCert === null || rootCert === 'system'
      ? systemCertificates()
      : readPem(rootCert, 'sslrootcert');
  const client: ConnectionOptions = {};
  const cert = params.get('sslcert');
  const key = params.get('sslkey');
  if (cert) client.cert = readPem(cert, 'sslcert');
  if (key) client.key = readPem(key, 'sslkey');
  if (rootCert === 'system' && sslmode !== 'verify-full') {
    // libpq: sslrootcert=system demands full verification.
    throw new PgTlsConfigError('sslrootcert=system requires sslmode=verify-full.');
  }

  let ssl: false | ConnectionOptions;
  switch (sslmode) {
    case 'disable':
    case 'allow':
      // allow: libpq tries without TLS first, which a server that accepts it always takes.
      ssl = false;
      break;
    case 'prefer':
    case 'no-verify':
      // Encrypted, server not verified (node-postgres cannot fall back to plain text).
      ssl = { ...client, rejectUnauthorized: false };
      break;
    case 'require':
      // libpq: with a root certificate, require verifies the chain like verify-ca.
      ssl =
        rootCert !== null
          ? { ...client, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined }
          : { ...client, rejectUnauthorized: false };
      break;
    case 'verify-ca':
      ssl = { ...client, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined };
      break;
    case 'verify-full':
      // node-postgres passes the host on, so Node checks the certificate's names against it.
      ssl = { ...client, ...(ca ? { ca } : {}), rejectUnauthorized: true };
      break;
  }

  return {
    connectionString: stripped.href,
    ssl,
    sslmode,
    explicit,
    host,
    local,
    warning: local
      ? null
      : !explicit && sslmode === 'require'
        ? `${host} is reached encrypted, but its certificate is signed by Supabase's own authority and is not verified. For verify-full, download the CA certificate from the project's database settings and add ?sslrootcert=/path/to/prod-ca-2021.crt to the connection string.`
        : warningFor(sslmode, host),
  };
}

/** Supabase's database hosts (direct db.<ref>.supabase.co and the poolers). */
export function isSupabaseHost(host: string): boolean {
  return /(^|\.)supabase\.(co|com)$/i.test(host);
}

function warningFor(mode: SslMode, host: string): string | null {
  switch (mode) {
    case 'disable':
    case 'allow':
      return `sslmode=${mode}: the password and every row travel to ${host} unencrypted. Remove sslmode (the app then uses verify-full) unless this network is trusted.`;
    case 'prefer':
    case 'no-verify':
      return `sslmode=${mode}: the connection to ${host} is encrypted but the server is not verified, so anyone on the network path can pose as it and receive the password. Use sslmode=verify-full.`;
    default:
      return null;
  }
}

/** The warning for a profile's connection string; an unreadable string has its own error later. */
export function tlsWarning(connectionString: string): string | null {
  try {
    return resolvePgTls(connectionString).warning;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
