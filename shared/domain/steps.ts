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
