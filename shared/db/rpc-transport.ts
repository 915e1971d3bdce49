import type { RpcArgs, RpcFunctionName } from './rpc-contract';

/**
 * Why a call failed, as far as the caller needs to act on it:
 * - unreachable: no answer (network, server down, connection dropped mid-call); the outcome of a
 *   write is unknown and must be reconciled by reading state back.
 * - timeout: the server cancelled the statement (its effects are rolled back).
 * - permission: authenticated but not allowed, or not authenticated.
 * - refused: the server understood and said no (bad state, invalid argument, constraint).
 */
export type RpcErrorKind = 'unreachable' | 'timeout' | 'permission' | 'refused';

export class RpcError extends Error {
  readonly kind: RpcErrorKind;
  readonly code: string | null;
  readonly details: string | null;

  constructor(
    kind: RpcErrorKind,
    message: string,
    options: { code?: string | null; details?: string | null; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RpcError';
    this.kind = kind;
    this.code = options.code ?? null;
    this.details = options.details ?? null;
  }
}

/** A way to reach the database functions: a direct connection (pg) or PostgREST (supabase-js). */
export interface RpcTransport {
  /** Calls `public.<fn>` with named arguments; resolves to the raw JSON result (parsed later). */
  call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]): Promise<unknown>;
  /** A short label for logs and the UI, never containing secrets. */
  readonly label: string;
  close(): Promise<void>;
}
