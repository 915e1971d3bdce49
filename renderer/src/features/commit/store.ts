import { create } from 'zustand';
import type { CommitProgressEvent, CommitResult } from '../../../../shared/ipc/contract';
import { api, errorMessage } from '../../lib/api';

type CommitPhase = 'ready' | 'running' | 'done';

// The commit feature's own state. It knows nothing of the other features' stores: what follows a
// commit elsewhere (the import's view refreshed) is wired by the app (app/coordinate-features.ts).

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
  /** Another file was opened: a fresh form named after it. */
  fileOpened(defaultName: string): void;
  /** "Back" after a refused or cancelled import: the form again, with its name. */
  resultDismissed(): void;
}

const fresh = {
  phase: 'ready',
  progress: null,
  result: null,
  error: null,
  cancelling: false,
} as const satisfies Partial<CommitState>;

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
  fileOpened: (defaultName) => set({ ...fresh, name: defaultName }),
  resultDismissed: () => set(fresh),
}));
