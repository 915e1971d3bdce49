import { formatCount } from '../../lib/format';

/**
 * Rows per second of the final commit (one transaction, set-based insert from staging). Measured
 * on the reference machine (issue 18: 1,000,000 staged rows committed in 28-31 s); a server with
 * more cores is faster, so the figure is shown as "about", and time past it is said plainly.
 */
export const COMMIT_ROWS_PER_SECOND = 35_000;

/** Expected seconds for the commit of `rows` staged rows (at least one). */
export function expectedCommitSeconds(rows: number): number {
  return Math.max(1, Math.round(rows / COMMIT_ROWS_PER_SECOND));
}

/** Why the Cancel button is off during the commit: stated, not left to guess. */
export const NO_CANCEL_REASON =
  'Cancel is no longer possible: the database is writing every purchase in one transaction, ' +
  'which either lands whole or not at all, and stopping it now could leave you unsure which.';

/** The commit phase's status: what it does, time so far against the time expected. */
export function committingText(rows: number, elapsedSeconds: number): string {
  const expected = expectedCommitSeconds(rows);
  const what = `Committing ${formatCount(rows)} rows in one transaction`;
  if (elapsedSeconds <= expected)
    return `${what}: ${elapsedSeconds} s of about ${expected} s expected.`;
  return `${what}: ${elapsedSeconds} s, longer than the ${expected} s expected (the database is still working).`;
}
