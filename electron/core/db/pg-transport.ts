import pg from 'pg';
import { resolvePgTls } from './pg-tls';
import {
  isRpcFunctionName,
  rpcCallArgs,
  type RpcArgs,
  type RpcFunctionName,
} from '../../../shared/db/rpc-contract';
import { RpcError, type RpcErrorKind, type RpcTransport } from '../../../shared/db/rpc-transport';

// The RPC functions over a direct PostgreSQL connection (node-postgres). Calls use named
// arguments, exactly as PostgREST does, so both transports exercise the same SQL signatures.

export type PgTransportOptions = { connectionString: string } | { pool: pg.Pool };

export function createPgTransport(options: PgTransportOptions, label?: string): RpcTransport {
  const ownsPool = !('pool' in options);
  const secret = 'connectionString' in options ? options.connectionString : null;
  const pool =
    'pool' in options
      ? options.pool
      : new pg.Pool({
          // TLS decided by pg-tls: verify-full by default for a database on another machine.
          ...pgConnectionConfig(options.connectionString),
          max: 4,
          connectionTimeoutMillis: 15_000,
          idleTimeoutMillis: 30_000,
          keepAlive: true,
          application_name: 'purchase-import',
        });
  if (ownsPool) {
    // An idle connection dropped by the server must not crash the process; the next call simply
    // gets a fresh connection (or an 'unreachable' error).
    pool.on('error', () => undefined);
  }
  let closed = false;
  const run = async (text: string, values: unknown[]): Promise<unknown> => {
    try {
      const result = await pool.query<{ result: unknown }>(text, values);
      return result.rows[0]?.result ?? null;
    } catch (error) {
      throw toRpcError(error, secret);
    }
  };

  return {
    label: label ?? (secret ? describeTarget(secret) : 'postgresql'),
    // Not async itself (issue 18): an async function holds its arguments until it settles, and a
    // staged chunk's 5,000 row objects held while the database works outlived young-generation
    // collections and piled up in the app's main process. Only the query's text and bytes wait.
    call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]): Promise<unknown> {
      if (!isRpcFunctionName(fn)) {
        return Promise.reject(
          new RpcError('refused', `Unknown database function ${String(fn)}`, {
            code: 'unknown_function',
          }),
        );
      }
      const values: unknown[] = [];
      const named: string[] = [];
      // Signature order, each cast to its SQL type; left out: the SQL default, as in PostgREST.
      for (const { name, sql, value } of rpcCallArgs(fn, args)) {
        values.push(sql === 'json' || sql === 'jsonb' ? toJsonBytes(value, sql) : value);
        named.push(`${name} => $${values.length}::${sql}`);
      }
      return run(`select public.${fn}(${named.join(', ')}) as result`, values);
    },
    async close() {
      if (closed || !ownsPool) return;
      closed = true;
      await pool.end();
    },
  };
}

/** node-postgres settings for a connection string, with TLS as pg-tls decides it. */
export function pgConnectionConfig(connectionString: string): {
  connectionString: string;
  ssl: pg.ClientConfig['ssl'];
} {
  const { connectionString: stripped, ssl } = resolvePgTls(connectionString);
  return { connectionString: stripped, ssl };
}

/**
 * A json or jsonb argument as UTF-8 bytes, which node-postgres sends in binary format: json's is
 * the text itself, jsonb's the text after a version byte (1). Issue 18: sent as a string, a staged
 * chunk's JSON (and the flat copy node-postgres made of it to measure it) stayed on the app's
 * main-process heap while the database worked, outlived young-generation collections and piled
 * up in the old generation, ~100 MB over a 1M-row commit; bytes live outside the heap.
 */
function toJsonBytes(value: unknown, sql: 'json' | 'jsonb'): Buffer | null {
  if (value === undefined || value === null) return null;
  const text = JSON.stringify(value);
  const head = sql === 'jsonb' ? 1 : 0;
  const bytes = Buffer.allocUnsafe(head + Buffer.byteLength(text));
  if (head === 1) bytes[0] = 1;
  bytes.write(text, head);
  return bytes;
}

const UNREACHABLE_NODE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
]);
const UNREACHABLE_MESSAGE =
  /connection terminated|connection ended|terminating connection|timeout exceeded when trying to connect|not queryable|connection error|socket/i;

/** Classifies a node-postgres failure as the RpcError the engine acts on. */
export function toRpcError(error: unknown, secret: string | null = null): RpcError {
  if (error instanceof RpcError) return error;
  const message = redactSecrets(error instanceof Error ? error.message : String(error), secret);
  if (error instanceof pg.DatabaseError) {
    const sqlState = error.code ?? null;
    const kind = kindOfSqlState(sqlState);
    const details = [error.detail, error.hint].filter(Boolean).join(' ') || null;
    return new RpcError(kind, message, {
      code: sqlState,
      details: details === null ? null : redactSecrets(details, secret),
      cause: error,
    });
  }
  const nodeCode = errorCode(error);
  const tls = tlsGuidance(nodeCode, message);
  if (tls) return new RpcError('refused', tls, { code: nodeCode, cause: error });
  if (
    (nodeCode !== null && UNREACHABLE_NODE_CODES.has(nodeCode)) ||
    UNREACHABLE_MESSAGE.test(message)
  ) {
    return new RpcError('unreachable', `The database did not answer: ${message}`, {
      code: nodeCode,
      cause: error,
    });
  }
  // Anything else never reached a verdict from the server (the driver failed around it): treat
  // the outcome as unknown so callers read state back instead of assuming nothing happened.
  return new RpcError('unreachable', `The database call failed: ${message}`, {
    code: nodeCode,
    cause: error,
  });
}

const CERTIFICATE_CODES =
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME_INVALID/;

/** A refused TLS connection, said with what to change in the connection string. */
function tlsGuidance(nodeCode: string | null, message: string): string | null {
  if (/server does not support SSL/i.test(message)) {
    return 'The database server does not offer TLS. Ask for TLS to be enabled, or (on a network you trust) add sslmode=disable to the connection string.';
  }
  if (nodeCode !== null && CERTIFICATE_CODES.test(nodeCode)) {
    return `The database server's certificate was not accepted (${message}). Connections to another computer verify it (sslmode=verify-full): add sslrootcert=/path/to/ca.pem for a private certificate authority (Supabase: the CA from the project's database settings), or sslmode=require to encrypt without verifying.`;
  }
  return null;
}

function kindOfSqlState(sqlState: string | null): RpcErrorKind {
  if (sqlState === null) return 'refused';
  if (sqlState.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(sqlState)) {
    return 'unreachable';
  }
  if (sqlState === '57014') return 'timeout';
  if (sqlState === '42501' || sqlState.startsWith('28')) return 'permission';
  return 'refused';
}

function errorCode(error: unknown): string | null {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  // Node reports a failed multi-address connect as an AggregateError of the attempts.
  if (error instanceof AggregateError) {
    for (const inner of error.errors) {
      const code = errorCode(inner);
      if (code !== null) return code;
    }
  }
  return null;
}

/** A connection failure as a safe, short sentence (for callers outside the RPC path). */
export function describeConnectionError(error: unknown, secret: string | null): string {
  return toRpcError(error, secret).message;
}

/** Removes a connection string, its password and any URL credentials from a message. */
export function redactSecrets(message: string, secret: string | null): string {
  let out = message;
  if (secret) {
    out = out.split(secret).join('[connection string]');
    const password = passwordOf(secret);
    if (password && password.length >= 3) {
      out = out.split(password).join('***');
      const decoded = safeDecode(password);
      if (decoded.length >= 3) out = out.split(decoded).join('***');
    }
  }
  return out.replace(/(postgres(?:ql)?:\/\/)[^\s@/]*@/gi, '$1***@');
}

function passwordOf(connectionString: string): string | null {
  try {
    const url = new URL(connectionString);
    if (url.password) return url.password;
  } catch {
    // Key/value connection strings: look for password=...
  }
  const match = /password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(connectionString);
  return match?.[1]?.replace(/^'|'$/g, '') ?? null;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** host:port/database, never user or password. */
function describeTarget(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    return `${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname}`;
  } catch {
    return 'postgresql';
  }
}
