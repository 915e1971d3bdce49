import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CommitResult, SessionView } from '../../../shared/ipc/contract';
import { useCommitStore } from '../features/commit/store';
import { useImportStore } from '../features/import/store';
import { coordinateFeatures } from './coordinate-features';

const result = { outcome: 'completed', batch: null, message: 'Imported.', durationMs: 5 };
const view = { sessionId: 's1' } as unknown as SessionView;

describe('coordinateFeatures', () => {
  const viewReceived = vi.fn();
  const initialImport = useImportStore.getState();
  const initialCommit = useCommitStore.getState();
  beforeEach(() => {
    vi.stubGlobal('window', {
      api: {
        importCommit: () => Promise.resolve(result as CommitResult),
        importView: () => Promise.resolve(view),
      },
    });
    useImportStore.setState({ viewReceived });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
    viewReceived.mockReset();
    useImportStore.setState(initialImport, true);
    useCommitStore.setState(initialCommit, true);
  });

  it('the commit store on its own leaves the import store alone', async () => {
    await useCommitStore.getState().commitStarted();
    expect(useCommitStore.getState().result).toEqual(result);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(viewReceived).not.toHaveBeenCalled();
  });

  it('a finished commit hands the file’s new view to the import feature', async () => {
    const stop = coordinateFeatures();
    try {
      await useCommitStore.getState().commitStarted();
      await vi.waitFor(() => expect(viewReceived).toHaveBeenCalledWith(view));
    } finally {
      stop();
    }
  });
});
