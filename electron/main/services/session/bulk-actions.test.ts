import { describe, expect, it } from 'vitest';
import { revalidateRowsSteps } from '../../../../shared/domain/revalidate-steps';
import { runSteps } from '../../../../shared/domain/steps';
import { openTestSession } from './session-fixture';
import { ImportSession } from './import-session';

// Issue 11: bulk fixes in the session (pure parts; the service adds the reference re-check).

const U1 = '11111111-1111-4111-8111-111111111111';
const S1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const S9 = '99999999-9999-4999-8999-999999999999';

const CSV = [
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price',
  `T1,${U1},2026-03-04T10:00:00Z,${S1},1,2.50`,
  `T1,${U1},2026-03-04T10:00:00Z,${S9},2,1.00`,
  `T2,${U1},2026-03-05T10:00:00Z,${S1},x,1.00`,
  `T3,${U1},2026-03-05T11:00:00Z,${S1},1,1.00`,
  `,${U1},2026-03-05T11:00:00Z,${S1},1,1.00`,
].join('\n');

function open(): ImportSession {
  return openTestSession(CSV, [S9]);
}

describe('bulk fixes', () => {
  it('lists the rows of a filter and plans deleting them or their transactions', () => {
    const s = open();
    expect(s.rowNumbers('unknown_sku')).toEqual([3]);
    expect(s.rowNumbers('errors')).toEqual([3, 4, 6]);
    expect(s.planDeleteFilter('unknown_sku', false).map((e) => e.row)).toEqual([3]);
    expect(s.planDeleteFilter('unknown_sku', true).map((e) => e.row)).toEqual([2, 3]);
    expect(s.transactionsOf([2, 3, 4])).toEqual(['T1', 'T2']);
  });

  it('previews and plans leaving out every transaction with an error, naming them', () => {
    const s = open();
    const preview = s.leaveOutPreview();
    expect(preview.transactions).toBe(3);
    expect(preview.rows).toBe(4);
    expect(preview.sample.map((t) => t.transactionNumber)).toEqual(['T1', 'T2', 'row 6']);
    expect(preview.sample[0]?.problems).toEqual(['unknown_sku']);
    expect(preview.remaining).toEqual({ purchases: 1, rows: 1 });
    const plan = s.planLeaveOut();
    expect(plan.edits.map((e) => e.row)).toEqual([2, 3, 4, 6]);
  });

  it('keeps an audit trail in the state: totals from the entries, undone with them', () => {
    const s = open();
    const plan = s.planLeaveOut();
    const result = runSteps(
      revalidateRowsSteps({ report: s.state.local, rows: s.state.rows, edits: plan.edits }),
    );
    s.apply('leave out', {
      ...s.state,
      rows: result.rows,
      local: result.report,
      audit: [
        {
          kind: 'rows-removed',
          reason: 'left-out',
          problem: 'errors',
          rows: plan.edits.map((e) => e.row),
          transactions: plan.transactions,
          at: '2026-11-30T00:00:00Z',
        },
      ],
    });
    const trail = s.auditTrail();
    // Text analysed in memory has no file digest; files opened from disk do.
    expect(trail.file).toEqual({ name: 'f.csv', sha256: null, rows: 5 });
    expect(trail.totals).toMatchObject({ rowsLeftOut: 4, transactionsLeftOut: 3, rowsDeleted: 0 });
    expect(s.view().blockedReason).toBeNull();
    s.undo();
    expect(s.auditTrail().entries).toEqual([]);
    expect(s.auditTrail().file.rows).toBe(5);
  });
});

describe('audit trail of skipped transactions', () => {
  it('names the transactions skipped as already imported', () => {
    const s = open();
    s.replaceState({
      ...s.state,
      reference: {
        ...s.state.reference,
        existingTransactions: [{ transactionNumber: 'T3', batchId: null }],
      },
      skipExisting: true,
    });
    expect(s.auditTrail().skippedAsImported).toEqual(['T3']);
    s.replaceState({ ...s.state, skipExisting: false });
    expect(s.auditTrail().skippedAsImported).toEqual([]);
  });
});
