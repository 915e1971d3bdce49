import { recheckedErrors, type RevalidateResult, type RowEdit } from './analyse';
import { keyModeOf } from './natural-keys';
import { PurchaseGrouper } from './group-purchases';
import { applyReferenceCheck } from './reference-check';
import { mergeIssues, purchaseStatsSteps } from './reference-check-steps';
import { sortIssues } from './sort-issues';
import { runSteps, STEP_SIZE, type Steps } from './steps';
import { summarizeStats } from './summary';
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
  return runSteps(revalidateRowsSteps(input));
}

export function* revalidateRowsSteps(input: {
  report: ImportReport;
  rawRows: readonly RawRow[];
  edits: readonly RowEdit[];
}): Steps<RevalidateResult> {
  const { report, edits } = input;
  const settings = report.settings;
  if (!settings) throw new Error('revalidateRows needs a report made from a file with a header');

  const byRow = new Map<number, RowEdit>();
  for (const e of edits) byRow.set(e.row, { ...byRow.get(e.row), ...e });
  const affectedTxns = new Set<string>();
  const editedRows = new Set<number>();
  const rawRows = yield* applyEdits(input.rawRows, byRow, editedRows, affectedTxns);

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
        summary: summarizeStats({ rows: rawRows.length, stats, errors, warnings: report.warnings }),
      },
      rawRows,
      affectedTransactions: [],
    };
  }

  // Rows to re-check: the edited ones and all rows of the transactions involved.
  const recheck: RawRow[] = [];
  const recheckRows = new Set<number>();
  for (let i = 0; i < rawRows.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const raw = rawRows[i] as RawRow;
    if (editedRows.has(raw.row) || affectedTxns.has(transactionKey(raw.cells.transaction_number))) {
      recheck.push(raw);
      recheckRows.add(raw.row);
    }
  }
  for (const row of editedRows) recheckRows.add(row);

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
  const grouped = grouper.finish();

  const keptPurchases: Purchase[] = [];
  for (let i = 0; i < report.purchases.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const p = report.purchases[i] as Purchase;
    if (!affectedTxns.has(p.transactionNumber) && !p.rows.some((r) => editedRows.has(r))) {
      keptPurchases.push(p);
    }
  }
  const purchases = yield* mergeByFirstRow(keptPurchases, grouped.purchases);
  const errors = yield* mergeIssues(
    keptErrors,
    sortIssues(recheckedErrors(settings, recheck, [...newErrors, ...grouped.errors])),
  );
  const warnings = report.warnings.filter((w) => !recheckRows.has(w.row));
  const stats = yield* purchaseStatsSteps(purchases);
  let next: ImportReport = {
    ...report,
    errors,
    warnings,
    purchases,
    summary: summarizeStats({ rows: rawRows.length, stats, errors, warnings }),
  };
  const check = report.referenceCheck;
  if (check) {
    // Only the rebuilt purchases need the stored check: the others already passed it.
    const rebuilt = new Set(grouped.purchases);
    const checked = applyReferenceCheck(
      { ...next, purchases: grouped.purchases, errors: [], warnings: [] },
      check,
      { skipExisting: check.skipExisting },
    );
    const survivors = new Set(checked.purchases);
    const finalPurchases: Purchase[] = [];
    for (let i = 0; i < purchases.length; i++) {
      if (i % STEP_SIZE === STEP_SIZE - 1) yield;
      const p = purchases[i] as Purchase;
      if (!rebuilt.has(p) || survivors.has(p)) finalPurchases.push(p);
    }
    const finalErrors = yield* mergeIssues(errors, checked.errors);
    const finalWarnings = yield* mergeIssues(warnings, checked.warnings);
    const finalStats = yield* purchaseStatsSteps(finalPurchases);
    next = {
      ...next,
      errors: finalErrors,
      warnings: finalWarnings,
      purchases: finalPurchases,
      summary: summarizeStats({
        rows: rawRows.length,
        stats: finalStats,
        errors: finalErrors,
        warnings: finalWarnings,
      }),
    };
  }
  return { report: next, rawRows, affectedTransactions: [...affectedTxns] };
}

/** The rows after the edits; notes which rows were edited and which transactions they touch. */
function* applyEdits(
  before: readonly RawRow[],
  byRow: ReadonlyMap<number, RowEdit>,
  editedRows: Set<number>,
  affectedTxns: Set<string>,
): Steps<RawRow[]> {
  const edit = (raw: RawRow, change: RowEdit): RawRow | null => {
    editedRows.add(raw.row);
    const key = transactionKey(raw.cells.transaction_number);
    if (key) affectedTxns.add(key);
    if (change.delete) return null;
    const next: RawRow = { row: raw.row, cells: { ...raw.cells, ...change.cells } };
    const after = transactionKey(next.cells.transaction_number);
    if (after) affectedTxns.add(after);
    return next;
  };
  const deletes = [...byRow.values()].some((e) => e.delete);
  if (!deletes) {
    // Rows are in ascending row order: a copy (one memcpy) patched where the edits are.
    const rawRows = before.slice();
    for (const [row, change] of [...byRow].sort((a, b) => a[0] - b[0])) {
      const at = positionOf(rawRows, row);
      if (at >= 0) rawRows[at] = edit(rawRows[at] as RawRow, change) as RawRow;
    }
    return rawRows;
  }
  const rawRows: RawRow[] = [];
  for (let i = 0; i < before.length; i++) {
    if (i % STEP_SIZE === STEP_SIZE - 1) yield;
    const raw = before[i] as RawRow;
    const change = byRow.get(raw.row);
    if (!change) {
      rawRows.push(raw);
      continue;
    }
    const next = edit(raw, change);
    if (next) rawRows.push(next);
  }
  return rawRows;
}

/** Position of a row number in rows sorted by row number, or -1. */
function positionOf(rows: readonly RawRow[], row: number): number {
  let lo = 0;
  let hi = rows.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const value = (rows[mid] as RawRow).row;
    if (value === row) return mid;
    if (value < row) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

function* mergeByFirstRow(a: readonly Purchase[], b: readonly Purchase[]): Steps<Purchase[]> {
  const sortedB = [...b].sort((x, y) => (x.rows[0] ?? 0) - (y.rows[0] ?? 0));
  const out: Purchase[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < sortedB.length) {
    if (out.length % STEP_SIZE === STEP_SIZE - 1) yield;
    const pa = a[i];
    const pb = sortedB[j];
    if (pb === undefined || (pa !== undefined && (pa.rows[0] ?? 0) <= (pb.rows[0] ?? 0))) {
      if (pa) out.push(pa);
      i++;
    } else {
      out.push(pb);
      j++;
    }
  }
  return out;
}
