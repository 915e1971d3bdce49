import type { Steps } from '../../shared/domain/steps';

// Issue 18: in Electron the main process's event loop serves the window's IPC, so a loop over a
// 1M-row file that runs for half a second is a window whose every answer, Cancel included, waits
// half a second. Long loops are written as steps (shared/domain/steps.ts); this runs them in
// slices of SLICE_MS and lets the event loop run between slices.

/** Work per slice: well under the 100 ms that a user (and issue 18's benchmark) would notice. */
export const SLICE_MS = 12;

export class SliceCancelledError extends Error {
  override readonly name = 'AbortError';
  constructor() {
    super('Cancelled');
  }
}

/** Yields to the event loop once: pending IPC, timers and I/O run first. */
export function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs steps in slices; stops with SliceCancelledError (name AbortError) once `signal` aborts. */
export async function runSliced<T>(
  steps: Steps<T>,
  options: { signal?: AbortSignal; sliceMs?: number } = {},
): Promise<T> {
  const sliceMs = options.sliceMs ?? SLICE_MS;
  let started = performance.now();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    if (performance.now() - started >= sliceMs) {
      await breathe();
      if (options.signal?.aborted) {
        steps.return(undefined as never);
        throw new SliceCancelledError();
      }
      started = performance.now();
    }
  }
}

/**
 * Settles as `work` does, or rejects with an AbortError as soon as `signal` aborts: a Cancel is
 * answered at once even while a database call is still out (its answer is then ignored).
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new SliceCancelledError());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
