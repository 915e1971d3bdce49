import type { RowEdit } from '../../../../shared/domain/analyse';
import {
  collectReferenceIdsSteps,
  type ReferenceIds,
} from '../../../../shared/domain/reference-check';
import { mergeKeyResolutions } from '../../../../shared/domain/natural-keys';
import { applyReferenceCheckSteps } from '../../../../shared/domain/reference-check-steps';
import type { PurchaseList } from '../../../../shared/domain/purchase-list';
import { lowerBound, type RowStore } from '../../../../shared/domain/row-store';
import { runSteps, STEP_SIZE, type Steps } from '../../../../shared/domain/steps';
import { wrongMerchantSignal, type ForeignIds } from '../../../../shared/domain/wrong-merchant';
import { CANONICAL_COLUMNS } from '../../../../shared/domain/types';
import type {
  CanonicalColumn,
  ImportReport,
  RawRow,
  ReferenceCheck,
  RowError,
} from '../../../../shared/domain/types';
import { transactionKey } from '../../../../shared/domain/validate-row';
import type {
  AuditEntry,
  AuditTrail,
  GridRow,
  LeaveOutPreview,
  RowFilter,
  RowPage,
  SessionView,
} from '../../../../shared/ipc/contract';
import type { StreamedStaging } from '../../../../shared/db/streamed-staging';
import type { StreamEnd } from '../../../core/parse/parse-file';
import { runSliced } from '../../../core/run-sliced';

// One opened file, kept in the main process: its rows (100k+ never cross to the renderer), the
// report of the local rules, the database's verdict on ids, and the undo/redo history. Every
// state is immutable, so undo is a pointer swap rather than a replay.

export interface SessionState {
  /**
   * Rows in file order (ascending row numbers); deleted rows are gone. Kept packed (issue 18:
   * 1M RawRow objects were ~230 MB of main's heap); a RawRow is made when one is asked for.
   */
  rows: RowStore;
  /**
   * The local rules' report: never carries a reference check (it is applied on top). Its
   * purchases stay packed (issue 18: 285k Purchase objects were ~170 MB of main's heap).
   */
  local: ImportReport<PurchaseList>;
  /** Everything the database said so far about this file's ids and transaction numbers. */
  reference: ReferenceCheck;
  skipExisting: boolean;
  /** What the admin changed so far (issue 11): part of the state, so undo takes it back too. */
  audit?: readonly AuditEntry[];
}

/**
 * The file as read, staged into an open batch while it was read (issue 14): Import then only
 * seals and commits it (commitStreamed), as long as the state is still the one read.
 */
export interface StagedWhileRead {
  key: string;
  merchantId: string;
  staging: StreamedStaging;
  stream: StreamEnd | undefined;
  /** Discards the open batch (a change made it stale, or the file closed); never throws. */
  release(): Promise<void>;
}

/** A state and what was derived from it: undo and redo swap both, without deriving again. */
interface HistoryEntry {
  label: string;
  state: SessionState;
  derived: Derived;
}

/** What the view, the grid and the commit read: derived from a state in steps (issue 18). */
export interface Derived {
  report: ImportReport<PurchaseList>;
  issuesByRow: Map<number, RowError[]>;
  fileErrors: RowError[];
  filters: Map<RowFilter, number[]>;
  errorRowCount: number;
  foreignIds: ForeignIds | null;
}

/** Enough to undo a morning's fixes; each entry shares all unchanged rows with its neighbours. */
const MAX_UNDO = 100;

// Compared without case by replace-all: ids, and e-mails (the database compares them so too).
const UUID_COLUMNS: ReadonlySet<CanonicalColumn> = new Set(['user_id', 'sku_id', 'user_email']);

export class ImportSession {
  private current: SessionState;
  private readonly undoStack: HistoryEntry[] = [];
  private readonly redoStack: HistoryEntry[] = [];
  private derived: Derived;
  private editCount = 0;
  committedBatchId: string | null = null;
  /** One key per committable state: a resent commit of the same state finds its batch. */
  idempotencyKey: string | null = null;
  private staged: StagedWhileRead | null = null;

  /** `derived`: from deriveSteps(state), run in slices by the caller; else derived here. */
  constructor(
    readonly id: string,
    readonly path: string,
    readonly fileName: string,
    readonly parseMs: number,
    state: SessionState,
    derived?: Derived,
  ) {
    this.current = state;
    this.derived = derived ?? runSteps(deriveSteps(state));
  }

  /** A session whose derived state is computed in slices, main's event loop served between. */
  static async create(
    id: string,
    path: string,
    fileName: string,
    parseMs: number,
    state: SessionState,
    signal?: AbortSignal,
  ): Promise<ImportSession> {
    const derived = await runSliced(deriveSteps(state), signal ? { signal } : {});
    return new ImportSession(id, path, fileName, parseMs, state, derived);
  }

  get state(): SessionState {
    return this.current;
  }

  get report(): ImportReport<PurchaseList> {
    return this.derived.report;
  }

  get columns(): CanonicalColumn[] {
    const mapped = this.current.local.mapping;
    return CANONICAL_COLUMNS.filter((c) => mapped[c] !== undefined);
  }

  get editable(): boolean {
    return this.derived.fileErrors.length === 0 && this.current.local.settings !== undefined;
  }

  /** Replaces the state after a change; the previous one becomes undoable. */
  apply(label: string, next: SessionState, derived = runSteps(deriveSteps(next))): void {
    this.undoStack.push({ label, state: this.current, derived: this.derived });
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
    this.redoStack.length = 0;
    this.set(next, derived);
    this.editCount++;
  }

  /** apply, with the new state derived in slices first (the current one is served meanwhile). */
  async applySliced(label: string, next: SessionState): Promise<void> {
    this.apply(label, next, await runSliced(deriveSteps(next)));
  }

  undo(): boolean {
    const entry = this.undoStack.pop();
    if (!entry) return false;
    this.redoStack.push({ label: entry.label, state: this.current, derived: this.derived });
    this.set(entry.state, entry.derived);
    this.editCount--;
    return true;
  }

  redo(): boolean {
    const entry = this.redoStack.pop();
    if (!entry) return false;
    this.undoStack.push({ label: entry.label, state: this.current, derived: this.derived });
    this.set(entry.state, entry.derived);
    this.editCount++;
    return true;
  }

  /** A change that is not an edit of the file (a newer database verdict, skip-existing). */
  replaceState(next: SessionState, derived = runSteps(deriveSteps(next))): void {
    this.set(next, derived);
  }

  /** replaceState, with the new state derived in slices first. */
  async replaceStateSliced(next: SessionState): Promise<void> {
    this.replaceState(next, await runSliced(deriveSteps(next)));
  }

  private set(next: SessionState, derived: Derived): void {
    this.current = next;
    this.derived = derived;
    this.idempotencyKey = null;
    // Staged rows stand for the file as read only: any change (even one undone later) lets them go.
    void this.releaseStaged();
  }

  /** Keeps what was staged while the file was read: its key is this state's. */
  keepStaged(staged: StagedWhileRead): void {
    void this.releaseStaged();
    this.staged = staged;
    this.idempotencyKey = staged.key;
  }

  /**
   * Hands what was staged while the file was read to an Import at this merchant: null once the
   * state changed (it was released then) or for another merchant (released now). Taken once.
   */
  takeStaged(merchantId: string): StagedWhileRead | null {
    const staged = this.staged;
    this.staged = null;
    if (staged === null) return null;
    if (staged.merchantId === merchantId && this.idempotencyKey === staged.key) return staged;
    void staged.release();
    return null;
  }

  /** Lets staged rows go (the file closes, or another replaces it). */
  releaseStaged(): Promise<void> {
    const staged = this.staged;
    this.staged = null;
    return staged ? staged.release() : Promise.resolve();
  }

  view(): SessionView {
    const report = this.derived.report;
    const summary = report.summary;
    const fileErrors = this.derived.fileErrors;
    // The summary counts the report's purchases' items (a pass over 300k purchases per view).
    const items = summary.items;
    return {
      sessionId: this.id,
      fileName: this.fileName,
      columns: this.columns,
      mapping: this.current.local.mapping,
      summary,
      counts: { all: this.current.rows.length, errors: this.derived.errorRowCount },
      fileErrors: fileErrors.slice(0, 50),
      warnings: report.warnings.length,
      canUndo: this.undoStack.length > 0,
      canRedo: this.redoStack.length > 0,
      undoLabel: this.undoStack.at(-1)?.label ?? null,
      redoLabel: this.redoStack.at(-1)?.label ?? null,
      edits: this.editCount,
      skipExisting: this.current.skipExisting,
      blockedReason: this.blockedReason(items),
      committable: { purchases: report.purchases.length, items },
      parseMs: this.parseMs,
      committedBatchId: this.committedBatchId,
      sent: this.staged
        ? { rows: this.staged.staging.state.rowsStaged, total: this.staged.stream?.rows ?? 0 }
        : null,
      foreignIds: this.derived.foreignIds,
    };
  }

  private blockedReason(items: number): string | null {
    const { fileErrors, errorRowCount, report } = this.derived;
    if (this.committedBatchId) {
      return `This file was imported as batch ${this.committedBatchId}. Open another file to import more.`;
    }
    if (fileErrors.length > 0) {
      return 'The file itself has a problem (see above): correct the file or its column mapping and open it again.';
    }
    if (errorRowCount > 0) {
      const rows = errorRowCount === 1 ? '1 row has errors' : `${errorRowCount} rows have errors`;
      return `${rows}: fix them or delete them before importing.`;
    }
    if (report.purchases.length === 0 || items === 0) {
      return 'Nothing left to import: every transaction was deleted or skipped.';
    }
    return null;
  }

  private positions(filter: RowFilter): number[] | null {
    if (filter === 'all') return null;
    let list = this.derived.filters.get(filter);
    if (!list) {
      const matches = (issues: readonly RowError[]): boolean =>
        filter === 'errors'
          ? issues.some((e) => e.severity !== 'warning')
          : issues.some((e) => e.code === filter);
      const rows = this.current.rows;
      const byRow = this.derived.issuesByRow;
      list = [];
      if (byRow.size * 32 < rows.length) {
        // Few rows with issues (the usual case): find each by row number instead of a pass over
        // 1M rows (issue 18); positions ascend as row numbers do.
        const wanted: number[] = [];
        for (const [row, issues] of byRow) if (matches(issues)) wanted.push(row);
        wanted.sort((a, b) => a - b);
        for (const row of wanted) {
          const position = this.positionOfRow(row);
          if (position !== null) list.push(position);
        }
      } else {
        const numbers = rows.rowNumbers();
        for (let i = 0; i < numbers.length; i++) {
          const issues = byRow.get(numbers[i] as number);
          if (issues && matches(issues)) list.push(i);
        }
      }
      this.derived.filters.set(filter, list);
    }
    return list;
  }

  count(filter: RowFilter): number {
    return this.positions(filter)?.length ?? this.current.rows.length;
  }

  rows(filter: RowFilter, offset: number, limit: number): RowPage {
    const positions = this.positions(filter);
    const total = positions?.length ?? this.current.rows.length;
    const rows: GridRow[] = [];
    for (let index = offset; index < Math.min(total, offset + limit); index++) {
      const position = positions ? (positions[index] as number) : index;
      const raw = this.current.rows.at(position);
      rows.push({
        index,
        row: raw.row,
        cells: raw.cells,
        issues: this.derived.issuesByRow.get(raw.row) ?? [],
      });
    }
    return { filter, total, offset, rows };
  }

  issues(filter: RowFilter, offset: number, limit: number): { total: number; issues: RowError[] } {
    const report = this.derived.report;
    const all = [...report.errors, ...report.warnings].filter((e) => e.row >= 2);
    const list =
      filter === 'all'
        ? all
        : filter === 'errors'
          ? all.filter((e) => e.severity !== 'warning')
          : all.filter((e) => e.code === filter);
    list.sort((a, b) => a.row - b.row);
    return { total: list.length, issues: list.slice(offset, offset + limit) };
  }

  /** The position (in `filter`) of the next or previous row with an error. */
  findError(
    filter: RowFilter,
    after: number,
    direction: 'next' | 'previous',
  ): { index: number; row: number } | null {
    const positions = this.positions(filter);
    const total = positions?.length ?? this.current.rows.length;
    const step = direction === 'next' ? 1 : -1;
    const start = direction === 'next' ? after + 1 : (after < 0 ? total : after) - 1;
    for (let index = start; index >= 0 && index < total; index += step) {
      const position = positions ? (positions[index] as number) : index;
      const row = this.current.rows.rowNumber(position);
      const issues = this.derived.issuesByRow.get(row);
      if (issues?.some((e) => e.severity !== 'warning')) return { index, row };
    }
    return null;
  }

  /**
   * The next or previous cell (in `filter`, reading order) whose text contains `text`, ignoring
   * case, starting after the cell at position `after`, column number `afterColumn` (-1: before
   * the first column). Does not wrap: the caller says when the end was reached.
   */
  findText(
    filter: RowFilter,
    text: string,
    after: number,
    afterColumn: number,
    direction: 'next' | 'previous',
  ): { index: number; row: number; column: CanonicalColumn } | null {
    const needle = text.toLocaleLowerCase();
    const columns = this.columns;
    // Each distinct text of a column is lowered and searched once, not every cell (a search
    // through 1M rows without a match: ~0.2 s instead of ~0.5 s).
    const tests = columns.map((column) =>
      this.current.rows.cellTest(column, (value) => value.toLocaleLowerCase().includes(needle)),
    );
    const positions = this.positions(filter);
    const rows = this.current.rows;
    const total = positions?.length ?? rows.length;
    const step = direction === 'next' ? 1 : -1;
    const first =
      direction === 'next'
        ? Math.max(after, 0)
        : Math.min(after < 0 ? total - 1 : after, total - 1);
    for (let index = first; index >= 0 && index < total; index += step) {
      const position = positions ? (positions[index] as number) : index;
      // On the starting row only the cells past the starting column count.
      const from =
        index === after ? afterColumn + step : direction === 'next' ? 0 : columns.length - 1;
      for (let c = from; c >= 0 && c < columns.length; c += step) {
        if ((tests[c] as (position: number) => boolean)(position)) {
          return { index, row: rows.rowNumber(position), column: columns[c] as CanonicalColumn };
        }
      }
    }
    return null;
  }

  /** The position of a spreadsheet row in `filter`, or null when it is not shown there. */
  findRow(filter: RowFilter, row: number): number | null {
    const position = this.positionOfRow(row);
    if (position === null) return null;
    const positions = this.positions(filter);
    if (!positions) return position;
    const index = lowerBound(positions, position);
    return positions[index] === position ? index : null;
  }

  positionOfRow(row: number): number | null {
    return this.current.rows.positionOf(row);
  }

  rawRow(row: number): RawRow | null {
    return this.current.rows.get(row);
  }

  // --- edit plans: which rows change how (applied by the session service) -------------------

  planEdit(row: number, column: CanonicalColumn, value: string): RowEdit[] {
    const raw = this.rawRow(row);
    if (!raw) throw new Error(`Row ${row} is not in this file (deleted?).`);
    if (raw.cells[column] === value) return [];
    return [{ row, cells: { [column]: value } }];
  }

  planReplaceAll(column: CanonicalColumn, from: string, to: string): RowEdit[] {
    return runSteps(this.planReplaceAllSteps(column, from, to));
  }

  /** The plans that pass over every row, in steps: the service runs them in slices (issue 18). */
  *planReplaceAllSteps(column: CanonicalColumn, from: string, to: string): Steps<RowEdit[]> {
    const caseless = UUID_COLUMNS.has(column);
    const wanted = caseless ? from.trim().toLowerCase() : from.trim();
    const rows = this.current.rows;
    const positions = yield* rows.positionsWhereSteps(column, (value) => {
      const cell = value.trim();
      return (caseless ? cell.toLowerCase() : cell) === wanted && value !== to;
    });
    const edits: RowEdit[] = [];
    for (let i = 0; i < positions.length; i++) {
      if (i % STEP_SIZE === STEP_SIZE - 1) yield;
      edits.push({ row: rows.rowNumber(positions[i] as number), cells: { [column]: to } });
    }
    return edits;
  }

  planDelete(rows: readonly number[], wholeTransactions: boolean): RowEdit[] {
    return runSteps(this.planDeleteSteps(rows, wholeTransactions));
  }

  *planDeleteSteps(rows: readonly number[], wholeTransactions: boolean): Steps<RowEdit[]> {
    const targets = new Set(rows);
    if (wholeTransactions) {
      const keys = new Set<string>();
      for (const row of rows) {
        const key = transactionKey(this.rawRow(row)?.cells.transaction_number ?? '');
        if (key) keys.add(key);
      }
      const all = this.current.rows;
      const positions = yield* all.positionsWhereSteps('transaction_number', (value) =>
        keys.has(transactionKey(value)),
      );
      for (const p of positions) targets.add(all.rowNumber(p));
    }
    yield;
    return [...targets]
      .filter((row) => this.positionOfRow(row) !== null)
      .sort((a, b) => a - b)
      .map((row) => ({ row, delete: true }));
  }

  // --- bulk fixes and the audit trail (issue 11) ------------------------------------------

  /** Spreadsheet row numbers of every row in `filter`, in file order. */
  rowNumbers(filter: RowFilter): number[] {
    const positions = this.positions(filter);
    const rows = this.current.rows;
    return positions ? positions.map((p) => rows.rowNumber(p)) : rows.rowNumbers();
  }

  /** Transactions (by their key) that have at least one row with an error, in file order. */
  private *errorTransactionsSteps(): Steps<
    Map<string, { rows: number[]; problems: Set<RowError['code']> }>
  > {
    const byKey = new Map<string, { rows: number[]; problems: Set<RowError['code']> }>();
    const orphanRows: number[] = [];
    const all = this.current.rows;
    // The rows with errors, in file order (the errors filter's positions, kept per state).
    const withErrors = this.positions('errors') ?? [];
    for (let i = 0; i < withErrors.length; i++) {
      if (i % STEP_SIZE === STEP_SIZE - 1) yield;
      const position = withErrors[i] as number;
      const row = all.rowNumber(position);
      const issues = this.derived.issuesByRow.get(row);
      const errors = issues?.filter((e) => e.severity !== 'warning') ?? [];
      if (errors.length === 0) continue;
      const key = transactionKey(all.cell(position, 'transaction_number'));
      if (!key) {
        orphanRows.push(row);
        continue;
      }
      const entry = byKey.get(key) ?? { rows: [], problems: new Set() };
      for (const e of errors) entry.problems.add(e.code);
      byKey.set(key, entry);
    }
    // Every row of those transactions goes (a purchase is imported whole or not at all).
    const positions = yield* all.positionsWhereSteps('transaction_number', (value) =>
      byKey.has(transactionKey(value)),
    );
    for (const p of positions) {
      byKey.get(transactionKey(all.cell(p, 'transaction_number')))?.rows.push(all.rowNumber(p));
    }
    // Rows without a usable transaction number are each their own "transaction".
    for (const row of orphanRows) {
      const issues = this.derived.issuesByRow.get(row) ?? [];
      byKey.set(`row ${row}`, {
        rows: [row],
        problems: new Set(issues.filter((e) => e.severity !== 'warning').map((e) => e.code)),
      });
    }
    return byKey;
  }

  leaveOutPreview(sampleSize = 50): LeaveOutPreview {
    return runSteps(this.leaveOutPreviewSteps(sampleSize));
  }

  *leaveOutPreviewSteps(sampleSize = 50): Steps<LeaveOutPreview> {
    const transactions = yield* this.errorTransactionsSteps();
    let rows = 0;
    const sample: LeaveOutPreview['sample'] = [];
    for (const [transactionNumber, entry] of transactions) {
      rows += entry.rows.length;
      if (sample.length < sampleSize) {
        sample.push({ transactionNumber, rows: entry.rows, problems: [...entry.problems] });
      }
    }
    const purchases = this.derived.report.purchases.length;
    return {
      transactions: transactions.size,
      rows,
      sample,
      remaining: { purchases, rows: this.current.rows.length - rows },
    };
  }

  /** Every row of every transaction with an error: what "import the rest" leaves out. */
  planLeaveOut(): { edits: RowEdit[]; transactions: string[] } {
    return runSteps(this.planLeaveOutSteps());
  }

  *planLeaveOutSteps(): Steps<{ edits: RowEdit[]; transactions: string[] }> {
    const transactions = yield* this.errorTransactionsSteps();
    const rows = [...transactions.values()].flatMap((t) => t.rows).sort((a, b) => a - b);
    return {
      edits: rows.map((row) => ({ row, delete: true })),
      transactions: [...transactions.keys()],
    };
  }

  /** Every row of a filter, or every row of their transactions. */
  planDeleteFilter(filter: RowFilter, wholeTransactions: boolean): RowEdit[] {
    return runSteps(this.planDeleteFilterSteps(filter, wholeTransactions));
  }

  *planDeleteFilterSteps(filter: RowFilter, wholeTransactions: boolean): Steps<RowEdit[]> {
    const rows = this.rowNumbers(filter);
    return rows.length === 0 ? [] : yield* this.planDeleteSteps(rows, wholeTransactions);
  }

  /** Transaction numbers of these rows, as the file has them (for the audit trail). */
  transactionsOf(rows: readonly number[]): string[] {
    const numbers = new Set<string>();
    for (const row of rows) {
      const value = this.rawRow(row)?.cells.transaction_number.trim();
      if (value) numbers.add(value);
    }
    return [...numbers];
  }

  /** The audit trail of the open file: what it was and what the admin changed since. */
  auditTrail(): AuditTrail {
    const entries = [...(this.current.audit ?? [])];
    const totals = {
      rowsDeleted: 0,
      rowsLeftOut: 0,
      transactionsLeftOut: 0,
      cellsChanged: 0,
      replaceAlls: 0,
    };
    for (const e of entries) {
      if (e.kind === 'cell-changed') totals.cellsChanged++;
      else if (e.kind === 'replaced-all') {
        totals.replaceAlls++;
        totals.cellsChanged += e.rows.length;
      } else if (e.reason === 'left-out') {
        totals.rowsLeftOut += e.rows.length;
        totals.transactionsLeftOut += e.transactions.length;
      } else totals.rowsDeleted += e.rows.length;
    }
    const sha = this.current.local.fileSha256;
    const skipped = new Set<string>();
    if (this.current.skipExisting) {
      for (const w of this.derived.report.warnings) {
        if (w.code !== 'already_imported') continue;
        const number = this.rawRow(w.row)?.cells.transaction_number.trim();
        if (number) skipped.add(number);
      }
    }
    return {
      file: {
        name: this.fileName,
        sha256: sha ? sha : null,
        rows: this.current.local.summary.rows + totals.rowsDeleted + totals.rowsLeftOut,
      },
      entries,
      skippedAsImported: [...skipped],
      totals,
    };
  }

  /** Rows that have at least one error, in file order (for the errors export). */
  *errorRows(): Generator<{ raw: RawRow; issues: RowError[] }> {
    const rows = this.current.rows;
    for (let position = 0; position < rows.length; position++) {
      const issues = this.derived.issuesByRow.get(rows.rowNumber(position));
      if (issues?.some((e) => e.severity !== 'warning')) yield { raw: rows.at(position), issues };
    }
  }
}

/**
 * Users and SKUs of a local report's purchases (no transaction numbers), kept per purchases list
 * for the wrong-merchant signal: every state that shares the list (skip-existing, a newer verdict,
 * undo) reuses them instead of another pass over 1M items.
 */
const signalIdsCache = new WeakMap<PurchaseList, ReferenceIds>();

/**
 * Every id of a local report's purchases, for the database's check at an open. Only its users and
 * SKUs are kept: the transaction numbers (285k strings at 1M rows) were kept too, for as long as
 * the file stayed open, though nothing read them again; each mark-compact marked them (issue 18).
 */
export function* referenceIdsSteps(local: { purchases: PurchaseList }): Steps<ReferenceIds> {
  const ids = yield* collectReferenceIdsSteps(local);
  signalIdsCache.set(local.purchases, { ...ids, transactionNumbers: [] });
  return ids;
}

/** Everything the session derives from a state, in steps (0.3-0.9 s at 1M rows in one go). */
export function* deriveSteps(state: SessionState): Steps<Derived> {
  const report = yield* applyReferenceCheckSteps(state.local, state.reference, {
    skipExisting: state.skipExisting,
  });
  const issuesByRow = new Map<number, RowError[]>();
  const fileErrors: RowError[] = [];
  let errorRowCount = 0;
  let n = 0;
  for (const list of [report.errors, report.warnings]) {
    for (const issue of list) {
      if (++n % STEP_SIZE === 0) yield;
      if (issue.row < 2) {
        if (issue.severity !== 'warning') fileErrors.push(issue);
        continue;
      }
      const existing = issuesByRow.get(issue.row);
      if (existing) existing.push(issue);
      else issuesByRow.set(issue.row, [issue]);
    }
  }
  for (const issues of issuesByRow.values()) {
    if (++n % STEP_SIZE === 0) yield;
    if (issues.some((e) => e.severity !== 'warning')) errorRowCount++;
  }
  const purchases = state.local.purchases;
  let ids = signalIdsCache.get(purchases);
  if (!ids) {
    ids = yield* collectReferenceIdsSteps(state.local, { transactions: false });
    signalIdsCache.set(purchases, ids);
  }
  return {
    report,
    issuesByRow,
    fileErrors,
    filters: new Map(),
    errorRowCount,
    foreignIds: wrongMerchantSignal(ids, state.reference),
  };
}

/** Merges a new answer for `asked` ids into what the database said before. */
export function mergeReference(
  before: ReferenceCheck,
  asked: { userIds: string[]; skuIds: string[]; transactionNumbers: string[] },
  answer: ReferenceCheck,
): ReferenceCheck {
  const askedUsers = new Set(asked.userIds.map((id) => id.toLowerCase()));
  const askedSkus = new Set(asked.skuIds.map((id) => id.toLowerCase()));
  const askedTxns = new Set(asked.transactionNumbers);
  const users = new Set(before.unknownUserIds.filter((id) => !askedUsers.has(id.toLowerCase())));
  const skus = new Set(before.unknownSkuIds.filter((id) => !askedSkus.has(id.toLowerCase())));
  for (const id of answer.unknownUserIds) users.add(id.toLowerCase());
  for (const id of answer.unknownSkuIds) skus.add(id.toLowerCase());
  const existing = before.existingTransactions.filter((t) => !askedTxns.has(t.transactionNumber));
  existing.push(...answer.existingTransactions);
  const userKeys = mergeKeyResolutions(before.userKeys, answer.userKeys);
  const skuKeys = mergeKeyResolutions(before.skuKeys, answer.skuKeys);
  return {
    unknownUserIds: [...users],
    unknownSkuIds: [...skus],
    existingTransactions: existing,
    // Natural keys (issue 13): those asked again take the new answer, the others are kept.
    ...(userKeys ? { userKeys } : {}),
    ...(skuKeys ? { skuKeys } : {}),
  };
}
