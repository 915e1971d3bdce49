import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packRawRows, unpackRawRows } from './packed-report';
import { isTrimmed, RowStore, type RowChange } from './row-store';
import { runSteps } from './steps';
import { CANONICAL_COLUMNS, type CanonicalColumn, type RawRow } from './types';

// Issue 18: the session keeps its rows packed. The store must answer exactly what the array of
// RawRow objects it replaces answered, through edits, deletions, folds and undo.

function rowOf(row: number, cells: Partial<Record<CanonicalColumn, string>>): RawRow {
  const all = {} as Record<CanonicalColumn, string>;
  for (const c of CANONICAL_COLUMNS) all[c] = cells[c] ?? '';
  return { row, cells: all };
}

const texts = ['T1', 'T2', ' T2 ', '', 'x', '10.00', '\u00a0T9\t', '\u3000', 'T2\u200b'];
const rawRow = (row: number) =>
  fc
    .record({
      transaction_number: fc.constantFrom(...texts),
      quantity: fc.constantFrom(...texts),
      notes: fc.constantFrom(...texts),
    })
    .map((cells) => rowOf(row, cells));
/** Rows with ascending, not always consecutive row numbers (blank lines are skipped). */
const file = fc
  .array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 30 })
  .chain((gaps) => {
    let row = 1;
    return fc.tuple(...gaps.map((gap) => rawRow((row += gap))));
  });

type Op =
  | { kind: 'edit'; pick: number; column: CanonicalColumn; value: string }
  | { kind: 'delete'; pick: number }
  | { kind: 'undo' };
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('edit' as const),
      pick: fc.nat(),
      column: fc.constantFrom<CanonicalColumn>('transaction_number', 'quantity', 'notes'),
      value: fc.constantFrom(...texts, 'new', 'T9'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('undo' as const) }) },
);

// Texts looked for in place (a few) and by lookup (more than TEXT_COMPARE_MAX).
const FEW: ReadonlySet<string> = new Set(['T2', 'T9', 'new']);
const MANY: ReadonlySet<string> = new Set([
  'T2',
  'T9',
  ...Array.from({ length: 70 }, (_, i) => `F${i}`),
]);

/** Everything a store answers, read the way the session reads it. */
function answers(store: RowStore, probe: readonly number[]) {
  const positions = Array.from({ length: store.length }, (_, i) => i);
  return {
    length: store.length,
    rows: store.toArray(),
    at: positions.map((p) => store.at(p)),
    rowNumbers: store.rowNumbers(),
    rowNumberAt: positions.map((p) => store.rowNumber(p)),
    cells: positions.map((p) => store.cell(p, 'quantity')),
    get: probe.map((row) => store.get(row)),
    positionOf: probe.map((row) => store.positionOf(row)),
    whereT2: store.positionsWhere('transaction_number', (v) => v.trim() === 'T2'),
    ofFew: runSteps(store.positionsOfTextsSteps('transaction_number', FEW)),
    ofMany: runSteps(store.positionsOfTextsSteps('transaction_number', MANY)),
    isX: positions.map(store.cellTest('quantity', (v) => v === 'x')),
  };
}

function expected(rows: readonly RawRow[], probe: readonly number[]) {
  return {
    length: rows.length,
    rows,
    at: rows,
    rowNumbers: rows.map((r) => r.row),
    rowNumberAt: rows.map((r) => r.row),
    cells: rows.map((r) => r.cells.quantity),
    get: probe.map((row) => rows.find((r) => r.row === row) ?? null),
    positionOf: probe.map((row) => {
      const at = rows.findIndex((r) => r.row === row);
      return at < 0 ? null : at;
    }),
    whereT2: rows.flatMap((r, i) => (r.cells.transaction_number.trim() === 'T2' ? [i] : [])),
    ofFew: rows.flatMap((r, i) => (FEW.has(r.cells.transaction_number.trim()) ? [i] : [])),
    ofMany: rows.flatMap((r, i) => (MANY.has(r.cells.transaction_number.trim()) ? [i] : [])),
    isX: rows.map((r) => r.cells.quantity === 'x'),
  };
}

describe('RowStore', () => {
  it('answers as the rows unpacked from the same parts do, across parts with their own dictionaries', () => {
    fc.assert(
      fc.property(file, fc.integer({ min: 1, max: 7 }), (rows, partSize) => {
        const parts = [];
        for (let from = 0; from < rows.length; from += partSize) {
          parts.push(packRawRows(rows.slice(from, from + partSize)));
        }
        const store = RowStore.fromPacked(parts);
        const unpacked = parts.flatMap((p) => unpackRawRows(p));
        expect(unpacked).toEqual(rows);
        const probe = [0, 1, ...rows.map((r) => r.row), 1_000];
        expect(answers(store, probe)).toEqual(expected(unpacked, probe));
      }),
      { numRuns: 200 },
    );
  });

  it('joins parts longer than one step of shifting (codes and texts past 16,384 per part)', () => {
    // Parts of 40,000 rows with ~20,000 distinct texts each: the codes and the ends of every
    // part after the first are shifted in several pieces (issue 18's sliced join).
    const rows: RawRow[] = [];
    for (let i = 0; i < 100_000; i++) {
      rows.push(
        rowOf(i + 2, { transaction_number: `T${i >> 1}`, quantity: String(i % 7), notes: '' }),
      );
    }
    const parts = [0, 40_000, 80_000].map((from) => packRawRows(rows.slice(from, from + 40_000)));
    const store = RowStore.fromPacked(parts);
    expect(store.length).toBe(rows.length);
    for (const i of [0, 16_383, 16_384, 39_999, 40_000, 56_385, 79_999, 80_000, 99_999]) {
      expect(store.at(i)).toEqual(rows[i]);
    }
    const found = store.positionsWhere('transaction_number', (t) => t === 'T28192');
    expect(found).toEqual([56_384, 56_385]);
  });

  it('edits and deletes as an array would, keeps every earlier state as it was, folded or not', () => {
    fc.assert(
      fc.property(
        file,
        fc.array(op, { maxLength: 25 }),
        fc.constantFrom(0, 1, 3, 4096),
        (rows, ops, foldAt) => {
          // History of (store, the array it must equal); undo goes back one.
          const history: { store: RowStore; model: RawRow[] }[] = [
            { store: RowStore.fromRows(rows, { foldAt }), model: rows.map((r) => ({ ...r })) },
          ];
          for (const o of ops) {
            const { store, model } = history.at(-1) as { store: RowStore; model: RawRow[] };
            if (o.kind === 'undo') {
              if (history.length > 1) history.pop();
              continue;
            }
            if (model.length === 0) continue;
            const target = model[o.pick % model.length] as RawRow;
            let change: RowChange = null;
            let next: RawRow[];
            if (o.kind === 'edit') {
              const cells = { ...target.cells, [o.column]: o.value };
              change = cells;
              next = model.map((r) => (r === target ? { row: r.row, cells } : r));
            } else {
              next = model.filter((r) => r !== target);
            }
            history.push({
              store: store.withChanges(new Map([[target.row, change]])),
              model: next,
            });
          }
          const probe = [0, ...rows.map((r) => r.row)];
          // Every state still answers as its own array: later edits and folds changed no other.
          for (const { store, model } of history) {
            expect(answers(store, probe)).toEqual(expected(model, probe));
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('ignores changes to rows it does not hold and shares itself when nothing changes', () => {
    const store = RowStore.fromRows([rowOf(2, { notes: 'a' }), rowOf(4, { notes: 'b' })]);
    expect(store.withChanges(new Map([[3, null]]))).toBe(store);
    const gone = store.withChanges(new Map([[2, null]]));
    expect(gone.withChanges(new Map([[2, rowOf(2, {}).cells]]))).toBe(gone);
    expect(gone.toArray()).toEqual([rowOf(4, { notes: 'b' })]);
    // An edited row deleted later leaves the overlay: undo states hold no dead rows.
    const overlay = (s: RowStore) => (s as unknown as { edited: Map<number, RawRow> }).edited;
    const edited = store.withChanges(new Map([[4, { notes: 'c' }]]));
    expect(overlay(edited).size).toBe(1);
    expect(overlay(edited.withChanges(new Map([[4, null]]))).size).toBe(0);
    expect(edited.get(4)?.cells).toEqual(rowOf(4, { notes: 'c' }).cells);
  });

  it('trims in place exactly as String.prototype.trim does, for every UTF-16 code unit', () => {
    const differ: number[] = [];
    for (let unit = 0; unit <= 0xffff; unit++) {
      if (isTrimmed(unit) !== (String.fromCharCode(unit).trim() === '')) differ.push(unit);
    }
    expect(differ).toEqual([]);
  });

  it('tests each distinct text once in a pass, not each row', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) =>
      rowOf(i + 2, { transaction_number: `T${i % 3}` }),
    );
    let calls = 0;
    const store = RowStore.fromRows(rows);
    const found = runSteps(
      store.positionsWhereSteps('transaction_number', (v) => {
        calls++;
        return v === 'T1';
      }),
    );
    expect(found.length).toBe(3_333);
    expect(calls).toBe(3);
  });

  it('copies no column for a single edit below the fold size, and only the changed one above it', () => {
    const rows = Array.from({ length: 100 }, (_, i) => rowOf(i + 2, { notes: 'n', quantity: '1' }));
    const store = RowStore.fromRows(rows, { foldAt: 2 });
    const columns = (s: RowStore) => (s as unknown as { base: { codes: Int32Array[] } }).base.codes;
    const one = store.withChanges(new Map([[2, { ...rows[0]!.cells, quantity: '5' }]]));
    expect(columns(one)).toBe(columns(store));
    const three = one.withChanges(
      new Map([
        [3, { ...rows[1]!.cells, quantity: '6' }],
        [4, { ...rows[2]!.cells, quantity: '7' }],
      ]),
    );
    const quantity = CANONICAL_COLUMNS.indexOf('quantity');
    const notes = CANONICAL_COLUMNS.indexOf('notes');
    expect(columns(three)[quantity]).not.toBe(columns(store)[quantity]);
    expect(columns(three)[notes]).toBe(columns(store)[notes]);
    expect([2, 3, 4, 5].map((row) => three.get(row)?.cells.quantity)).toEqual(['5', '6', '7', '1']);
    expect(store.get(2)?.cells.quantity).toBe('1');
  });
});
