import { describe, expect, it } from 'vitest';
import { revalidateRowsSteps } from '../../../../shared/domain/revalidate-steps';
import { runSteps } from '../../../../shared/domain/steps';
import { openTestSession } from './session-fixture';
import type { StreamedStaging } from '../../../../shared/db/streamed-staging';
import { ImportSession, mergeReference, type StagedWhileRead } from './import-session';

const U1 = '11111111-1111-4111-8111-111111111111';
const U2 = '22222222-2222-4222-8222-222222222222';
const S1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const S9 = '99999999-9999-4999-8999-999999999999';

const CSV = [
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price',
  `T1,${U1},2026-03-04T10:00:00Z,${S1},1,2.50`,
  `T1,${U1},2026-03-04T10:00:00Z,${S9},2,1.00`,
  `T2,${U2},2026-03-05T10:00:00Z,${S1},x,1.00`,
  `T3,${U2},2026-03-05T11:00:00Z,${S9},1,1.00`,
].join('\n');

function open(): ImportSession {
  return openTestSession(CSV, [S9]);
}

describe('ImportSession', () => {
  it('pages rows per filter and finds errors', () => {
    const s = open();
    expect(s.view().counts).toEqual({ all: 4, errors: 3 });
    expect(s.rows('unknown_sku', 0, 10).rows.map((r) => r.row)).toEqual([3, 5]);
    expect(s.rows('invalid_integer', 0, 10).rows.map((r) => r.row)).toEqual([4]);
    expect(s.findError('all', 1, 'next')).toEqual({ index: 2, row: 4 });
    expect(s.findError('all', 3, 'previous')).toEqual({ index: 2, row: 4 });
    expect(s.findRow('errors', 5)).toBe(2);
    expect(s.view().blockedReason).toMatch(/3 rows have errors/);
  });

  it('lists the rows of a filter by their issues when few rows have any (issue 18), as a pass would', () => {
    const lines = [CSV.split('\n')[0] as string];
    for (let i = 0; i < 400; i++) {
      const quantity = i % 97 === 5 ? 'x' : '1';
      const sku = i % 131 === 7 ? S9 : S1;
      lines.push(`T${i},${U1},2026-03-04T10:00:00Z,${sku},${quantity},1.00`);
    }
    const s = openTestSession(lines.join('\n'), [S9]);
    const all = s.rows('all', 0, 1_000).rows;
    for (const filter of ['errors', 'invalid_integer', 'unknown_sku'] as const) {
      const expected = all
        .filter((r) =>
          r.issues.some((e) =>
            filter === 'errors' ? e.severity !== 'warning' : e.code === filter,
          ),
        )
        .map((r) => r.row);
      expect(expected.length).toBeGreaterThan(0);
      expect(s.rows(filter, 0, 1_000).rows.map((r) => r.row)).toEqual(expected);
      expect(s.count(filter)).toBe(expected.length);
    }
  });

  it('finds text in reading order, ignoring case, per filter, without wrapping', () => {
    const s = open();
    expect(s.findText('all', 't1', -1, -1, 'next')).toEqual({
      index: 0,
      row: 2,
      column: 'transaction_number',
    });
    // Past the starting cell within its own row first ('T10:00' holds 't1'), then the next rows.
    expect(s.findText('all', 't1', 0, 0, 'next')).toMatchObject({
      index: 0,
      column: 'purchased_at',
    });
    expect(s.findText('all', 't1', 0, 2, 'next')).toMatchObject({
      index: 1,
      row: 3,
      column: 'transaction_number',
    });
    expect(s.findText('all', 'AAAAAAAA', -1, -1, 'next')).toMatchObject({
      row: 2,
      column: 'sku_id',
    });
    expect(s.findText('all', '2026-03-05', 2, 2, 'next')).toMatchObject({
      index: 3,
      row: 5,
      column: 'purchased_at',
    });
    expect(s.findText('all', 't1', 3, 0, 'previous')).toMatchObject({
      index: 2,
      row: 4,
      column: 'purchased_at',
    });
    expect(s.findText('unknown_sku', 't3', -1, -1, 'next')).toEqual({
      index: 1,
      row: 5,
      column: 'transaction_number',
    });
    expect(s.findText('all', '1.00', 3, 5, 'next')).toBeNull();
    expect(s.findText('all', 'nowhere', -1, -1, 'previous')).toBeNull();
  });

  it('replaces a value everywhere, and undo/redo swap whole states', () => {
    const s = open();
    const edits = s.planReplaceAll('sku_id', S9.toUpperCase(), S1);
    expect(edits.map((e) => e.row)).toEqual([3, 5]);
    const result = runSteps(
      revalidateRowsSteps({ report: s.state.local, rows: s.state.rows, edits }),
    );
    s.apply('replace', {
      ...s.state,
      rows: result.rows,
      local: result.report,
      reference: mergeReference(
        s.state.reference,
        { userIds: [], skuIds: [S1], transactionNumbers: [] },
        { unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] },
      ),
    });
    expect(s.view().counts.errors).toBe(1);
    expect(s.rows('all', 1, 1).rows[0]?.cells.sku_id).toBe(S1);
    expect(s.view().undoLabel).toBe('replace');
    s.undo();
    expect(s.view().counts.errors).toBe(3);
    s.redo();
    expect(s.view().counts.errors).toBe(1);
  });

  it('hands rows staged while the file was read to an Import of the file as read only', () => {
    const released: string[] = [];
    const staged = (key: string): StagedWhileRead => ({
      key,
      merchantId: 'm1',
      staging: {} as StreamedStaging,
      stream: undefined,
      release: () => {
        released.push(key);
        return Promise.resolve();
      },
    });
    const s = open();
    s.keepStaged(staged('as-read'));
    expect(s.idempotencyKey).toBe('as-read');
    // Another merchant's Import does not take them, and lets them go.
    expect(s.takeStaged('m2')).toBeNull();
    expect(released).toEqual(['as-read']);

    s.keepStaged(staged('kept'));
    expect(s.takeStaged('m1')?.key).toBe('kept');
    expect(s.takeStaged('m1')).toBeNull(); // taken once

    // Any change lets them go at once (the open batch is discarded while the admin goes on).
    s.keepStaged(staged('edited'));
    const edits = s.planEdit(2, 'store_code', 'EDITED');
    const result = runSteps(
      revalidateRowsSteps({ report: s.state.local, rows: s.state.rows, edits }),
    );
    s.apply('edit', { ...s.state, rows: result.rows, local: result.report });
    expect(released).toEqual(['as-read', 'edited']);
    expect(s.takeStaged('m1')).toBeNull();
    s.undo();
    expect(s.takeStaged('m1')).toBeNull();
    expect(s.idempotencyKey).toBeNull();
  });

  it('plans deletion of whole transactions', () => {
    const s = open();
    expect(s.planDelete([2], true).map((e) => e.row)).toEqual([2, 3]);
    expect(s.planDelete([4], false).map((e) => e.row)).toEqual([4]);
  });
});

describe('mergeReference', () => {
  it('forgets what was asked again and keeps the rest', () => {
    const merged = mergeReference(
      {
        unknownUserIds: [U1],
        unknownSkuIds: [S1, S9],
        existingTransactions: [{ transactionNumber: 'T1', batchId: null }],
      },
      { userIds: [], skuIds: [S9], transactionNumbers: ['T1'] },
      { unknownUserIds: [], unknownSkuIds: [], existingTransactions: [] },
    );
    expect(merged).toEqual({ unknownUserIds: [U1], unknownSkuIds: [S1], existingTransactions: [] });
  });
});
