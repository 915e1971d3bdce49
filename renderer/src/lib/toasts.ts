import { create } from 'zustand';

// Short messages at the corner of the window, for every feature: any store says what happened
// with notify(); the Toasts component shows them. App-wide like api(), so no feature imports
// another feature to speak to the user.

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  text: string;
}

interface ToastState {
  toasts: Toast[];
  toastShown(kind: Toast['kind'], text: string): void;
  toastDismissed(id: number): void;
}

let nextId = 1;

export const useToastStore = create<ToastState>()((set, get) => ({
  toasts: [],
  toastShown: (kind, text) => {
    const id = nextId++;
    set({ toasts: [...get().toasts.slice(-3), { id, kind, text }] });
    // Errors stay until dismissed: they say what to do next.
    if (kind !== 'error') setTimeout(() => get().toastDismissed(id), 5000);
  },
  toastDismissed: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

export const notify = (kind: Toast['kind'], text: string): void =>
  useToastStore.getState().toastShown(kind, text);
