import type { RpcArgs, RpcFunctionName } from '../../shared/db/rpc-contract';
import { RpcError, type RpcTransport } from '../../shared/db/rpc-transport';

/**
 * What goes wrong with a call on the wire:
 * - 'drop-before': the connection drops before the call is sent;
 * - 'drop-after': the call ran, its answer is lost;
 * - 'slow': the answer comes 400 ms late;
 * - 'swallow': a staged chunk's call never reaches the database, yet answers as if it had.
 */
export type Fault = 'drop-before' | 'drop-after' | 'slow' | 'swallow';

/**
 * A real transport with faults on chosen calls (each listed fault is used once, in order), and
 * every call's name recorded: the database is real, only the wire in between misbehaves.
 */
export function lossyTransport(
  real: RpcTransport,
  faults: Partial<Record<RpcFunctionName, Fault[]>>,
): { transport: RpcTransport; calls: RpcFunctionName[] } {
  const calls: RpcFunctionName[] = [];
  const transport: RpcTransport = {
    label: 'lossy',
    close: async () => undefined,
    async call<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]) {
      calls.push(fn);
      const fault = faults[fn]?.shift();
      if (fault === 'drop-before') throw new RpcError('unreachable', 'connection reset (test)');
      if (fault === 'swallow' && fn === 'import_stage_chunk') {
        const { p_batch_id, p_chunk_no } = args as RpcArgs['import_stage_chunk'];
        return {
          batchId: p_batch_id,
          chunkNo: p_chunk_no,
          rowCount: 1,
          duplicate: false,
          stagedRows: 1,
        };
      }
      const result = await real.call(fn, args);
      if (fault === 'slow') await new Promise((resolve) => setTimeout(resolve, 400));
      if (fault === 'drop-after') throw new RpcError('unreachable', 'connection lost (test)');
      return result;
    },
  };
  return { transport, calls };
}
