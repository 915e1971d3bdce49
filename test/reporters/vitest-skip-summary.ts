import type { Reporter, TestModule } from 'vitest/node';
import { skipSummary, type SkippedTest } from '../e2e/support/skip-summary-reporter';

// Vitest's summary ends with "N skipped" but not which or why. This reporter adds one line per
// project and reason (the same lines as the Playwright summary): the note of `ctx.skip(note)`
// when there is one, else where the skipped tests are (a skipIf condition carries no reason).

export default class VitestSkipSummary implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const skipped: SkippedTest[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests('skipped')) {
        const result = test.result();
        const note = result.state === 'skipped' ? result.note : undefined;
        const suite = test.parent.type === 'suite' ? ` > ${test.parent.fullName}` : '';
        skipped.push({
          project: test.project.name,
          reason: note ?? `${module.relativeModuleId}${suite} (no reason given)`,
        });
      }
    }
    const lines = skipSummary(skipped);
    if (lines.length > 0) process.stdout.write(`\nSkipped:\n${lines.join('\n')}\n`);
  }
}
