import { create } from 'zustand';
import type { CommitProgressEvent, CommitResult } from '../../../../shared/ipc/contract';
import { api, errorMessage } from '../../lib/api';
import { useImportStore } from '../import/store';

type CommitPhase = 'ready' | 'running' | 'done';

interface CommitState {
  phase: CommitPhase;
  name: string;
  progress: CommitProgressEvent | null;
  /** When the current progress phase began (ms since the epoch), for its elapsed time. */
  progressSince: number;
  result: CommitResult | null;
  error: string | null;
  cancelling: boolean;
  nameChanged(name: string): void;
  commitStarted(): Promise<void>;
  progressReceived(progress: CommitProgressEvent): void;
  cancelRequested(): Promise<void>;
  reset(defaultName: string): void;
}

export const useCommitStore = create<CommitState>()((set, get) => ({
  phase: 'ready',
  name: '',
  progress: null,
  progressSince: 0,
  result: null,
  error: null,
  cancelling: false,
  nameChanged: (name) => set({ name }),
  commitStarted: async () => {
    if (get().phase === 'running') return;
    set({ phase: 'running', progress: null, result: null, error: null, cancelling: false });
    try {
      const result = await api().importCommit({ name: get().name });
      set({ phase: 'done', result });
      const view = await api().importView();
      if (view) useImportStore.getState().viewReceived(view);
    } catch (error) {
      set({ phase: 'ready', error: errorMessage(error) });
    } finally {
      set({ cancelling: false });
    }
  },
  progressReceived: (progress) => {
    if (get().phase !== 'running') return;
    const phaseChanged = get().progress?.phase !== progress.phase;
    set(phaseChanged ? { progress, progressSince: Date.now() } : { progress });
  },
  cancelRequested: async () => {
    set({ cancelling: true });
    await api().importCancelCommit();
  },
  reset: (defaultName) =>
    set({
      phase: 'ready',
      name: defaultName,
      progress: null,
      result: null,
      error: null,
      cancelling: false,
    }),
}));
