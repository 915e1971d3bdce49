/**
 * Times two calls against each other: each warmed once, then run in turns so drifting load on a
 * shared machine falls on both sides alike. Returns the median of each, in milliseconds.
 */
export async function alternateMedians(
  first: () => Promise<unknown>,
  second: () => Promise<unknown>,
  repeats: number,
): Promise<{ firstMs: number; secondMs: number }> {
  await first();
  await second();
  const firstTimes: number[] = [];
  const secondTimes: number[] = [];
  for (let i = 0; i < repeats; i++) {
    let started = performance.now();
    await first();
    firstTimes.push(performance.now() - started);
    started = performance.now();
    await second();
    secondTimes.push(performance.now() - started);
  }
  return { firstMs: median(firstTimes), secondMs: median(secondTimes) };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
