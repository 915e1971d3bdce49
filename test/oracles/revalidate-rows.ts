import { recheckedErrors, type RevalidateResult, type RowEdit } from '../../shared/domain/analyse';
import { PurchaseGrouper } from '../../shared/domain/group-purchases';
import { keyModeOf } from '../../shared/domain/natural-keys';
import { applyReferenceCheck } from '../../shared/domain/reference-check';
import { sortIssues } from '../../shared/domain/sort-issues';
import { summarize } from '../../shared/domain/summary';
import type { ImportReport, Purchase, RawRow, RowError } from '../../shared/domain/types';
import { createRowValidator, transactionKey } from '../../shared/domain/validate-row';

// The one-go re-validation the app shipped before issue 18 made it resumable
// (shared/domain/revalidate-steps.ts): kept as the reference the stepped version must equal,
// including after deleted rows, where a file analysed from scratch numbers rows differently.

/**
 * Re-validates after edits without re-reading the file: only the edited rows and every row of
 * the transactions they belonged to or now belong to are checked again (cell rules, then the
 * cross-row rules on those transactions); everything else in the report is kept. A reference
 * check stored on the report is re-applied to the re-built purchases; ids it never saw are not
 * known to be bad, so the caller re-checks `affectedTransactions` against the database.
 * Cost: one pass over rawRows to find the transactions' rows, plus work for those rows.
 */
export function revalidateRowsOracle(input: {
  report: ImportReport;
  rawRows: readonly RawRow[];
  edits: readonly RowEdit[];
}): RevalidateResult {
  const { report, edits } = input;
  const settings = report.settings;
  if (!settings) throw new Error('revalidateRows needs a report made from a file with a header');

  const byRow = new Map<number, RowEdit>();
  for (const e of edits) byRow.set(e.row, { ...byRow.get(e.row), ...e });
  const affectedTxns = new Set<string>();
  const editedRows = new Set<number>();
  const rawRows: RawRow[] = [];
  for (const raw of input.rawRows) {
    const edit = byRow.get(raw.row);
    if (!edit) {
      rawRows.push(raw);
      continue;
    }
    editedRows.add(raw.row);
    const before = transactionKey(raw.cells.transaction_number);
    if (before) affectedTxns.add(before);
    if (edit.delete) continue;
    const next: RawRow = { row: raw.row, cells: { ...raw.cells, ...edit.cells } };
    const after = transactionKey(next.cells.transaction_number);
    if (after) affectedTxns.add(after);
    rawRows.push(next);
  }

  const blocked = report.errors.some((e) => e.row <= 1);
  if (blocked || editedRows.size === 0) {
    const errors = report.errors.filter(
      (e) => !(editedRows.has(e.row) && byRow.get(e.row)?.delete),
    );
    return {
      report: {
        ...report,
        errors,
        summary: summarize({
          rows: rawRows.length,
          purchases: report.purchases,
          errors,
          warnings: report.warnings,
        }),
      },
      rawRows,
      affectedTransactions: [],
    };
  }

  // Rows to re-check: the edited ones and all rows of the transactions involved.
  const recheck: RawRow[] = [];
  const recheckRows = new Set<number>();
  for (const raw of rawRows) {
    if (editedRows.has(raw.row) || affectedTxns.has(transactionKey(raw.cells.transaction_number))) {
      recheck.push(raw);
      recheckRows.add(raw.row);
    }
  }
  for (const row of editedRows) recheckRows.add(row);

  // A row papaparse could not read stays unreadable until the user edits it.
  const unreadable = new Map<number, RowError[]>();
  for (const e of report.errors) {
    if (e.code === 'malformed_csv' && e.column === null && recheckRows.has(e.row)) {
      if (!editedRows.has(e.row)) unreadable.set(e.row, [...(unreadable.get(e.row) ?? []), e]);
    }
  }

  const validator = createRowValidator(settings, keyModeOf(report.mapping));
  validator.checkUndecodable = true;
  const grouper = new PurchaseGrouper();
  const newErrors: RowError[] = [];
  for (const raw of recheck) {
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

  const keptPurchases = report.purchases.filter(
    (p) => !affectedTxns.has(p.transactionNumber) && !p.rows.some((r) => editedRows.has(r)),
  );
  const purchases = mergeByFirstRow(keptPurchases, grouped.purchases);
  const errors = sortIssues([
    ...report.errors.filter((e) => !recheckRows.has(e.row)),
    ...recheckedErrors(settings, recheck, [...newErrors, ...grouped.errors]),
  ]);
  const warnings = report.warnings.filter((w) => !recheckRows.has(w.row));
  let next: ImportReport = {
    ...report,
    errors,
    warnings,
    purchases,
    summary: summarize({ rows: rawRows.length, purchases, errors, warnings }),
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
    const finalPurchases = purchases.filter((p) => !rebuilt.has(p) || survivors.has(p));
    const finalErrors = sortIssues([...errors, ...checked.errors]);
    const finalWarnings = sortIssues([...warnings, ...checked.warnings]);
    next = {
      ...next,
      errors: finalErrors,
      warnings: finalWarnings,
      purchases: finalPurchases,
      summary: summarize({
        rows: rawRows.length,
        purchases: finalPurchases,
        errors: finalErrors,
        warnings: finalWarnings,
      }),
    };
  }
  return { report: next, rawRows, affectedTransactions: [...affectedTxns] };
}

function mergeByFirstRow(a: readonly Purchase[], b: readonly Purchase[]): Purchase[] {
  const sortedB = [...b].sort((x, y) => (x.rows[0] ?? 0) - (y.rows[0] ?? 0));
  const out: Purchase[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < sortedB.length) {
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
