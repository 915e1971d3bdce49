import { describe, expect, it } from 'vitest';
import { releaseMemorySoon } from './release-memory';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('releaseMemorySoon', () => {
  it('collects a dropped session on the next turns, without waiting for memory pressure', async () => {
    let rows: string[][] | null = Array.from({ length: 200_000 }, (_, i) => [`row ${i}`, 'x']);
    const ref = new WeakRef(rows);
    expect(rows.length).toBe(200_000);
    rows = null;
    await turn();
    releaseMemorySoon();
    await turn();
    await turn();
    expect(ref.deref()).toBeUndefined();
  });
});
