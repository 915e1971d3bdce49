import { useEffect, useState } from 'react';
import { useImportStore } from '../features/import/store';
import { useShellStore } from '../features/shell/store';
import { notify } from '../lib/toasts';
import { api, errorMessage } from '../lib/api';

/**
 * Dropping a file anywhere on the window opens it: the preload resolves the dropped File and
 * main records it as a handle (the page never sees or sends its path).
 */
export function useFileDrop(): boolean {
  const [dragging, setDragging] = useState(false);
  useEffect(() => {
    let depth = 0;
    const hasFiles = (event: DragEvent): boolean =>
      Array.from(event.dataTransfer?.types ?? []).includes('Files');
    const onEnter = (event: DragEvent): void => {
      if (!hasFiles(event)) return;
      depth++;
      setDragging(true);
    };
    const onLeave = (): void => {
      depth = Math.max(0, depth - 1);
      if (depth === 0) setDragging(false);
    };
    const onOver = (event: DragEvent): void => {
      // Without this the drop would navigate the window to the file.
      event.preventDefault();
    };
    const opened = async (file: File): Promise<void> => {
      try {
        const ref = await api().fileDropped(file);
        if (!ref) {
          notify(
            'error',
            'That item has no file on disk: drop a CSV file or Excel workbook (.xlsx) from a folder.',
          );
          return;
        }
        useShellStore.getState().screenChosen('import');
        await useImportStore.getState().fileChosen(ref);
      } catch (error) {
        notify('error', errorMessage(error));
      }
    };
    const onDrop = (event: DragEvent): void => {
      event.preventDefault();
      depth = 0;
      setDragging(false);
      const file = event.dataTransfer?.files[0];
      if (file) void opened(file);
    };
    window.addEventListener('dragenter', onEnter);
    window.addEventListener('dragleave', onLeave);
    window.addEventListener('dragover', onOver);
    window.addEventListener('drop', onDrop);
    return () => {
      window.removeEventListener('dragenter', onEnter);
      window.removeEventListener('dragleave', onLeave);
      window.removeEventListener('dragover', onOver);
      window.removeEventListener('drop', onDrop);
    };
  }, []);
  return dragging;
}
