import { useEffect } from 'react';
import type { MenuCommand } from '../../../shared/ipc/contract';
import { useImportStore } from '../features/import/store';
import { useShellStore } from '../features/shell/store';
import { api } from '../lib/api';

/** Runs application-menu commands through the same actions as the on-screen buttons. */
export function runCommand(command: MenuCommand): void {
  const shell = useShellStore.getState();
  const imports = useImportStore.getState();
  const inPreview = imports.phase === 'preview' || imports.phase === 'commit';
  switch (command) {
    case 'open':
      shell.screenChosen('import');
      void imports.openRequested();
      return;
    case 'commit':
      if (inPreview) {
        shell.screenChosen('import');
        imports.commitStepOpened();
      }
      return;
    case 'export-errors':
      if (inPreview) void imports.errorsExported();
      return;
    case 'save-fixed':
      if (inPreview) void imports.fixedSaved();
      return;
    case 'find':
      shell.screenChosen('import');
      // The grid toolbar's Find field; focus after the screen is shown.
      setTimeout(() => {
        const field = document.getElementById('find-text');
        if (field instanceof HTMLInputElement) {
          field.focus();
          field.select();
        }
      }, 0);
      return;
    case 'next-error':
      if (inPreview) void imports.errorJumpRequested('next');
      return;
    case 'undo':
      if (inPreview) void imports.undoRequested();
      return;
    case 'redo':
      if (inPreview) void imports.redoRequested();
      return;
    case 'history':
      shell.screenChosen('history');
      return;
    case 'connection':
      shell.screenChosen('connection');
      return;
    case 'import':
      shell.screenChosen('import');
      return;
  }
}

export function useMenuCommands(): void {
  useEffect(() => api().onMenu(({ command }) => runCommand(command)), []);
}
