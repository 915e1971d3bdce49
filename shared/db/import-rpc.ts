import { rpcContract, type RpcArgs, type RpcFunctionName, type RpcResult } from './rpc-contract';
import { RpcError, type RpcTransport } from './rpc-transport';

/** Typed, validated access to the import RPC functions over any transport. */
export interface ImportRpc {
  call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]): Promise<RpcResult<F>>;
  readonly transport: RpcTransport;
}

export function createImportRpc(transport: RpcTransport): ImportRpc {
  return {
    transport,
    // Not async itself, and no closure here sees `args` (issue 18): an async function holds its
    // arguments until it settles, and a closure holds every variable its scope shares with other
    // closures; a staged chunk's 5,000 row objects held while the database worked outlived
    // young-generation collections and piled up in the app's main process.
    call(fn, args) {
      let answer: Promise<unknown>;
      try {
        answer = transport.call(fn, args);
      } catch (error) {
        // A transport that throws still rejects, as the async version did.
        answer = Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
      return answer.then(resultOf(fn));
    },
  };
}

/** Reads a function's result against the contract. */
function resultOf<F extends RpcFunctionName>(fn: F): (raw: unknown) => RpcResult<F> {
  return (raw) => {
    const parsed = rpcContract[fn].result.safeParse(raw);
    if (!parsed.success) {
      // A result we cannot read means the database and the app disagree on the contract:
      // refuse loudly rather than act on a guess.
      throw new RpcError('refused', `Unexpected result from ${fn}: ${parsed.error.message}`, {
        code: 'contract_mismatch',
      });
    }
    return parsed.data as RpcResult<F>;
  };
}
