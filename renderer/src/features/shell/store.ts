import { create } from 'zustand';

export type Screen = 'connection' | 'import' | 'history';

interface ShellState {
  screen: Screen;
  screenChosen(screen: Screen): void;
}

export const useShellStore = create<ShellState>()((set) => ({
  screen: 'import',
  screenChosen: (screen) => set({ screen }),
}));
