import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A closed 1M-row session is ~1 GB of garbage (rows, report, indexes) that V8 keeps until
// allocation pressure forces a full collection: measured, the main process still held 1.2 GB
// 5 s after "Close file", and a second big file was read on top of it (2.4 GB peak). A full
// collection right after the session is dropped gives that memory back at once; its pause is
// proportional to what is still alive (small at that moment), not to the garbage.

let collect: (() => void) | null | undefined;

function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    // Exposes `gc` to contexts created from now on; the main context is left as it was.
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    collect = typeof gc === 'function' ? () => (gc as () => void)() : null;
  } catch {
    collect = null;
  }
  return collect;
}

/** After a big session was dropped: a full collection on the next turn of the event loop. */
export function releaseMemorySoon(): void {
  const gc = collector();
  if (!gc) return;
  setImmediate(gc).unref();
}
