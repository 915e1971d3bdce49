import { ipcMain } from 'electron';
import { channels, type Channel } from '../../../shared/ipc/contract';
import type { IpcResult } from '../../../shared/ipc/api';
import { isTrustedFrame, type RendererLocation } from '../security';
import { dispatch } from './dispatch';
import type { Handlers } from './handlers';

// The only place that touches ipcMain.handle: every channel goes through handle(), which refuses
// senders other than the app's own page and validates input and output against the contract.

export function handle<C extends Channel>(
  channel: C,
  handlers: Handlers,
  location: RendererLocation,
  log: (line: string) => void,
): void {
  ipcMain.handle(channel, async (event, raw: unknown): Promise<IpcResult<unknown>> => {
    if (!isTrustedFrame(event.senderFrame, location)) {
      log(`ipc ${channel}: refused a call from ${event.senderFrame?.url ?? 'an unknown frame'}`);
      return { ok: false, error: { code: 'forbidden', message: 'Refused: unknown sender.' } };
    }
    return dispatch(handlers, channel, raw, log);
  });
}

export function registerHandlers(
  handlers: Handlers,
  location: RendererLocation,
  log: (line: string) => void,
): void {
  for (const channel of channels) handle(channel, handlers, location, log);
}
