import { z } from 'zod';
import { ipcContract, type Channel } from '../../../shared/ipc/contract';
import type { IpcResult } from '../../../shared/ipc/api';
import { describeError } from '../services/session/connection-manager';
import type { Handlers } from './handlers';

// The part of handle() that needs no Electron: parse the input as unknown with the contract,
// run the handler, parse what it returns, and turn failures into data the renderer can show.
// Shared by the app (ipcMain) and the e2e host (a Playwright binding).

export async function dispatch(
  handlers: Handlers,
  channel: string,
  raw: unknown,
  log: (line: string) => void = () => undefined,
): Promise<IpcResult<unknown>> {
  if (!Object.hasOwn(ipcContract, channel)) {
    return { ok: false, error: { code: 'unknown_channel', message: `Unknown channel ${channel}` } };
  }
  const name = channel as Channel;
  const spec = ipcContract[name];
  const input = spec.input.safeParse(raw);
  if (!input.success) {
    log(`ipc ${name}: invalid input: ${z.prettifyError(input.error)}`);
    return {
      ok: false,
      error: { code: 'invalid_input', message: `Invalid request: ${z.prettifyError(input.error)}` },
    };
  }
  try {
    const handler = handlers[name] as (input: unknown) => unknown;
    const value = await handler(input.data);
    const output = spec.output.safeParse(value);
    if (!output.success) {
      // A bug in main, not something the user did: say so plainly and keep the details in the log.
      log(`ipc ${name}: handler returned an invalid result: ${z.prettifyError(output.error)}`);
      return {
        ok: false,
        error: {
          code: 'invalid_output',
          message: 'The app produced an unexpected answer (see the log).',
        },
      };
    }
    return { ok: true, value: output.data };
  } catch (error) {
    const message = describeError(error);
    log(`ipc ${name}: ${message}`);
    return { ok: false, error: { code: errorCode(error), message } };
  }
}

function errorCode(error: unknown): string {
  if (error && typeof error === 'object' && 'kind' in error && typeof error.kind === 'string') {
    return error.kind;
  }
  return 'failed';
}
