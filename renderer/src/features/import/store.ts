import { create } from 'zustand';
import type {
  CanonicalColumn,
  ImportSettings,
  ParseOptions,
} from '../../../../shared/domain/types';
import type {
  FileRef,
  GridRow,
  IdLabel,
  ImportProgress,
  LeaveOutPreview,
  NeedsMapping,
  RowFilter,
  SessionView,
} from '../../../../shared/ipc/contract';
import { api, errorMessage } from '../../lib/api';
import { plural } from '../../lib/format';
import { notify } from '../../lib/toasts';

export type ImportPhase = 'idle' | 'opening' | 'mapping' | 'preview' | 'commit';

/** Rows are fetched from main in pages; only what the grid shows is ever in the renderer. */
export const PAGE_SIZE = 100;

export interface ActiveCell {
  index: number;
  column: number; // 0 = the row number column
}

interface ImportState {
  phase: ImportPhase;
  /** The open file: a handle main issued and its name (the renderer never holds a path). */
  file: FileRef | null;
  /** Main's recent-files list, each with its handle. */
  recent: FileRef[];
  options: ParseOptions;
  progress: ImportProgress | null;
  /** When the current progress phase began (ms since the epoch), for its elapsed time. */
  progressSince: number;
  mapping: NeedsMapping | null;
  view: SessionView | null;
  error: string | null;
  filter: RowFilter;
  /** Bumped when rows change in main: cached pages are dropped. */
  version: number;
  pages: Record<number, GridRow[]>;
  total: number;
  active: ActiveCell;
  editing: boolean;
  busy: boolean;
  replace: { column: CanonicalColumn; from: string } | null;
  /** Rows chosen for a bulk action (spreadsheet row numbers); the anchor is a filter position. */
  selection: { rows: number[]; anchor: number | null };
  /** The "leave out the transactions with errors" confirmation, while it is open. */
  leaveOut: LeaveOutPreview | null;
  /** What the file was read with; null until known. */
  settings: ImportSettings | null;
  /** Names of SKU and member ids already looked up (lower-case id -> label). */
  idLabels: Record<string, IdLabel>;
  openRequested(): Promise<void>;
  fileChosen(file: FileRef, options?: ParseOptions): Promise<void>;
  recentRequested(): Promise<void>;
  progressReceived(progress: ImportProgress): void;
  openCancelled(): Promise<void>;
  /** A workbook's sheet chosen in the mapping step: its head is read instead. */
  sheetChosen(sheet: string): Promise<void>;
  mappingConfirmed(
    mapping: Partial<Record<CanonicalColumn, string>>,
    templateName: string | null,
    fillOrderFields?: boolean,
  ): Promise<void>;
  mappingAbandoned(): void;
  sessionRestored(): Promise<void>;
  pageNeeded(page: number): Promise<void>;
  filterChanged(filter: RowFilter): Promise<void>;
  activeCellMoved(active: ActiveCell): void;
  editStarted(): void;
  editEnded(): void;
  cellEdited(row: number, column: CanonicalColumn, value: string): Promise<boolean>;
  replaceRequested(column: CanonicalColumn, from: string): void;
  replaceClosed(): void;
  valueReplaced(column: CanonicalColumn, from: string, to: string): Promise<void>;
  rowsDeleted(rows: number[], wholeTransactions: boolean): Promise<void>;
  undoRequested(): Promise<void>;
  redoRequested(): Promise<void>;
  errorJumpRequested(direction: 'next' | 'previous'): Promise<void>;
  rowJumpRequested(row: number): Promise<boolean>;
  textFindRequested(text: string, direction: 'next' | 'previous'): Promise<boolean>;
  skipExistingToggled(skip: boolean): Promise<void>;
  errorsExported(): Promise<void>;
  fixedSaved(): Promise<void>;
  commitStepOpened(): void;
  previewReturned(): void;
  viewReceived(view: SessionView): void;
  fileClosed(): Promise<void>;
  merchantChanged(): void;
  rowSelected(index: number, row: number, how: 'only' | 'toggle' | 'range'): Promise<void>;
  allSelected(): Promise<void>;
  selectionCleared(): void;
  selectionDeleted(wholeTransactions: boolean): Promise<void>;
  problemDeleted(filter: Exclude<RowFilter, 'all'>, wholeTransactions: boolean): Promise<void>;
  leaveOutRequested(): Promise<void>;
  leaveOutClosed(): void;
  leaveOutConfirmed(): Promise<void>;
  settingsChanged(options: ParseSettingsChoice): Promise<void>;
  idLabelsNeeded(kind: 'sku' | 'user', ids: string[]): Promise<void>;
}

export type ParseSettingsChoice = Pick<ImportSettings, 'decimalComma' | 'dateFormat'> & {
  timeZone: string | null;
  /** Order fields on the first row of each order only: fill them down (issue 13). */
  fillOrderFields?: boolean;
  /** The source's own settings: a CSV's delimiter and encoding, or a workbook's sheet. */
  source: ImportSettings['source'];
};

const initial = {
  phase: 'idle' as ImportPhase,
  file: null,
  options: {},
  progress: null,
  progressSince: 0,
  mapping: null,
  view: null,
  error: null,
  filter: 'all' as RowFilter,
  version: 0,
  pages: {},
  total: 0,
  active: { index: 0, column: 1 },
  editing: false,
  busy: false,
  replace: null,
  selection: { rows: [] as number[], anchor: null as number | null },
  leaveOut: null as LeaveOutPreview | null,
  settings: null as ImportSettings | null,
  idLabels: {} as Record<string, IdLabel>,
};

// Pages already requested for the current version, so scrolling does not ask twice.
const inFlight = new Set<string>();

export const useImportStore = create<ImportState>()((set, get) => {
  /** A new state of the rows: drop cached pages and keep the active cell in range. */
  const adopt = (view: SessionView): void => {
    const { filter } = get();
    const total = filter === 'all' ? view.counts.all : null;
    set((s) => ({
      view,
      version: s.version + 1,
      pages: {},
      total: total ?? s.total,
      error: null,
      selection: { rows: [], anchor: null },
    }));
    inFlight.clear();
    if (!get().settings) {
      void api()
        .importParseSettings()
        .then((settings) => set({ settings }))
        .catch(() => undefined);
    }
    void get().pageNeeded(Math.floor(get().active.index / PAGE_SIZE));
  };

  const guarded = async (work: () => Promise<void>): Promise<void> => {
    set({ busy: true });
    try {
      await work();
    } catch (error) {
      notify('error', errorMessage(error));
    } finally {
      set({ busy: false });
    }
  };

  return {
    ...initial,
    recent: [],

    openRequested: async () => {
      try {
        const { file } = await api().importChooseFile();
        if (file) await get().fileChosen(file);
      } catch (error) {
        notify('error', errorMessage(error));
      }
    },

    fileChosen: async (file, options = {}) => {
      if (get().phase === 'opening') return;
      set({ ...initial, phase: 'opening', file, options, version: get().version + 1 });
      try {
        const result = await api().importOpen({ file: file.handle, options });
        if (result.kind === 'cancelled') {
          set({ phase: get().view ? 'preview' : 'idle', progress: null });
          notify('info', 'Opening the file was cancelled.');
        } else if (result.kind === 'needs-mapping') {
          set({ phase: 'mapping', mapping: result, progress: null });
        } else {
          set({ phase: 'preview', progress: null, total: result.view.counts.all });
          adopt(result.view);
        }
      } catch (error) {
        set({ phase: 'idle', progress: null, error: errorMessage(error) });
      }
    },

    recentRequested: async () => {
      try {
        set({ recent: (await api().filesRecent()).files });
      } catch {
        // The list is a convenience: without it the open button still works.
      }
    },

    progressReceived: (progress) => {
      if (get().phase !== 'opening') return;
      const phaseChanged = get().progress?.phase !== progress.phase;
      set(phaseChanged ? { progress, progressSince: Date.now() } : { progress });
    },

    openCancelled: async () => {
      await api().importCancelOpen();
    },

    mappingConfirmed: async (mapping, templateName, fillOrderFields = false) => {
      const { file, mapping: pending, options } = get();
      if (!file || !pending) return;
      if (templateName) {
        try {
          await api().templatesSave({ name: templateName, mapping, headers: pending.headers });
          notify(
            'success',
            `Template “${templateName}” saved: files with these headers open directly next time.`,
          );
        } catch (error) {
          notify('error', errorMessage(error));
        }
      }
      // A workbook's sheet shown in the mapping step is the one read.
      const sheet =
        pending.source?.format === 'xlsx' ? { xlsx: { sheet: pending.source.sheet } } : {};
      await get().fileChosen(file, {
        ...options,
        ...sheet,
        columnMapping: mapping,
        // Never assumed: the admin ticked it, or chose a preset that says so (issue 13).
        ...(fillOrderFields ? { fillOrderFields: true } : {}),
      });
    },

    sheetChosen: async (sheet) => {
      const { file, options } = get();
      if (file) await get().fileChosen(file, { ...options, xlsx: { sheet } });
    },

    mappingAbandoned: () => set({ ...initial, version: get().version + 1 }),

    sessionRestored: async () => {
      const view = await api().importView();
      if (view) {
        set({ phase: 'preview', total: view.counts.all });
        adopt(view);
      }
    },

    pageNeeded: async (page) => {
      const { version, filter, pages } = get();
      const key = `${version}:${filter}:${page}`;
      if (pages[page] || inFlight.has(key) || !get().view) return;
      inFlight.add(key);
      try {
        const result = await api().importRows({
          filter,
          offset: page * PAGE_SIZE,
          limit: PAGE_SIZE,
        });
        // A newer state arrived while this page travelled: it is stale.
        if (get().version !== version || get().filter !== filter) return;
        set((s) => ({ pages: { ...s.pages, [page]: result.rows }, total: result.total }));
      } catch (error) {
        inFlight.delete(key);
        notify('error', errorMessage(error));
      }
    },

    filterChanged: async (filter) => {
      inFlight.clear();
      set((s) => ({
        filter,
        pages: {},
        version: s.version + 1,
        active: { index: 0, column: s.active.column },
        selection: { rows: [], anchor: null },
      }));
      const result = await api().importRows({ filter, offset: 0, limit: PAGE_SIZE });
      if (get().filter === filter) set({ pages: { 0: result.rows }, total: result.total });
    },

    activeCellMoved: (active) => {
      const max = Math.max(0, get().total - 1);
      const columns = (get().view?.columns.length ?? 0) + 1;
      set({
        active: {
          index: Math.min(Math.max(0, active.index), max),
          column: Math.min(Math.max(0, active.column), columns - 1),
        },
        editing: false,
      });
    },

    editStarted: () => {
      if (get().view?.fileErrors.length) return;
      set({ editing: true });
    },
    editEnded: () => set({ editing: false }),

    cellEdited: async (row, column, value) => {
      let ok = false;
      await guarded(async () => {
        const view = await api().importEditCell({ row, column, value });
        set({ editing: false });
        adopt(view);
        ok = true;
      });
      return ok;
    },

    replaceRequested: (column, from) => set({ replace: { column, from } }),
    replaceClosed: () => set({ replace: null }),

    valueReplaced: async (column, from, to) => {
      await guarded(async () => {
        const { view, replaced } = await api().importReplaceAll({ column, from, to });
        set({ replace: null });
        adopt(view);
        notify('success', `Replaced in ${plural(replaced, 'row')}.`);
      });
    },

    rowsDeleted: async (rows, wholeTransactions) => {
      await guarded(async () => {
        const { view, deleted } = await api().importDeleteRows({ rows, wholeTransactions });
        const total = get().filter === 'all' ? view.counts.all : get().total;
        set({ total });
        adopt(view);
        notify(
          'info',
          `Deleted ${plural(deleted, 'row')}. Undo brings ${deleted === 1 ? 'it' : 'them'} back.`,
        );
      });
    },

    undoRequested: async () => {
      if (!get().view?.canUndo) return;
      await guarded(async () => adopt(await api().importUndo()));
    },
    redoRequested: async () => {
      if (!get().view?.canRedo) return;
      await guarded(async () => adopt(await api().importRedo()));
    },

    errorJumpRequested: async (direction) => {
      const { filter, active } = get();
      const found = await api().importFindError({ filter, after: active.index, direction });
      if (found) {
        // The error's column decides where the grid scrolls: when the row's page is not loaded
        // (a jump far down), ask main for that one row rather than keep the current column.
        const issues =
          rowAt(get().pages, found.index)?.issues ??
          (await api().importRows({ filter, offset: found.index, limit: 1 })).rows[0]?.issues ??
          [];
        const columns = get().view?.columns ?? [];
        const inGrid = (c: string | null): c is CanonicalColumn =>
          c !== null && columns.includes(c as CanonicalColumn);
        const first =
          issues.find((e) => e.severity !== 'warning' && inGrid(e.column)) ??
          issues.find((e) => inGrid(e.column));
        const position = first && inGrid(first.column) ? columns.indexOf(first.column) : -1;
        set({
          active: { index: found.index, column: position >= 0 ? position + 1 : active.column },
          editing: false,
        });
        void get().pageNeeded(Math.floor(found.index / PAGE_SIZE));
      } else {
        notify(
          'info',
          direction === 'next' ? 'No more errors below this row.' : 'No errors above this row.',
        );
      }
    },

    rowJumpRequested: async (row) => {
      const { filter } = get();
      let found = await api().importFindRow({ filter, row });
      if (!found && filter !== 'all') {
        await get().filterChanged('all');
        found = await api().importFindRow({ filter: 'all', row });
      }
      if (!found) {
        notify('info', `Row ${row} is not in this file (or was deleted).`);
        return false;
      }
      set((s) => ({ active: { index: found.index, column: s.active.column }, editing: false }));
      void get().pageNeeded(Math.floor(found.index / PAGE_SIZE));
      return true;
    },

    textFindRequested: async (text, direction) => {
      const { filter, active, view } = get();
      const found = await api().importFindText({
        filter,
        text,
        after: active.index,
        afterColumn: active.column - 1,
        direction,
      });
      if (!found) {
        notify(
          'info',
          direction === 'next'
            ? `No more cells containing “${text}” below this one.`
            : `No cells containing “${text}” above this one.`,
        );
        return false;
      }
      const position = view?.columns.indexOf(found.column) ?? -1;
      set({ active: { index: found.index, column: position + 1 }, editing: false });
      void get().pageNeeded(Math.floor(found.index / PAGE_SIZE));
      return true;
    },

    skipExistingToggled: async (skip) => {
      await guarded(async () => adopt(await api().importSetSkipExisting({ skip })));
    },

    errorsExported: async () => {
      await guarded(async () => {
        const { path, rows } = await api().importExportErrors();
        if (path) notify('success', `Exported ${plural(rows, 'error row')} to ${path}.`);
      });
    },

    fixedSaved: async () => {
      await guarded(async () => {
        const { path, rows } = await api().importSaveFixed();
        if (path) notify('success', `Saved ${plural(rows, 'row')} to ${path}.`);
      });
    },

    commitStepOpened: () => {
      if (!get().view) return;
      set({ phase: 'commit', editing: false });
      // How many rows were sent meanwhile (issue 14) changes without any action of the window's.
      const version = get().version;
      void api()
        .importView()
        .then((view) => {
          if (view && get().version === version) set({ view });
        })
        .catch(() => undefined);
    },
    previewReturned: () => {
      if (get().view) set({ phase: 'preview' });
    },
    viewReceived: (view) => adopt(view),

    fileClosed: async () => {
      await api()
        .importClose()
        .catch(() => undefined);
      inFlight.clear();
      set({ ...initial, version: get().version + 1 });
    },

    merchantChanged: () => {
      inFlight.clear();
      // Ids are per merchant: names looked up for the previous one do not apply.
      asked.clear();
      set({ ...initial, version: get().version + 1 });
    },

    // --- bulk fixes (issue 11) ----------------------------------------------------------------

    rowSelected: async (index, row, how) => {
      const { selection, active, filter, version } = get();
      if (how === 'only') {
        set({ selection: { rows: [], anchor: index } });
        return;
      }
      if (how === 'toggle') {
        const base = selection.rows.length > 0 ? selection.rows : activeRowNumber(get());
        const rows = base.includes(row) ? base.filter((r) => r !== row) : [...base, row];
        set({ selection: { rows: rows.sort((a, b) => a - b), anchor: index } });
        return;
      }
      // A range within the filter: its rows may be on pages not loaded, so main lists them.
      const anchor = selection.anchor ?? active.index;
      const [from, to] = anchor <= index ? [anchor, index] : [index, anchor];
      const { rows } = await api().importRowNumbers({ filter });
      if (get().version !== version) return;
      set({ selection: { rows: rows.slice(from, to + 1), anchor } });
    },

    allSelected: async () => {
      const { filter, version } = get();
      const { rows } = await api().importRowNumbers({ filter });
      if (get().version !== version) return;
      set({ selection: { rows, anchor: 0 } });
    },

    selectionCleared: () => set({ selection: { rows: [], anchor: null } }),

    selectionDeleted: async (wholeTransactions) => {
      const rows = get().selection.rows;
      if (rows.length === 0) return;
      await get().rowsDeleted(rows, wholeTransactions);
      await settleEmptyFilter();
    },

    problemDeleted: async (filter, wholeTransactions) => {
      await guarded(async () => {
        const result = await api().importDeleteFilter({ filter, wholeTransactions });
        adopt(result.view);
        await settleEmptyFilter();
        notify(
          'info',
          `Deleted ${plural(result.rows, 'row')}${wholeTransactions ? ` of ${plural(result.transactions, 'transaction')}` : ''}. Undo brings ${result.rows === 1 ? 'it' : 'them'} back.`,
        );
      });
    },

    leaveOutRequested: async () => {
      await guarded(async () => set({ leaveOut: await api().importLeaveOutPreview() }));
    },
    leaveOutClosed: () => set({ leaveOut: null }),
    leaveOutConfirmed: async () => {
      await guarded(async () => {
        const result = await api().importLeaveOutErrors();
        set({ leaveOut: null });
        adopt(result.view);
        await settleEmptyFilter();
        notify(
          'info',
          `Left out ${plural(result.transactions, 'transaction')} with errors (${plural(result.rows, 'row')}). Undo brings them back.`,
        );
      });
    },

    settingsChanged: async (choice) => {
      const { view } = get();
      if (!view) return;
      if (
        view.edits > 0 &&
        !window.confirm(
          `Reading the file again with these settings drops your ${plural(view.edits, 'change')}. Read it again?`,
        )
      )
        return;
      const options: ParseOptions = {
        ...(choice.source.format === 'csv'
          ? {
              csv: {
                ...(choice.source.encoding ? { encoding: choice.source.encoding } : {}),
                delimiter: choice.source.delimiter,
              },
            }
          : { xlsx: { sheet: choice.source.sheet } }),
        decimalComma: choice.decimalComma,
        dateFormat: choice.dateFormat,
        ...(choice.timeZone ? { timeZone: choice.timeZone } : {}),
        ...(choice.fillOrderFields ? { fillOrderFields: true } : {}),
      };
      set({ busy: true });
      try {
        const result = await api().importReparse({ options });
        if (result.kind === 'opened') {
          inFlight.clear();
          set((s) => ({
            filter: 'all',
            active: { index: 0, column: s.active.column },
            settings: null,
            total: result.view.counts.all,
          }));
          adopt(result.view);
          notify('success', `Read again: ${plural(result.view.counts.errors, 'row')} with errors.`);
        } else if (result.kind === 'needs-mapping') {
          set({ phase: 'mapping', mapping: result, progress: null });
        }
      } catch (error) {
        notify('error', errorMessage(error));
      } finally {
        set({ busy: false, progress: null });
      }
    },

    idLabelsNeeded: async (kind, ids) => {
      const known = get().idLabels;
      const wanted = [...new Set(ids.map((i) => i.trim().toLowerCase()))].filter(
        (i) => i && !(i in known) && !asked.has(`${kind}:${i}`),
      );
      if (wanted.length === 0) return;
      for (const i of wanted) asked.add(`${kind}:${i}`);
      try {
        const { labels } = await api().importIdLabels({ kind, ids: wanted.slice(0, 200) });
        if (labels.length === 0) return;
        set((s) => {
          const next = { ...s.idLabels };
          for (const l of labels) next[l.id.toLowerCase()] = l;
          return { idLabels: next };
        });
      } catch {
        // Names are a convenience: the ids stay on screen.
      }
    },
  };

  /** After a bulk action emptied the shown filter, show what is left rather than nothing. */
  async function settleEmptyFilter(): Promise<void> {
    const { filter, view } = get();
    if (filter === 'all' || !view) return;
    const { total } = await api().importRows({ filter, offset: 0, limit: 1 });
    if (total === 0) await get().filterChanged(view.counts.errors > 0 ? 'errors' : 'all');
  }
});

// Ids already asked about (found or not), so scrolling does not ask twice.
const asked = new Set<string>();

function activeRowNumber(state: {
  pages: Record<number, GridRow[]>;
  active: ActiveCell;
}): number[] {
  const row = rowAt(state.pages, state.active.index);
  return row ? [row.row] : [];
}

/** The row at a position of the current filter, if its page is loaded. */
export function rowAt(pages: Record<number, GridRow[]>, index: number): GridRow | undefined {
  const page = pages[Math.floor(index / PAGE_SIZE)];
  return page?.[index % PAGE_SIZE];
}
