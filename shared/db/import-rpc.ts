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
    async call(fn, args) {
      const raw = await transport.call(fn, args);
      const parsed = rpcContract[fn].result.safeParse(raw);
      if (!parsed.success) {
        // A result we cannot read means the database and the app disagree on the contract:
        // refuse loudly rather than act on a guess.
        throw new RpcError('refused', `Unexpected result from ${fn}: ${parsed.error.message}`, {
          code: 'contract_mismatch',
        });
      }
      return parsed.data as RpcResult<typeof fn>;
    },
  };
}
