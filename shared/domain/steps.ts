/**
 * Loops over a big file's rows or purchases, written as generators that yield every STEP_SIZE
 * iterations. The app's main process runs them in slices of a few milliseconds and serves its
 * event loop (the window's IPC, Cancel among it) in between (issue 18); everywhere else
 * (the command line, tests) they run straight through with runSteps.
 */
export type Steps<T> = Generator<void, T, undefined>;

/** Iterations between two yields: small enough for ~1-5 ms of work, large enough to be free. */
export const STEP_SIZE = 2048;

/** Runs steps to the end without pausing. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Arrays joined into one, in steps (1M strings from 20 parts: `flat()` ran ~0.1-0.4 s at once). */
export function* concatSteps<T>(parts: readonly (readonly T[])[]): Steps<T[]> {
  let size = 0;
  for (const part of parts) size += part.length;
  // Sized up front: grown by push, each bigger copy was new memory for main's young generation
  // to copy again (bench:ui's late turns while joining ~600k strings, issue 18).
  const out = new Array<T>(size);
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) {
      if (i % (STEP_SIZE * 8) === STEP_SIZE * 8 - 1) yield;
      out[at++] = part[i] as T;
    }
    yield;
  }
  return out;
}
