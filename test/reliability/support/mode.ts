// The reliability suites run in two sizes: bounded inside `npm test` (minutes on two cores) and
// long under `npm run test:reliability` (RELIABILITY=long). Each suite picks its run counts here.

export const LONG_RUN = process.env.RELIABILITY === 'long';

/** `bounded` runs inside `npm test`, `long` under `npm run test:reliability`. */
export function runCount(bounded: number, long: number): number {
  return LONG_RUN ? long : bounded;
}

/**
 * The seed a suite draws its cases from: the environment variable `name` when set (to replay a
 * run), a fixed one in CI's bounded run (main must not turn red on a case no change caused; new
 * cases are explored by every local run and by the long form), a random one otherwise. Below
 * 2^31, so fast-check and the suites' own generators both take it.
 */
export function seedFromEnv(name: string): number {
  const given = process.env[name];
  if (given !== undefined && given !== '') {
    const seed = Number.parseInt(given, 10);
    if (!Number.isInteger(seed)) throw new Error(`${name} must be an integer (got ${given})`);
    return seed & 0x7fffffff;
  }
  if (process.env.CI && !LONG_RUN) return 20_261_129;
  return Math.floor(Math.random() * 2 ** 31);
}

/** Prints a suite's figures as one block at the end of its run, so CI logs carry them. */
export function printFigures(suite: string, figures: Record<string, string | number>): void {
  const width = Math.max(...Object.keys(figures).map((key) => key.length));
  const lines = Object.entries(figures).map(
    ([key, value]) => `  ${key.padEnd(width)}  ${String(value)}`,
  );
  console.log(`[figures] ${suite} (${LONG_RUN ? 'long' : 'bounded'} run)\n${lines.join('\n')}`);
}
