import { create } from 'zustand';
import type {
  BatchDetail,
  BatchOverview,
  BatchStatus,
  BatchSummary,
  RemoteRowError,
} from '../../../../shared/db/rpc-contract';
import type { BatchActionResult, RecheckView } from '../../../../shared/ipc/contract';
import { api, errorMessage } from '../../lib/api';
import { notify, type Toast } from '../../lib/toasts';

export const HISTORY_PAGE = 20;
/** Row errors per page in the batch detail. */
export const ERRORS_PAGE = 100;

/** Which of a batch's row errors are shown: all, one cause (code), or one value of it. */
export interface ErrorFilter {
  code: string | null;
  value: string | null;
}

interface ErrorsView {
  filter: ErrorFilter;
  errors: RemoteRowError[];
  /** Errors the filter matches in all. */
  total: number;
  /** Keys of the pages shown so far (null: the first page); the last is the current one. */
  cursors: ({ row: number; column: string } | null)[];
  next: { row: number; column: string } | null;
  loading: boolean;
}

interface HistoryState {
  status: BatchStatus | null;
  search: string;
  page: number;
  batches: BatchSummary[];
  total: number;
  loading: boolean;
  error: string | null;
  selectedId: string | null;
  detail: BatchDetail | null;
  detailLoading: boolean;
  recheck: RecheckView | null;
  /** The merchant's imports over the chosen period (from the database). */
  overview: BatchOverview | null;
  overviewDays: number;
  /** The row errors on show in the detail, a page at a time. */
  errorsView: ErrorsView | null;
  acting: 'recheck' | 'retry' | 'cancel' | 'export' | null;
  opened(): Promise<void>;
  statusChanged(status: BatchStatus | null): Promise<void>;
  searchChanged(search: string): void;
  searchSubmitted(): Promise<void>;
  pageChanged(page: number): Promise<void>;
  batchSelected(id: string): Promise<void>;
  recheckRequested(): Promise<void>;
  retryRequested(): Promise<void>;
  cancelRequested(): Promise<void>;
  errorsExported(): Promise<void>;
  auditExported(): Promise<void>;
  errorFilterChosen(filter: ErrorFilter): Promise<void>;
  errorsPaged(direction: 'next' | 'previous' | 'first'): Promise<void>;
  overviewPeriodChosen(days: number): Promise<void>;
  merchantChanged(): void;
}

export const useHistoryStore = create<HistoryState>()((set, get) => {
  const load = async (): Promise<void> => {
    const { status, search, page } = get();
    set({ loading: true, error: null });
    try {
      const result = await api().batchesList({
        status,
        search: search.trim() || null,
        limit: HISTORY_PAGE,
        offset: page * HISTORY_PAGE,
      });
      set({ batches: result.batches, total: result.total });
    } catch (error) {
      set({ error: errorMessage(error), batches: [], total: 0 });
    } finally {
      set({ loading: false });
    }
  };
  const act = async (
    kind: 'recheck' | 'retry' | 'cancel' | 'export',
    work: () => Promise<void>,
  ): Promise<void> => {
    set({ acting: kind });
    try {
      await work();
    } catch (error) {
      notify('error', errorMessage(error));
    } finally {
      set({ acting: null });
    }
  };
  /** Retry or cancel of the chosen batch: its new state shown, the outcome in main's words (the
   *  sentence the command line prints too), the list reloaded. */
  const batchAction = async (
    kind: 'retry' | 'cancel',
    call: (id: string) => Promise<BatchActionResult>,
    level: (detail: BatchDetail) => Toast['kind'],
  ): Promise<void> => {
    const id = get().selectedId;
    if (!id) return;
    await act(kind, async () => {
      const { batch: detail, message } = await call(id);
      set({ detail, recheck: null });
      notify(level(detail), message);
      await load();
    });
  };
  const loadOverview = async (): Promise<void> => {
    try {
      set({ overview: await api().batchesOverview({ days: get().overviewDays }) });
    } catch {
      set({ overview: null }); // the list says what is wrong; the overview is a summary of it
    }
  };
  const loadErrors = async (filter: ErrorFilter, cursors: ErrorsView['cursors']): Promise<void> => {
    const id = get().selectedId;
    if (!id) return;
    const after = cursors[cursors.length - 1] ?? null;
    set((state) => ({
      errorsView: state.errorsView ? { ...state.errorsView, loading: true } : null,
    }));
    try {
      const page = await api().batchesErrors({
        id,
        code: filter.code,
        value: filter.value,
        after,
        limit: ERRORS_PAGE,
      });
      if (get().selectedId !== id) return;
      set({
        errorsView: {
          filter,
          errors: page.errors,
          total: page.total,
          cursors,
          next: page.next,
          loading: false,
        },
      });
    } catch (error) {
      notify('error', errorMessage(error));
      set((state) => ({
        errorsView: state.errorsView ? { ...state.errorsView, loading: false } : null,
      }));
    }
  };
  return {
    status: null,
    search: '',
    page: 0,
    batches: [],
    total: 0,
    loading: false,
    error: null,
    selectedId: null,
    detail: null,
    detailLoading: false,
    recheck: null,
    errorsView: null,
    overview: null,
    overviewDays: 30,
    acting: null,
    opened: async () => {
      await Promise.all([load(), loadOverview()]);
    },
    overviewPeriodChosen: async (days) => {
      set({ overviewDays: days });
      await loadOverview();
    },
    statusChanged: async (status) => {
      set({ status, page: 0 });
      await load();
    },
    searchChanged: (search) => set({ search }),
    searchSubmitted: async () => {
      set({ page: 0 });
      await load();
    },
    pageChanged: async (page) => {
      set({ page });
      await load();
    },
    batchSelected: async (id) => {
      set({ selectedId: id, detailLoading: true, recheck: null, errorsView: null });
      try {
        const detail = await api().batchesGet({ id, errorsLimit: ERRORS_PAGE, errorsOffset: 0 });
        if (get().selectedId === id) {
          const last = detail.errors[detail.errors.length - 1];
          set({
            detail,
            errorsView: {
              filter: { code: null, value: null },
              errors: detail.errors,
              total: detail.errorCount,
              cursors: [null],
              next:
                last && detail.errors.length < detail.errorCount
                  ? { row: last.row, column: last.column ?? '' }
                  : null,
              loading: false,
            },
          });
        }
      } catch (error) {
        notify('error', errorMessage(error));
      } finally {
        set({ detailLoading: false });
      }
    },
    recheckRequested: async () => {
      const id = get().selectedId;
      if (!id) return;
      await act('recheck', async () => {
        const recheck = await api().batchesRecheck({ id });
        set({ recheck });
        notify(
          recheck.ok ? 'success' : 'info',
          recheck.ok
            ? 'Re-check passed: every error is resolved. The batch can be retried.'
            : `Re-check: ${recheck.summary ?? 'errors remain'}.`,
        );
      });
    },
    retryRequested: () =>
      batchAction(
        'retry',
        (id) => api().batchesRetry({ id }),
        (detail) => (detail.status === 'completed' ? 'success' : 'error'),
      ),
    cancelRequested: () =>
      batchAction(
        'cancel',
        (id) => api().batchesCancel({ id }),
        (detail) => (detail.status === 'cancelled' ? 'success' : 'info'),
      ),
    errorsExported: async () => {
      const id = get().selectedId;
      if (!id) return;
      await act('export', async () => {
        const { path, rows } = await api().batchesExportErrors({ id });
        if (path) notify('success', `Exported ${rows} errors to ${path}.`);
      });
    },
    auditExported: async () => {
      const id = get().selectedId;
      if (!id) return;
      await act('export', async () => {
        const { path, rows } = await api().batchesExportAudit({ id });
        if (path) notify('success', `Exported ${rows} changes to ${path}.`);
      });
    },
    errorFilterChosen: (filter) => loadErrors(filter, [null]),
    errorsPaged: async (direction) => {
      const view = get().errorsView;
      if (!view) return;
      if (direction === 'first') return loadErrors(view.filter, [null]);
      if (direction === 'previous') {
        if (view.cursors.length > 1) await loadErrors(view.filter, view.cursors.slice(0, -1));
        return;
      }
      if (view.next) await loadErrors(view.filter, [...view.cursors, view.next]);
    },
    merchantChanged: () =>
      set({
        batches: [],
        total: 0,
        page: 0,
        selectedId: null,
        detail: null,
        recheck: null,
        errorsView: null,
        overview: null,
      }),
  };
});
