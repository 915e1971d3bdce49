import type { SupabaseClient } from '@supabase/supabase-js';
import { isRpcFunctionName, rpcCallArgs, type RpcArgs, type RpcFunctionName } from './rpc-contract';
import { RpcError, type RpcErrorKind, type RpcTransport } from './rpc-transport';

// The RPC functions through PostgREST with supabase-js (`supabase.rpc(fn, args)`): the same
// named arguments the pg transport sends, so both exercise one SQL signature. Results come back
// raw; the ImportRpc client parses them with zod. Which user is calling is the client's business
// (its session or its key); this file never sees or logs a token.

export interface SupabaseTransportOptions {
  /** Shown in logs and the UI: say which project, never a key. */
  label?: string;
  /** Runs on close(), e.g. stopping the client's token refresh when the transport owns it. */
  onClose?: () => Promise<void> | void;
}

/** What PostgREST (or a gateway in front of it) answered, as postgrest-js reports it. */
export interface PostgrestFailure {
  status: number;
  code: string | null;
  message: string;
  details: string | null;
  hint: string | null;
}

export function createSupabaseTransport(
  client: Pick<SupabaseClient, 'rpc'>,
  options: SupabaseTransportOptions = {},
): RpcTransport {
  let closed = false;
  return {
    label: options.label ?? 'supabase',
    async call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]): Promise<unknown> {
      // POST is never retried by postgrest-js, so a lost answer reaches the engine, which
      // reconciles by reading the batch back instead of resending blindly.
      if (!isRpcFunctionName(fn)) {
        throw new RpcError('refused', `Unknown database function ${String(fn)}`, {
          code: 'unknown_function',
        });
      }
      // The table's arguments only, defaults left out: what the pg transport sends too.
      const named = Object.fromEntries(rpcCallArgs(fn, args).map((a) => [a.name, a.value]));
      const response = await client.rpc(fn, named);
      if (response.error) {
        throw toRpcError({
          status: response.status,
          code: stringOrNull(response.error.code),
          message: String(response.error.message ?? ''),
          details: stringOrNull(response.error.details),
          hint: stringOrNull(response.error.hint),
        });
      }
      return response.data;
    },
    async close() {
      if (closed) return;
      closed = true;
      await options.onClose?.();
    },
  };
}

// Gateways (Supabase's API gateway, Cloudflare) answer these when PostgREST's answer is lost or
// never came; the call may still have run in the database.
const UNREACHABLE_STATUS = new Set([502, 503, 504, 520, 521, 522, 523, 524, 530]);
const PERMISSION_CODES = new Set(['42501', 'PGRST301', 'PGRST302', 'PGRST303']);
const STATEMENT_TIMEOUT = /canceling statement due to statement timeout/i;

/** Classifies a PostgREST failure as the RpcError the engine acts on. */
export function toRpcError(failure: PostgrestFailure): RpcError {
  const kind = kindOf(failure);
  const details = [failure.details, failure.hint].filter(Boolean).join(' ') || null;
  const message =
    kind === 'unreachable'
      ? `The Supabase API did not answer${failure.status ? ` (HTTP ${failure.status})` : ''}: ${firstLine(failure.message)}`
      : failure.message || `HTTP ${failure.status}`;
  // A fetch failure's details carry a stack trace: useful in a debugger, noise in a message.
  return new RpcError(kind, message, {
    code: failure.code,
    details: kind === 'unreachable' ? null : details,
  });
}

function kindOf(failure: PostgrestFailure): RpcErrorKind {
  const code = failure.code ?? '';
  // postgrest-js reports a network failure, an abort or its own timeout as status 0.
  if (failure.status === 0 || UNREACHABLE_STATUS.has(failure.status)) {
    return code === '57014' ? 'timeout' : 'unreachable';
  }
  if (code === '57014' || STATEMENT_TIMEOUT.test(failure.message)) return 'timeout';
  if (code.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(code)) {
    return 'unreachable';
  }
  if (
    failure.status === 401 ||
    failure.status === 403 ||
    PERMISSION_CODES.has(code) ||
    code.startsWith('28')
  ) {
    return 'permission';
  }
  return 'refused';
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
