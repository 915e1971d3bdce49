import { create } from 'zustand';
import type { BatchDetail, BatchStatus, BatchSummary } from '../../../../shared/db/rpc-contract';
import type { RecheckView } from '../../../../shared/ipc/contract';
import { api, errorMessage } from '../../lib/api';
import { notify } from '../shell/store';

export const HISTORY_PAGE = 20;

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
  acting: 'recheck' | 'retry' | 'export' | null;
  opened(): Promise<void>;
  statusChanged(status: BatchStatus | null): Promise<void>;
  searchChanged(search: string): void;
  searchSubmitted(): Promise<void>;
  pageChanged(page: number): Promise<void>;
  batchSelected(id: string): Promise<void>;
  recheckRequested(): Promise<void>;
  retryRequested(): Promise<void>;
  errorsExported(): Promise<void>;
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
    kind: 'recheck' | 'retry' | 'export',
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
    acting: null,
    opened: load,
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
      set({ selectedId: id, detailLoading: true, recheck: null });
      try {
        const detail = await api().batchesGet({ id });
        if (get().selectedId === id) set({ detail });
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
            : `${recheck.resolved.length} of ${recheck.before.length} errors are resolved; ${recheck.stillFailing.length} remain.`,
        );
      });
    },
    retryRequested: async () => {
      const id = get().selectedId;
      if (!id) return;
      await act('retry', async () => {
        const detail = await api().batchesRetry({ id });
        set({ detail, recheck: null });
        notify(
          detail.status === 'completed' ? 'success' : 'error',
          detail.status === 'completed'
            ? `Retry succeeded: ${detail.importedPurchases} purchases imported.`
            : `Retry failed: ${detail.errorMessage ?? 'see the errors below'}.`,
        );
        await load();
      });
    },
    errorsExported: async () => {
      const id = get().selectedId;
      if (!id) return;
      await act('export', async () => {
        const { path, rows } = await api().batchesExportErrors({ id });
        if (path) notify('success', `Exported ${rows} errors to ${path}.`);
      });
    },
    merchantChanged: () =>
      set({ batches: [], total: 0, page: 0, selectedId: null, detail: null, recheck: null }),
  };
});
