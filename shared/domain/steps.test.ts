import { describe, expect, it } from 'vitest';
import { concatSteps, runSteps, STEP_SIZE } from './steps';

describe('steps', () => {
  it('joins parts in order, pausing inside long ones', () => {
    const long = Array.from({ length: STEP_SIZE * 20 }, (_, i) => i);
    const steps = concatSteps([[-2, -1], [], long]);
    let pauses = 0;
    let next = steps.next();
    for (; !next.done; next = steps.next()) pauses++;
    expect(next.value).toEqual([-2, -1, ...long]);
    expect(pauses).toBeGreaterThan(2);
    expect(runSteps(concatSteps<number>([]))).toEqual([]);
  });
});
