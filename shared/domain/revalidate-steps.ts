import { recheckedErrorsSteps, type RevalidateResult, type RowEdit } from './analyse';
import { keyModeOf } from './natural-keys';
import { PurchaseGrouper } from './group-purchases';
import { ReferenceJudge } from './reference-check';
import { mergeIssues, purchaseStatsSteps } from './reference-check-steps';
import { sortIssues } from './sort-issues';
import { RowStore, type RowChange } from './row-store';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import { summarizeStats } from './summary';
import { PurchaseList } from './purchase-list';
import type { ImportReport, Purchase, RawRow, RowError } from './types';
import { createRowValidator, transactionKey } from './validate-row';

/**
 * Re-validates after edits without re-reading the file, in steps (issue 18: at 1M rows an edit
 * ran 0.3-0.6 s in one go on the app's main process; test/oracles/revalidate-rows.ts keeps that
 * one-go version as the reference this must equal). A reference check stored on the report is
 * re-applied to the re-built purchases; ids it never saw are not known to be bad, so the caller
 * re-checks `affectedTransactions` against the database. Only the edited rows and every row of the
 * transactions they belonged to or now belong to are validated again; the passes over the whole
 * file that remain (finding those rows, keeping the other purchases, merging the issues, the
 * summary) yield every STEP_SIZE items, and the issues are merged in order instead of sorted.
 */
export function revalidateRows(input: {
  report: ImportReport;
  rawRows: readonly RawRow[];
  edits: readonly RowEdit[];
}): RevalidateResult {
  const result = runSteps(
    revalidateRowsSteps({
      report: { ...input.report, purchases: PurchaseList.fromArray(input.report.purchases) },
      rows: RowStore.fromRows(input.rawRows),
      edits: input.edits,
    }),
  );
  return {
    report: { ...result.report, purchases: result.report.purchases.toArray() },
    rawRows: result.rows.toArray(),
    affectedTransactions: result.affectedTransactions,
  };
}

/** What revalidateRowsSteps gives: the report and the rows after the edits, kept packed. */
export interface RevalidateStoreResult {
  report: ImportReport<PurchaseList>;
  rows: RowStore;
  /** Transactions whose rows were re-checked: re-run the reference check for these. */
  affectedTransactions: string[];
}

/** revalidateRows over the session's packed rows and purchases (row-store.ts, purchase-list.ts). */
export function* revalidateRowsSteps(input: {
  report: ImportReport<PurchaseList>;
  rows: RowStore;
  edits: readonly RowEdit[];
}): Steps<RevalidateStoreResult> {
  const { report, edits } = input;
  const settings = report.settings;
  if (!settings) throw new Error('revalidateRows needs a report made from a file with a header');

  // In steps, as every pass below: a replace-all edits every row of a 1M-row file.
  const byRow = new Map<number, RowEdit>();
  for (let i = 0; i < edits.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const e = edits[i] as RowEdit;
    const earlier = byRow.get(e.row);
    byRow.set(e.row, earlier ? { ...earlier, ...e } : e);
  }
  const affectedTxns = new Set<string>();
  const editedRows = new Set<number>();
  const rows = yield* applyEdits(input.rows, byRow, editedRows, affectedTxns);

  const blocked = report.errors.some((e) => e.row <= 1);
  if (blocked || editedRows.size === 0) {
    const errors = report.errors.filter(
      (e) => !(editedRows.has(e.row) && byRow.get(e.row)?.delete),
    );
    const stats = yield* purchaseStatsSteps(report.purchases);
    return {
      report: {
        ...report,
        errors,
        summary: summarizeStats({ rows: rows.length, stats, errors, warnings: report.warnings }),
      },
      rows,
      affectedTransactions: [],
    };
  }

  // Rows to re-check: the edited ones and all rows of the transactions involved (each distinct
  // transaction number compared in place once, not per row: its trimmed text is one of the keys
  // exactly when its transactionKey is), made in steps and in file order.
  const found = yield* rows.positionsOfTextsSteps('transaction_number', affectedTxns);
  const edited: number[] = [];
  let n = 0;
  for (const row of editedRows) {
    if (++n % STEP_SIZE === 0) yield;
    const position = rows.positionOf(row);
    if (position !== null) edited.push(position);
  }
  const positions = yield* mergeAscending(found, edited);
  const recheck: RawRow[] = [];
  const recheckedRows = new Set<number>();
  for (let i = 0; i < positions.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const raw = rows.at(positions[i] as number);
    recheck.push(raw);
    recheckedRows.add(raw.row);
  }
  // The rows re-checked, and the edited rows (deleted ones among them) whose issues go.
  const recheckRows = {
    has: (row: number): boolean => editedRows.has(row) || recheckedRows.has(row),
  };

  // A row papaparse could not read stays unreadable until the user edits it.
  const unreadable = new Map<number, RowError[]>();
  const keptErrors: RowError[] = [];
  for (let i = 0; i < report.errors.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const e = report.errors[i] as RowError;
    if (!recheckRows.has(e.row)) keptErrors.push(e);
    else if (e.code === 'malformed_csv' && e.column === null && !editedRows.has(e.row)) {
      unreadable.set(e.row, [...(unreadable.get(e.row) ?? []), e]);
    }
  }

  // Natural keys (issue 13): a file naming members by e-mail re-validates in the same key mode.
  const validator = createRowValidator(settings, keyModeOf(report.mapping));
  validator.checkUndecodable = true;
  const grouper = new PurchaseGrouper();
  const newErrors: RowError[] = [];
  for (let i = 0; i < recheck.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const raw = recheck[i] as RawRow;
    const kept = unreadable.get(raw.row);
    const key = transactionKey(raw.cells.transaction_number);
    if (kept) {
      newErrors.push(...kept);
      if (key) grouper.exclude(key);
      continue;
    }
    const valid = validator.validateRow(raw, newErrors);
    if (valid) grouper.add(valid);
    else if (key) grouper.exclude(key);
  }
  const grouped = yield* grouper.finishSteps();

  // The purchases no edit touched stay as they are (packed); the rebuilt ones that pass the
  // stored check (the others already passed it) are merged in by first row.
  // Transaction numbers compared in place (PurchaseList.transactionIn), not read as a fresh
  // substring per purchase (issue 18: 285k of them after every edit of a 1M-row file).
  const all = report.purchases;
  const affected = all.transactionIn(affectedTxns);
  const touched = all.rowIn(editedRows);
  const keep: number[] = [];
  for (let i = 0; i < all.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    if (!affected(i) && !touched(i)) keep.push(i);
  }
  const check = report.referenceCheck;
  const judge = check ? new ReferenceJudge(check, { skipExisting: check.skipExisting }) : null;
  const added: Purchase[] = [];
  const checkErrors: RowError[] = [];
  const checkWarnings: RowError[] = [];
  for (let i = 0; i < grouped.purchases.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const p = grouped.purchases[i] as Purchase;
    if (!judge || judge.judge(p, checkErrors, checkWarnings)) added.push(p);
  }
  const purchases = yield* all.mergeSteps(keep, added);
  const localErrors = yield* mergeIssues(
    keptErrors,
    sortIssues(yield* recheckedErrorsSteps(settings, recheck, [...newErrors, ...grouped.errors])),
  );
  const localWarnings = report.warnings.filter((w) => !recheckRows.has(w.row));
  const errors = yield* mergeIssues(localErrors, sortIssues(checkErrors));
  const warnings = yield* mergeIssues(localWarnings, sortIssues(checkWarnings));
  const stats = yield* purchaseStatsSteps(purchases);
  const next: ImportReport<PurchaseList> = {
    ...report,
    errors,
    warnings,
    purchases,
    summary: summarizeStats({ rows: rows.length, stats, errors, warnings }),
  };
  return { report: next, rows, affectedTransactions: [...affectedTxns] };
}

/**
 * The rows after the edits; notes which rows were edited and which transactions they touch.
 * In steps and without making the rows: a replace-all can edit every row of a 1M-row file.
 */
function* applyEdits(
  before: RowStore,
  byRow: ReadonlyMap<number, RowEdit>,
  editedRows: Set<number>,
  affectedTxns: Set<string>,
): Steps<RowStore> {
  const changes = new Map<number, RowChange>();
  // In file order (rows ascend), as a pass over the rows would meet them.
  const order = Int32Array.from(byRow.keys()).sort();
  for (let i = 0; i < order.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const row = order[i] as number;
    const change = byRow.get(row) as RowEdit;
    const position = before.positionOf(row);
    if (position === null) continue;
    editedRows.add(row);
    const key = transactionKey(before.cell(position, 'transaction_number'));
    if (key) affectedTxns.add(key);
    if (change.delete) {
      changes.set(row, null);
      continue;
    }
    const cells = change.cells ?? {};
    const number = cells.transaction_number;
    const after = number === undefined ? key : transactionKey(number);
    if (after) affectedTxns.add(after);
    changes.set(row, cells);
  }
  return yield* before.withChangesSteps(changes);
}

/** Two ascending lists as one, each value once (edited: ascending unless rows were out of order). */
function* mergeAscending(a: readonly number[], edited: number[]): Steps<number[]> {
  let ascending = true;
  for (let i = 1; i < edited.length && ascending; i++) {
    ascending = (edited[i - 1] as number) <= (edited[i] as number);
  }
  yield;
  const b = ascending ? edited : Int32Array.from(edited).sort();
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if ((i + j) % STEP_SIZE === 0) yield;
    const x = a[i];
    const y = b[j];
    let next: number;
    if (y === undefined || (x !== undefined && x < y)) {
      next = x as number;
      i++;
    } else {
      if (x === y) i++;
      next = y;
      j++;
    }
    if (out.length === 0 || out[out.length - 1] !== next) out.push(next);
  }
  return out;
}
