import { describe, expect, it } from 'vitest';
import type { Steps } from '../../shared/domain/steps';
import { runSliced, untilAborted } from './run-sliced';

/** Steps that each keep the thread busy for about `ms`, counting how many ran. */
function* busy(count: number, ms: number, done: { steps: number }): Steps<string> {
  for (let i = 0; i < count; i++) {
    const until = performance.now() + ms;
    while (performance.now() < until) {
      // spin: the work of one step
    }
    done.steps++;
    yield;
  }
  return 'finished';
}

describe('runSliced', () => {
  it('lets the event loop run between slices, and finishes with the steps’ value', async () => {
    const done = { steps: 0 };
    let stepsWhenTimerRan = -1;
    setImmediate(() => {
      stepsWhenTimerRan = done.steps;
    });
    await expect(runSliced(busy(40, 2, done), { sliceMs: 5 })).resolves.toBe('finished');
    // The timer ran while steps were still left (in one go it would have run after all 40).
    expect(stepsWhenTimerRan).toBeGreaterThan(0);
    expect(stepsWhenTimerRan).toBeLessThan(40);
  });

  it('stops at the next pause once its signal aborts', async () => {
    const done = { steps: 0 };
    const controller = new AbortController();
    setImmediate(() => controller.abort());
    await expect(
      runSliced(busy(1_000, 2, done), { sliceMs: 5, signal: controller.signal }),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(done.steps).toBeLessThan(1_000);
  });
});

describe('untilAborted', () => {
  it('answers a Cancel at once while the work is still out, and passes results through', async () => {
    const controller = new AbortController();
    const never = new Promise<number>(() => undefined);
    const waiting = untilAborted(never, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(
      untilAborted(Promise.reject(new Error('db down')), new AbortController().signal),
    ).rejects.toThrow('db down');
  });
});
