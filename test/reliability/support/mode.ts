// The reliability suites run in two sizes: bounded inside `npm test` (minutes on two cores) and
// long under `npm run test:reliability` (RELIABILITY=long). Each suite picks its run counts here.

export const LONG_RUN = process.env.RELIABILITY === 'long';

/** `bounded` runs inside `npm test`, `long` under `npm run test:reliability`. */
export function runCount(bounded: number, long: number): number {
  return LONG_RUN ? long : bounded;
}

/** Prints a suite's figures as one block at the end of its run, so CI logs carry them. */
export function printFigures(suite: string, figures: Record<string, string | number>): void {
  const width = Math.max(...Object.keys(figures).map((key) => key.length));
  const lines = Object.entries(figures).map(
    ([key, value]) => `  ${key.padEnd(width)}  ${String(value)}`,
  );
  console.log(`[figures] ${suite} (${LONG_RUN ? 'long' : 'bounded'} run)\n${lines.join('\n')}`);
}
