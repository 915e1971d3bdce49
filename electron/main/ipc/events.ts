import type { WebContents } from 'electron';
import { ipcEvents, type EventName, type EventPayload } from '../../../shared/ipc/contract';

/** Pushes an event to the renderer; payloads are checked against the contract like results. */
export function createEmitter(target: () => WebContents | null, log: (line: string) => void) {
  return <E extends EventName>(event: E, payload: EventPayload<E>): void => {
    const contents = target();
    if (!contents || contents.isDestroyed()) return;
    const parsed = ipcEvents[event].safeParse(payload);
    if (!parsed.success) {
      log(`event ${event}: invalid payload not sent`);
      return;
    }
    contents.send(event, parsed.data);
  };
}
