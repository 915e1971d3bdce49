import { create } from 'zustand';
import type { CanonicalColumn, ParseOptions } from '../../../../shared/domain/types';
import type {
  FileRef,
  GridRow,
  ImportProgress,
  NeedsMapping,
  RowFilter,
  SessionView,
} from '../../../../shared/ipc/contract';
import { api, errorMessage } from '../../lib/api';
import { notify } from '../shell/store';

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
  openRequested(): Promise<void>;
  fileChosen(file: FileRef, options?: ParseOptions): Promise<void>;
  recentRequested(): Promise<void>;
  progressReceived(progress: ImportProgress): void;
  openCancelled(): Promise<void>;
  mappingConfirmed(
    mapping: Partial<Record<CanonicalColumn, string>>,
    templateName: string | null,
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
}

const initial = {
  phase: 'idle' as ImportPhase,
  file: null,
  options: {},
  progress: null,
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
    }));
    inFlight.clear();
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
      if (get().phase === 'opening') set({ progress });
    },

    openCancelled: async () => {
      await api().importCancelOpen();
    },

    mappingConfirmed: async (mapping, templateName) => {
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
      await get().fileChosen(file, { ...options, columnMapping: mapping });
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
        notify('success', `Replaced in ${replaced === 1 ? '1 row' : `${replaced} rows`}.`);
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
          `Deleted ${deleted === 1 ? '1 row' : `${deleted} rows`}. Undo brings ${deleted === 1 ? 'it' : 'them'} back.`,
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
        const issues = get().pages[Math.floor(found.index / PAGE_SIZE)]?.find(
          (r) => r.index === found.index,
        )?.issues;
        const columns = get().view?.columns ?? [];
        const column = issues?.[0]?.column;
        const position = column ? columns.indexOf(column as CanonicalColumn) : -1;
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
        if (path)
          notify(
            'success',
            `Exported ${rows === 1 ? '1 error row' : `${rows} error rows`} to ${path}.`,
          );
      });
    },

    fixedSaved: async () => {
      await guarded(async () => {
        const { path, rows } = await api().importSaveFixed();
        if (path) notify('success', `Saved ${rows === 1 ? '1 row' : `${rows} rows`} to ${path}.`);
      });
    },

    commitStepOpened: () => {
      if (get().view) set({ phase: 'commit', editing: false });
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
      set({ ...initial, version: get().version + 1 });
    },
  };
});

/** The row at a position of the current filter, if its page is loaded. */
export function rowAt(pages: Record<number, GridRow[]>, index: number): GridRow | undefined {
  const page = pages[Math.floor(index / PAGE_SIZE)];
  return page?.[index % PAGE_SIZE];
}
