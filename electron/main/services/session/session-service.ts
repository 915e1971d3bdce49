import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { StreamedStaging } from '../../../../shared/db/streamed-staging';
import type { BatchDetail, BatchOverview, ErrorPage } from '../../../../shared/db/rpc-contract';
import { suggestColumnMapping, resolveColumnMapping } from '../../../../shared/csv/column-mapping';
import type { RowEdit } from '../../../../shared/domain/analyse';
import { revalidateRowsSteps } from '../../../../shared/domain/revalidate-steps';
import { RowStore } from '../../../../shared/domain/row-store';
import {
  collectReferenceIdsSteps,
  type ReferenceIds,
} from '../../../../shared/domain/reference-check';
import { runSteps } from '../../../../shared/domain/steps';
import { presetTemplates } from '../../../../shared/domain/mapping-presets';
import {
  keyCellResolutions,
  keyLabels,
  missingRequiredColumns,
  resolvedKeys,
} from '../../../../shared/domain/natural-keys';
import {
  CANONICAL_COLUMNS,
  type CanonicalColumn,
  type ParseOptions,
} from '../../../../shared/domain/types';
import type {
  AuditEntry,
  AuditTrail,
  RowFilter,
  CommitProgressEvent,
  CommitResult,
  FileRef,
  ImportProgress,
  OpenResult,
  PickOption,
  RecheckView,
  BatchActionResult,
  SessionView,
} from '../../../../shared/ipc/contract';
import {
  batchOverview,
  cancelBatch,
  checkReferences,
  commitPurchases,
  commitStreamed,
  describeBatch,
  exportBatchErrors,
  getBatch,
  listBatchErrors,
  listBatches,
  recheckBatch,
  retryBatch,
} from '../../../core/use-cases';
import { parseCsvFile } from '../../../core/parse/parse-file';
import { streamChunkRowsFor } from '../../../core/parse/chunk-feed';
import type { SettingsStore } from '../settings/settings';
import type { ConnectionManager } from './connection-manager';
import { readFileHead } from '../../../core/sources/sources';
import { writeCsv } from '../../../core/files/csv-write';
import {
  ImportSession,
  mergeReference,
  referenceIdsSteps,
  type StagedWhileRead,
} from './import-session';
import { runSliced, untilAborted } from '../../../core/run-sliced';
import { releaseMemorySoon } from './release-memory';

// The app's door onto the engine's use cases (electron/core/use-cases): the open file's session
// (open with a mapping step when needed, fix, undo, export), who may do what, notifications of
// long imports, and the shapes the IPC handlers answer with. Checking, committing, re-checking,
// retrying and describing a batch are the use cases' own, shared with the command line. Only
// views and windows of rows leave this module.

export interface SessionServiceDeps {
  connection: ConnectionManager;
  settings: SettingsStore;
  /** The built parse worker (electron-vite's ?modulePath); default: next to parse-file. */
  workerUrl?: URL;
  emitImportProgress: (progress: ImportProgress) => void;
  emitCommitProgress: (progress: CommitProgressEvent) => void;
  /** A desktop notification (long imports end while the window may be hidden). */
  notify: (title: string, body: string) => void;
  log: (line: string) => void;
  /**
   * Stage a file into an open batch while it is read, so that Import of the file as read only
   * seals and commits it (issue 14): left out, for files of STREAM_MIN_BYTES or more; true
   * whatever the size (tests); false never.
   */
  stageWhileRead?: boolean;
}

/** Transaction numbers per reference check while a file opens (see checkFileIds). */
const CHECK_PART = 50_000;

/** What the file is staged into while it is read, before the parse says what it stands for. */
type Stager = Omit<StagedWhileRead, 'stream'> & { chunkRows: number };

/** How long quitting waits for staged rows of the file under review to be discarded. */
const SHUTDOWN_DISCARD_MS = 3_000;

/** Imports that take longer than this end with a desktop notification. */
export const NOTIFY_AFTER_MS = 10_000;

export class NoSessionError extends Error {
  constructor() {
    super('No file is open: open a CSV file first.');
  }
}

export function createSessionService(deps: SessionServiceDeps) {
  let session: ImportSession | null = null;
  let opening: AbortController | null = null;
  /** The handle the open session's file was opened with (main resolved it to s.path). */
  let sessionFile: FileRef | null = null;
  let committing: AbortController | null = null;

  /** Lets the open file go, with any rows staged for it; resolves once those are discarded. */
  const dropSession = (): Promise<void> => {
    const s = session;
    session = null;
    sessionFile = null;
    return s?.releaseStaged() ?? Promise.resolve();
  };

  // Names of SKUs and members already looked up, per merchant (ids are scoped per merchant).
  const labelCaches = new Map<string, Map<string, PickOption | null>>();
  // Names of the members and SKUs natural keys resolved to, per merchant, by key.
  const keyNameCaches = new Map<string, Map<string, string | null>>();
  const keyNameCache = (kind: 'sku' | 'user'): Map<string, string | null> => {
    const key = `${deps.connection.active().merchantId}:${kind}`;
    let cache = keyNameCaches.get(key);
    if (!cache) {
      cache = new Map();
      keyNameCaches.set(key, cache);
    }
    return cache;
  };
  const idLabelCache = (kind: 'sku' | 'user'): Map<string, PickOption | null> => {
    const key = `${deps.connection.active().merchantId}:${kind}`;
    let cache = labelCaches.get(key);
    if (!cache) {
      cache = new Map();
      labelCaches.set(key, cache);
    }
    return cache;
  };

  /** An audit entry for rows about to be removed (read before they are gone). */
  const removal = (
    edits: readonly RowEdit[],
    reason: 'deleted' | 'left-out',
    problem: string | null,
  ): Extract<AuditEntry, { kind: 'rows-removed' }> => {
    const rows = edits.map((e) => e.row);
    return {
      kind: 'rows-removed',
      reason,
      problem,
      rows,
      transactions: current().transactionsOf(rows),
      at: now(),
    };
  };

  const current = (): ImportSession => {
    if (!session) throw new NoSessionError();
    return session;
  };

  const requireFix = (): void => {
    const { state } = deps.connection.active();
    if (!state.permissions.fix) {
      throw new Error('Only admins of this merchant can change rows in the app.');
    }
  };

  /** Asks the active connection's database about the ids of these purchases. */
  const checkIds = (ids: ReferenceIds) => {
    const { rpc, merchantId } = deps.connection.active();
    return checkReferences(rpc, merchantId, ids);
  };

  /**
   * checkIds for a whole file, its transaction numbers in parts: pg serialized 300k of them in
   * one turn of main (~0.1 s and the collection it caused, issue 18). Users, SKUs and keys go
   * with the first part; whether a transaction was imported does not depend on the others.
   */
  const checkFileIds = async (ids: ReferenceIds, signal: AbortSignal) => {
    const numbers = ids.transactionNumbers;
    const first = { ...ids, transactionNumbers: numbers.slice(0, CHECK_PART) };
    let reference = await untilAborted(checkIds(first), signal);
    for (let from = CHECK_PART; from < numbers.length; from += CHECK_PART) {
      const part = numbers.slice(from, from + CHECK_PART);
      const answer = await untilAborted(
        checkIds({ userIds: [], skuIds: [], transactionNumbers: part }),
        signal,
      );
      reference = {
        ...reference,
        existingTransactions: [...reference.existingTransactions, ...answer.existingTransactions],
      };
    }
    return reference;
  };

  /** Re-validates edited rows and their transactions, then re-checks their ids. */
  const applyEdits = async (
    label: string,
    edits: RowEdit[],
    audit: readonly AuditEntry[] = [],
  ): Promise<void> => {
    const s = current();
    if (edits.length === 0) return;
    if (!s.editable) throw new Error('This file cannot be edited: it has a file-level problem.');
    // In slices, as is deriving the new state (issue 18): main serves the window meanwhile.
    const result = await runSliced(
      revalidateRowsSteps({ report: s.state.local, rows: s.state.rows, edits }),
    );
    // The affected purchases found by comparing their numbers in place (no substring per
    // purchase: 285k after every edit of a 1M-row file, issue 18).
    const purchases = result.report.purchases;
    const ids = runSteps(
      collectReferenceIdsSteps({
        purchases: purchases.filter(purchases.transactionIn(new Set(result.affectedTransactions))),
      }),
    );
    const answer = await checkIds(ids);
    await s.applySliced(label, {
      ...s.state,
      rows: result.rows,
      local: result.report,
      reference: mergeReference(s.state.reference, ids, answer),
      audit: [...(s.state.audit ?? []), ...audit],
    });
  };

  /**
   * An open batch to stage the file into (issue 14), its chunks made as the file is read and
   * held until it has opened: only for someone who may import at the active merchant, and a
   * file big enough to gain.
   */
  const stagerFor = async (path: string, fileName: string): Promise<Stager | null> => {
    const { rpc, merchantId, state } = deps.connection.active();
    if (!state.permissions.import || deps.stageWhileRead === false) return null;
    const bytes = await stat(path).then(
      (info) => info.size,
      () => 0,
    );
    const chunkRows = streamChunkRowsFor(
      deps.stageWhileRead === true ? { stream: true } : {},
      bytes,
    );
    if (chunkRows === null) return null;
    const key = randomUUID();
    const staging = new StreamedStaging(rpc, {
      merchantId,
      name: null,
      fileName,
      idempotencyKey: key,
      paused: true,
    });
    let released: Promise<void> | null = null;
    return {
      key,
      merchantId,
      staging,
      chunkRows,
      release: () =>
        (released ??= staging.discard().then((discarded) => {
          if (!discarded && staging.id) {
            deps.log(`staged rows of ${fileName} left in open batch ${staging.id}`);
          }
        })),
    };
  };

  const service = {
    view: (): SessionView | null => session?.view() ?? null,
    current,

    /** Opens a file the user chose (main resolved its handle to `path`; `file` goes back). */
    async open(
      path: string,
      file: FileRef,
      options: ParseOptions = {},
      autoMap = true,
      keepCurrent = false,
    ): Promise<OpenResult> {
      const { state } = deps.connection.active();
      if (!state.permissions.preview) {
        throw new Error(
          'Your role at this merchant cannot preview imports (operators and admins can).',
        );
      }
      // Another file replaces this one (the window forgets it as it starts opening): let the
      // previous session's rows, report and undo history go now, not after the new file is
      // read, so two 1M-row files are never held at once. Re-reading the same file with other
      // settings keeps it until the new reading succeeds.
      if (!keepCurrent && session) {
        void dropSession();
        releaseMemorySoon();
      }
      opening?.abort();
      const controller = new AbortController();
      opening = controller;
      const fileName = file.name;
      let stager: Stager | null = null;
      try {
        let parseOptions = options;
        if (!options.columnMapping) {
          let head;
          try {
            head = await readFileHead(path, options);
          } catch (error) {
            throw new Error(`Cannot read "${fileName}": ${(error as Error).message}`);
          }
          const template = await deps.settings.templates.forHeaders(head.headers);
          const suggestion = suggestColumnMapping(head.headers, template?.mapping);
          const proposed: Partial<Record<CanonicalColumn, string>> = {};
          for (const column of CANONICAL_COLUMNS) {
            const match = suggestion.columns[column];
            if (match) proposed[column] = match.header;
          }
          // Weaker matches are offered on the mapping screen, never applied silently.
          for (const h of suggestion.headers) {
            if (h.column && h.kind === 'partial' && !proposed[h.column])
              proposed[h.column] = h.header;
          }
          const missing = missingRequiredColumns((c) => suggestion.columns[c] !== null);
          const resolved = resolveColumnMapping(head.headers, template?.mapping);
          // A workbook with several visible sheets: the mapping step is where the sheet is chosen.
          const chooseSheet =
            head.source.format === 'xlsx' &&
            !options.xlsx?.sheet &&
            head.source.sheets.filter((s) => !s.hidden).length > 1;
          const needsMapping =
            (head.headers.length > 0 || chooseSheet) &&
            (!autoMap || chooseSheet || missing.length > 0 || resolved.errors.length > 0);
          if (needsMapping) {
            return {
              kind: 'needs-mapping',
              file,
              fileName,
              headers: head.headers,
              suggestions: suggestion.headers,
              proposed,
              missing,
              // Presets shipped with the app (a Shopify orders export…) first, then the saved.
              templates: [...presetTemplates(), ...(await deps.settings.templates.list())],
              templateId: template?.id ?? null,
              sample: head.sample,
              source: head.source,
            };
          }
          if (template) parseOptions = { ...options, columnMapping: template.mapping };
        }

        const started = performance.now();
        deps.emitImportProgress({
          phase: 'reading',
          fileName,
          bytesRead: 0,
          totalBytes: 0,
          rows: 0,
        });
        const reading = await stagerFor(path, fileName);
        stager = reading;
        const parsed = await parseCsvFile(
          path,
          { ...parseOptions, keepRows: 'packed' },
          {
            signal: controller.signal,
            ...(deps.workerUrl ? { workerUrl: deps.workerUrl } : {}),
            onProgress: ({ stage, ...p }) =>
              deps.emitImportProgress({ phase: stage, fileName, ...p }),
            ...(reading
              ? {
                  streamChunkRows: reading.chunkRows,
                  onChunk: (chunk) => reading.staging.push(chunk),
                }
              : {}),
          },
        );
        const rows = parsed.report.summary.rows;
        deps.emitImportProgress({ phase: 'checking', fileName, bytesRead: 0, totalBytes: 0, rows });
        const local = { ...parsed.report };
        delete local.referenceCheck;
        // Each heavy step after parsing starts on a fresh turn of the event loop, so the
        // window's IPC (Cancel among it) is served between them (issue 18).
        await breathe();
        if (controller.signal.aborted) return { kind: 'cancelled' };
        const ids = await runSliced(referenceIdsSteps(local), { signal: controller.signal });
        // Cancel is answered at once, even while the database is still answering (issue 18).
        const reference = await checkFileIds(ids, controller.signal);
        if (controller.signal.aborted) return { kind: 'cancelled' };
        deps.emitImportProgress({
          phase: 'preparing',
          fileName,
          bytesRead: 0,
          totalBytes: 0,
          rows,
        });
        await breathe();
        if (controller.signal.aborted) return { kind: 'cancelled' };
        const parseMs = performance.now() - started;
        const opened = await ImportSession.create(
          randomUUID(),
          path,
          fileName,
          parseMs,
          { rows: parsed.rows ?? RowStore.fromRows([]), local, reference, skipExisting: false },
          controller.signal,
        );
        // The chunks the parse handed out stand for the file only if they all came and the file
        // can be imported as it is (otherwise the admin's fixes make them stale anyway): only
        // then are they sent, while the admin reviews. Held until now, so that staging does not
        // compete with reading for the machine (a 1M-row file took 14.4 s to open instead of
        // 9.6 s with a local database, bench:ui).
        if (
          stager?.staging.hasChunks &&
          parsed.stream?.broken === null &&
          opened.view().blockedReason === null
        ) {
          opened.keepStaged({ ...stager, stream: parsed.stream });
          stager.staging.resume();
          stager = null;
        }
        void session?.releaseStaged();
        session = opened;
        sessionFile = file;
        deps.emitImportProgress({ phase: 'done', fileName, bytesRead: 0, totalBytes: 0, rows });
        deps.log(`opened ${fileName}: ${rows} rows in ${Math.round(parseMs)} ms`);
        return { kind: 'opened', view: session.view() };
      } catch (error) {
        if (controller.signal.aborted || (error as Error).name === 'AbortError') {
          return { kind: 'cancelled' };
        }
        throw error;
      } finally {
        if (opening === controller) opening = null;
        // Not kept by the session (cancelled, refused, or not importable as read): nothing stays.
        void stager?.release();
      }
    },

    cancelOpen(): boolean {
      if (!opening) return false;
      opening.abort();
      opening = null;
      return true;
    },

    async editCell(row: number, column: CanonicalColumn, value: string): Promise<SessionView> {
      requireFix();
      const before = current().rawRow(row)?.cells[column] ?? '';
      const edits = current().planEdit(row, column, value);
      await applyEdits(`Edit ${column} in row ${row}`, edits, [
        { kind: 'cell-changed', row, column, before, after: value, at: now() },
      ]);
      return current().view();
    },

    async replaceAll(column: CanonicalColumn, from: string, to: string) {
      requireFix();
      const edits = await runSliced(current().planReplaceAllSteps(column, from, to));
      await applyEdits(`Replace ${column} "${short(from)}" in ${edits.length} rows`, edits, [
        { kind: 'replaced-all', column, from, to, rows: edits.map((e) => e.row), at: now() },
      ]);
      return { view: current().view(), replaced: edits.length };
    },

    async deleteRows(rows: number[], wholeTransactions: boolean) {
      requireFix();
      const edits = await runSliced(current().planDeleteSteps(rows, wholeTransactions));
      const what = edits.length === 1 ? `row ${edits[0]?.row}` : `${edits.length} rows`;
      await applyEdits(`Delete ${what}`, edits, [removal(edits, 'deleted', null)]);
      return { view: current().view(), deleted: edits.length };
    },

    // --- bulk fixes (issue 11): each is one undo step and one audit entry ---------------------

    /** Deletes every row with a kind of problem (or any error), or their whole transactions. */
    async deleteFilter(filter: RowFilter, wholeTransactions: boolean) {
      requireFix();
      const edits = await runSliced(current().planDeleteFilterSteps(filter, wholeTransactions));
      const entry = removal(edits, 'deleted', filter);
      const what = filter === 'errors' ? 'with errors' : `with ${filter.replace(/_/g, ' ')}`;
      await applyEdits(
        `Delete ${edits.length} ${wholeTransactions ? 'rows of transactions' : 'rows'} ${what}`,
        edits,
        [entry],
      );
      return {
        view: current().view(),
        rows: edits.length,
        transactions: entry.transactions.length,
      };
    },

    // Passes over every row, in slices (issue 18), as are the plans above.
    leaveOutPreview: () => runSliced(current().leaveOutPreviewSteps()),

    /** Leaves out every transaction with an error, so that the rest can be imported. */
    async leaveOutErrors() {
      requireFix();
      const { edits, transactions } = await runSliced(current().planLeaveOutSteps());
      const entry = removal(edits, 'left-out', 'errors');
      await applyEdits(
        `Leave out ${transactions.length} transactions with errors`,
        edits,
        edits.length > 0 ? [entry] : [],
      );
      return { view: current().view(), rows: edits.length, transactions: transactions.length };
    },

    auditTrail: () => session?.auditTrail() ?? null,

    parseSettings: () => session?.state.local.settings ?? null,

    /** Reads the open file again with other settings, keeping its column mapping. */
    async reparse(options: Omit<ParseOptions, 'columnMapping'>): Promise<OpenResult> {
      const s = current();
      const file = sessionFile ?? { handle: '', name: s.fileName };
      return service.open(
        s.path,
        file,
        { ...options, columnMapping: s.state.local.mapping },
        true,
        true,
      );
    },

    /** Names of ids for the grid; SKUs and members are looked up by id, a few at a time. */
    async idLabels(kind: 'sku' | 'user', ids: readonly string[]) {
      const labels: { id: string; label: string; detail: string | null }[] = [];
      // Natural keys (issue 13): what the reference check resolved each e-mail or code to, named
      // by one more check of just these keys (a whole file's check carries no names).
      const check = session?.report.referenceCheck;
      const names = keyNameCache(kind);
      const unnamed = keyCellResolutions(kind, ids, check)
        .map(({ resolution }) => resolution.key)
        .filter((key) => !names.has(key));
      if (unnamed.length > 0) {
        const { rpc, merchantId } = deps.connection.active();
        const none = { userIds: [], skuIds: [], transactionNumbers: [] };
        const answer = await checkReferences(
          rpc,
          merchantId,
          kind === 'user' ? { ...none, userEmails: unnamed } : { ...none, skuCodes: unnamed },
          { names: true },
        ).catch(() => null);
        for (const r of (kind === 'user' ? answer?.userKeys : answer?.skuKeys) ?? []) {
          names.set(r.key, r.name);
        }
      }
      labels.push(...keyLabels(kind, ids, check, names));
      const wanted = [...new Set(ids.map((i) => i.trim().toLowerCase()))].filter((i) =>
        /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(i),
      );
      const cache = idLabelCache(kind);
      const missing = wanted.filter((i) => !cache.has(i));
      for (let i = 0; i < missing.length; i += 8) {
        const slice = missing.slice(i, i + 8);
        const found = await Promise.all(slice.map((id) => service.pickList(kind, id)));
        slice.forEach((id, k) => {
          const match = found[k]?.find((o) => o.id.toLowerCase() === id) ?? null;
          cache.set(id, match);
        });
      }
      for (const id of wanted) {
        const hit = cache.get(id);
        if (hit) labels.push(hit);
      }
      return labels;
    },

    undo(): SessionView {
      const s = current();
      if (!s.undo()) throw new Error('Nothing to undo.');
      return s.view();
    },

    redo(): SessionView {
      const s = current();
      if (!s.redo()) throw new Error('Nothing to redo.');
      return s.view();
    },

    async setSkipExisting(skip: boolean): Promise<SessionView> {
      const s = current();
      await s.replaceStateSliced({ ...s.state, skipExisting: skip });
      return s.view();
    },

    async pickList(kind: 'sku' | 'user', search: string): Promise<PickOption[]> {
      const { rpc, merchantId } = deps.connection.active();
      const args = { p_merchant_id: merchantId, p_search: search.trim() || null, p_limit: 50 };
      if (kind === 'sku') {
        const { skus } = await rpc.call('import_list_skus', args);
        return skus.map((s) => ({ id: s.id, label: s.name, detail: s.code }));
      }
      const { users } = await rpc.call('import_list_users', args);
      return users.map((u) => ({
        id: u.id,
        label: u.displayName ?? u.email ?? u.id,
        detail: u.email,
      }));
    },

    async exportErrors(path: string): Promise<number> {
      const s = current();
      const columns = s.columns;
      return writeCsv(
        path,
        ['row', ...columns, 'errors'],
        (function* () {
          for (const { raw, issues } of s.errorRows()) {
            yield [
              String(raw.row),
              ...columns.map((c) => raw.cells[c]),
              issues.map((e) => `${e.code}: ${e.message}`).join('; '),
            ];
          }
        })(),
      );
    },

    async saveFixed(path: string): Promise<number> {
      const s = current();
      const columns = s.columns;
      return writeCsv(
        path,
        columns,
        (function* () {
          for (const raw of s.state.rows) yield columns.map((c) => raw.cells[c]);
        })(),
        { neutralise: false },
      );
    },

    async commit(name: string): Promise<CommitResult> {
      const s = current();
      const { rpc, merchantId, state } = deps.connection.active();
      if (!state.permissions.import)
        throw new Error('Your role at this merchant cannot import files.');
      const blocked = s.view().blockedReason;
      if (blocked) throw new Error(blocked);
      if (committing) throw new Error('An import is already running.');
      const controller = new AbortController();
      committing = controller;
      s.idempotencyKey ??= randomUUID();
      const started = performance.now();
      const finish = (result: CommitResult): CommitResult => {
        if (result.durationMs >= NOTIFY_AFTER_MS && result.outcome !== 'cancelled') {
          deps.notify(
            result.outcome === 'completed' ? 'Import completed' : 'Import failed',
            result.message,
          );
        }
        return result;
      };
      /** A batch the database answered with: completed, or failed with its errors. */
      const answered = (batch: BatchDetail, durationMs: number): CommitResult => {
        if (batch.status === 'completed') s.committedBatchId = batch.id;
        return finish({
          outcome: batch.status === 'completed' ? 'completed' : 'failed',
          batch,
          message: describeForApp(batch, 'import'),
          durationMs,
        });
      };
      try {
        const staged = s.takeStaged(merchantId);
        if (staged) {
          const landed = await commitStreamed(
            rpc,
            staged.staging,
            {
              stream: staged.stream,
              readPurchases: s.report.purchases.length,
              purchases: s.report.purchases,
              fileSha256: s.report.fileSha256 || null,
              name: name || null,
            },
            { signal: controller.signal, onCommitProgress: (p) => deps.emitCommitProgress(p) },
          );
          if (landed.kind === 'batch') return answered(landed.batch, performance.now() - started);
          // Cancelled (the batch is final, as any cancelled import), or what was staged is not
          // the file after all: the next Import stages it again, under a new key.
          s.idempotencyKey = randomUUID();
          if (landed.kind === 'cancelled') {
            return {
              outcome: 'cancelled',
              batch: landed.batch,
              message: landed.message,
              durationMs: performance.now() - started,
            };
          }
        }
        const outcome = await commitPurchases(
          rpc,
          {
            merchantId,
            name: name || null,
            fileName: s.fileName,
            fileSha256: s.report.fileSha256 || null,
            purchases: s.report.purchases,
            // Natural keys go with the ids the preview resolved them to (checked again at commit).
            keys: resolvedKeys(s.report.referenceCheck),
            idempotencyKey: s.idempotencyKey,
            // Only when the admin changed something: a file imported as it is needs no trail.
            audit: auditWorthKeeping(s.auditTrail()),
          },
          { signal: controller.signal, onProgress: (p) => deps.emitCommitProgress(p) },
        );
        const durationMs = performance.now() - started;
        if (outcome.kind === 'cancelled') {
          // The cancelled batch is final: committing again starts a new one. It stays in History
          // as cancelled; the result shows it so the user can find it there.
          if (outcome.batchCancelled) s.idempotencyKey = null;
          return {
            outcome: 'cancelled',
            batch: outcome.batch,
            message: outcome.message,
            durationMs,
          };
        }
        return answered(outcome.batch, durationMs);
      } finally {
        committing = null;
      }
    },

    /**
     * Discards rows staged for the open file while it was read (the connection that staged them
     * is about to change); its Import then stages it as it is then.
     */
    releaseStaged(): Promise<void> {
      return session?.releaseStaged() ?? Promise.resolve();
    },

    /**
     * Before the app quits: the open file's rows staged while it was read are discarded, so no
     * open batch outlives the review (bounded: an unreachable database must not hold the quit).
     */
    async shutdown(): Promise<void> {
      opening?.abort();
      await Promise.race([
        dropSession(),
        new Promise<void>((resolve) => setTimeout(resolve, SHUTDOWN_DISCARD_MS).unref()),
      ]);
    },

    cancelCommit(): boolean {
      if (!committing) return false;
      committing.abort();
      return true;
    },

    close(): boolean {
      const had = session !== null;
      opening?.abort();
      void dropSession();
      if (had) releaseMemorySoon();
      return had;
    },

    // --- history ------------------------------------------------------------------------------

    async listBatches(input: {
      status: BatchDetail['status'] | null;
      search: string | null;
      limit: number;
      offset: number;
    }) {
      const { rpc, merchantId } = deps.connection.active();
      return listBatches(rpc, { merchantId, ...input });
    },

    async getBatch(
      id: string,
      page: { errorsLimit?: number | undefined; errorsOffset?: number | undefined } = {},
    ): Promise<BatchDetail> {
      const { rpc } = deps.connection.active();
      return getBatch(rpc, id, {
        errorsLimit: page.errorsLimit ?? 100,
        errorsOffset: page.errorsOffset ?? 0,
      });
    },

    async batchOverview(days: number): Promise<BatchOverview> {
      const { rpc, merchantId } = deps.connection.active();
      return batchOverview(rpc, merchantId, days);
    },

    async listBatchErrors(input: {
      id: string;
      code: string | null;
      value: string | null;
      after: { row: number; column: string } | null;
      limit: number;
    }): Promise<ErrorPage> {
      const { rpc } = deps.connection.active();
      const { id, ...query } = input;
      return listBatchErrors(rpc, { batchId: id, ...query });
    },

    async recheckBatch(id: string): Promise<RecheckView> {
      const { rpc, state } = deps.connection.active();
      if (!state.permissions.recheck)
        throw new Error('Only support staff and admins can re-check a batch.');
      const result = await recheckBatch(rpc, id, { limit: 100, offset: 0 });
      return { ...result, checkedAt: new Date().toISOString() };
    },

    async retryBatch(id: string): Promise<BatchActionResult> {
      const { rpc, state } = deps.connection.active();
      if (!state.permissions.retry)
        throw new Error('Only support staff and admins can retry a batch.');
      const started = performance.now();
      const batch = await retryBatch(rpc, id);
      const message = describeForApp(batch, 'retry');
      if (performance.now() - started >= NOTIFY_AFTER_MS) {
        deps.notify(batch.status === 'completed' ? 'Retry completed' : 'Retry failed', message);
      }
      return { batch, message };
    },

    /**
     * Cancels a pending batch from History (one left open by a crash, or stopped part way). Those
     * who may import may cancel, as in the database. Should it be the batch this app staged while
     * its admin reviews a file, that file's Import finds it cancelled and imports the usual way.
     */
    async cancelBatch(id: string): Promise<BatchActionResult> {
      const { rpc, state } = deps.connection.active();
      if (!state.permissions.import)
        throw new Error('Only operators and admins can cancel an import.');
      const batch = await cancelBatch(rpc, id);
      return { batch, message: describeBatch(batch, 'cancel') };
    },

    /** One line per change, in the order they were made; the original file on the first line. */
    async exportBatchAudit(batch: BatchDetail, path: string): Promise<number> {
      const audit = batch.audit;
      const lines: string[][] = audit
        ? [
            ['', 'file', '', '', audit.file.name, String(audit.file.rows), audit.file.sha256 ?? ''],
            ...audit.entries.map((e): string[] => {
              switch (e.kind) {
                case 'cell-changed':
                  return [e.at, e.kind, String(e.row), e.column, e.before, e.after, ''];
                case 'replaced-all':
                  return [e.at, e.kind, e.rows.join(' '), e.column, e.from, e.to, ''];
                case 'rows-removed':
                  return [
                    e.at,
                    `rows-${e.reason}`,
                    e.rows.join(' '),
                    '',
                    e.problem ?? '',
                    '',
                    e.transactions.join(' '),
                  ];
              }
            }),
          ]
        : [];
      return writeCsv(path, ['at', 'change', 'rows', 'column', 'before', 'after', 'detail'], lines);
    },

    async exportBatchErrors(id: string, path: string): Promise<number> {
      const { rpc } = deps.connection.active();
      return exportBatchErrors(rpc, id, path);
    },
  };
  return service;
}

export type SessionService = ReturnType<typeof createSessionService>;

function auditWorthKeeping(trail: AuditTrail): AuditTrail | null {
  return trail.entries.length > 0 || trail.skippedAsImported.length > 0 ? trail : null;
}

/** Yields to the event loop once: pending IPC and timers run before the next heavy step. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function now(): string {
  return new Date().toISOString();
}

function short(text: string): string {
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** The use cases' sentence, with the app's next step after an import the database refused. */
function describeForApp(batch: BatchDetail, attempt: 'import' | 'retry'): string {
  const sentence = describeBatch(batch, attempt);
  return batch.status === 'failed' && attempt === 'import'
    ? `${sentence} Support can re-check and retry it from History.`
    : sentence;
}
