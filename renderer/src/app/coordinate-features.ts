import { useCommitStore } from '../features/commit/store';
import { useImportStore } from '../features/import/store';
import { api } from '../lib/api';

/**
 * What one feature's event means for another, wired here once so that no feature store imports
 * another: a finished commit (completed, refused or cancelled) changes the open file's view (a
 * committed file cannot be imported twice), so the import feature receives it again.
 * Returns the unsubscribe.
 */
export function coordinateFeatures(): () => void {
  return useCommitStore.subscribe((state, previous) => {
    if (state.result && state.result !== previous.result) {
      void api()
        .importView()
        .then((view) => {
          if (view) useImportStore.getState().viewReceived(view);
        })
        .catch(() => undefined);
    }
  });
}
