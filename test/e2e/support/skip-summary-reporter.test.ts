import type { TestCase, TestResult } from '@playwright/test/reporter';
import { afterEach, describe, expect, it, vi } from 'vitest';
import SkipSummaryReporter, { skipSummary } from './skip-summary-reporter';

// Why the `electron` project was skipped must reach the run's summary, not only the annotation.

function testCase(project: string, annotations: TestCase['annotations'] = []): TestCase {
  const parent = { project: () => ({ name: project }) };
  return { parent, annotations } as unknown as TestCase;
}

function result(
  status: TestResult['status'],
  annotations: TestResult['annotations'] = [],
): TestResult {
  return { status, annotations } as unknown as TestResult;
}

describe('skip summary', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('counts skipped tests per project and reason', () => {
    expect(
      skipSummary([
        { project: 'electron', reason: 'no binary' },
        { project: 'electron', reason: 'no binary' },
        { project: 'chromium', reason: undefined },
      ]),
    ).toEqual(['  2 skipped in electron: no binary', '  1 skipped in chromium: no reason given']);
  });

  it('prints the run-time skip reason under the summary, and nothing when nothing was skipped', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const reporter = new SkipSummaryReporter();
    const reason = 'the Electron binary is not installed here';
    reporter.onTestEnd(
      testCase('electron'),
      result('skipped', [{ type: 'skip', description: reason }]),
    );
    reporter.onTestEnd(
      testCase('electron'),
      result('skipped', [{ type: 'skip', description: reason }]),
    );
    reporter.onTestEnd(testCase('chromium'), result('passed'));
    reporter.onEnd();
    expect(write).toHaveBeenCalledWith(`  2 skipped in electron: ${reason}\n`);

    write.mockClear();
    const quiet = new SkipSummaryReporter();
    quiet.onTestEnd(testCase('chromium'), result('passed'));
    quiet.onEnd();
    expect(write).not.toHaveBeenCalled();
  });
});
