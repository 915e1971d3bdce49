import { describe, expect, it } from 'vitest';
import { committingText, expectedCommitSeconds, NO_CANCEL_REASON } from './commit-estimate';

describe('commit estimate', () => {
  it('grows with the rows staged and is never zero', () => {
    expect(expectedCommitSeconds(0)).toBe(1);
    expect(expectedCommitSeconds(1_000_000)).toBeGreaterThan(expectedCommitSeconds(100_000));
    expect(expectedCommitSeconds(1_000_000)).toBeGreaterThanOrEqual(20);
  });

  it('says the time so far against the time expected, then that it runs long', () => {
    const expected = expectedCommitSeconds(1_000_000);
    expect(committingText(1_000_000, 3)).toBe(
      `Committing 1,000,000 rows in one transaction: 3 s of about ${expected} s expected.`,
    );
    expect(committingText(1_000_000, expected + 5)).toContain('longer than');
    expect(committingText(1_000_000, expected + 5)).toContain(`${expected + 5} s`);
  });

  it('gives the reason Cancel is off', () => {
    expect(NO_CANCEL_REASON).toMatch(/no longer possible.*one transaction/);
  });
});
