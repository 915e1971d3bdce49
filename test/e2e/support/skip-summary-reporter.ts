import type { Reporter, TestCase, TestResult } from '@playwright/test/reporter';

// The list reporter ends with "N skipped" but not why. Tests skipped at run time say why in
// their `skip` annotation (the `electron` project: no Electron binary on this machine); this
// reporter adds one line per project and reason under the summary.

export interface SkippedTest {
  project: string;
  reason: string | undefined;
}

/** "  9 skipped in electron: <reason>" lines, one per project and reason, in first-seen order. */
export function skipSummary(skipped: SkippedTest[]): string[] {
  const counts = new Map<string, { project: string; reason: string; count: number }>();
  for (const { project, reason } of skipped) {
    const text = reason?.trim() || 'no reason given';
    const key = `${project}\u0000${text}`;
    const entry = counts.get(key) ?? { project, reason: text, count: 0 };
    entry.count += 1;
    counts.set(key, entry);
  }
  return [...counts.values()].map(
    ({ project, reason, count }) =>
      `  ${count} skipped in ${project || 'the default project'}: ${reason}`,
  );
}

export default class SkipSummaryReporter implements Reporter {
  private readonly skipped: SkippedTest[] = [];

  onTestEnd(test: TestCase, result: TestResult): void {
    if (result.status !== 'skipped') return;
    const skip = [...result.annotations, ...test.annotations].find(
      (annotation) => annotation.type === 'skip' && annotation.description,
    );
    this.skipped.push({ project: test.parent.project()?.name ?? '', reason: skip?.description });
  }

  onEnd(): void {
    const lines = skipSummary(this.skipped);
    if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
  }

  printsToStdio(): boolean {
    // The list reporter stays the one that owns the terminal.
    return false;
  }
}
