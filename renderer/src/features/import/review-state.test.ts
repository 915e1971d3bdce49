import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../../../shared/ipc/contract';
import { reviewState, stepStates } from './review-state';

function view(over: Partial<SessionView>): SessionView {
  return {
    sessionId: 's',
    fileName: 'f.csv',
    columns: [],
    mapping: {},
    summary: {
      rows: 15,
      purchases: 3,
      items: 4,
      errorRows: 9,
      errorsByCode: {},
      warningsByCode: {},
      totalAmountCents: 0,
      firstPurchasedAt: null,
      lastPurchasedAt: null,
    } as unknown as SessionView['summary'],
    counts: { all: 15, errors: 9 },
    fileErrors: [],
    warnings: 0,
    canUndo: false,
    canRedo: false,
    undoLabel: null,
    redoLabel: null,
    edits: 0,
    skipExisting: false,
    blockedReason: '9 rows have errors: fix them or delete them before importing.',
    committable: { purchases: 3, items: 4 },
    parseMs: 1,
    committedBatchId: null,
    sent: null,
    foreignIds: null,
    ...over,
  };
}

describe('reviewState', () => {
  it('never says "nothing to fix" while other rows have errors (issue 11, problem 1)', () => {
    const state = reviewState(view({}), 'unknown_sku', 0);
    expect(state.filterEmpty).toBe(true);
    expect(state.ready).toBe(false);
    expect(state.reviewDone).toBe(false);
    expect(state.emptyFilterMessage).toBe(
      'No “Unknown SKU” problems left. 9 rows still have other errors.',
    );
    expect(state.emptyFilterMessage).not.toMatch(/nothing/i);
  });

  it('is ready only when main says the file can be committed', () => {
    const fixed = reviewState(
      view({ counts: { all: 6, errors: 0 }, blockedReason: null }),
      'all',
      6,
    );
    expect(fixed).toMatchObject({ ready: true, reviewDone: true, errorRows: 0, rows: 6 });
    const empty = reviewState(
      view({ counts: { all: 0, errors: 0 }, blockedReason: 'Nothing left to import.' }),
      'errors',
      0,
    );
    expect(empty.ready).toBe(false);
    expect(empty.emptyFilterMessage).toBe('Nothing left to import.');
  });
});

describe('stepStates', () => {
  it('never ticks "Review and fix" while the file is not ready (issue 11, problem 1)', () => {
    // On the import step (3) with errors left: review needs attention, not done.
    expect(stepStates(4, 3, 2, { ready: false, hasFile: true })).toEqual([
      'done',
      'done',
      'attention',
      'current',
    ]);
    expect(stepStates(4, 3, 2, { ready: true, hasFile: true })).toEqual([
      'done',
      'done',
      'done',
      'current',
    ]);
    expect(stepStates(4, 2, 2, { ready: false, hasFile: true })).toEqual([
      'done',
      'done',
      'current',
      'todo',
    ]);
  });
});
