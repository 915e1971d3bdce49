import { create } from 'zustand';

export type Screen = 'connection' | 'import' | 'history';

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
}

interface ShellState {
  screen: Screen;
  toasts: Toast[];
  screenChosen(screen: Screen): void;
  toastShown(kind: Toast['kind'], text: string): void;
  toastDismissed(id: number): void;
}

let nextId = 1;

export const useShellStore = create<ShellState>()((set, get) => ({
  screen: 'import',
  toasts: [],
  screenChosen: (screen) => set({ screen }),
  toastShown: (kind, text) => {
    const id = nextId++;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, text }] });
    // Errors stay until dismissed: they say what to do next.
    if (kind !== 'error') setTimeout(() => get().toastDismissed(id), 5000);
  },
  toastDismissed: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

export const notify = (kind: Toast['kind'], text: string): void =>
  useShellStore.getState().toastShown(kind, text);
