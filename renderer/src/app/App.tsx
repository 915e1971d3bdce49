import { useEffect, useMemo } from 'react';
import { CommitProgressListener } from '../features/commit/components/CommitProgressListener';
import { ConnectionBadge } from '../features/connection/components/ConnectionBadge';
import { ConnectionScreen } from '../features/connection/components/ConnectionScreen';
import { useConnectionStore } from '../features/connection/store';
import { HistoryScreen } from '../features/history/components/HistoryScreen';
import { useHistoryStore } from '../features/history/store';
import { ImportScreen } from '../features/import/components/ImportScreen';
import { useImportStore } from '../features/import/store';
import { Toasts } from '../features/shell/components/Toasts';
import { useShellStore, type Screen } from '../features/shell/store';
import { AccessContext, accessOf } from '../lib/access';
import { api } from '../lib/api';
import { CommitStepContainer } from './CommitStepContainer';
import { coordinateFeatures } from './coordinate-features';
import { useFileDrop } from './use-file-drop';
import { useMenuCommands } from './use-menu-commands';

const SCREENS: { id: Screen; label: string }[] = [
  { id: 'connection', label: 'Connection' },
  { id: 'import', label: 'Import' },
  { id: 'history', label: 'History' },
];

export function App(): React.JSX.Element {
  const screen = useShellStore((s) => s.screen);
  const screenChosen = useShellStore((s) => s.screenChosen);
  const started = useConnectionStore((s) => s.started);
  const stateReceived = useConnectionStore((s) => s.stateReceived);
  const progressReceived = useImportStore((s) => s.progressReceived);
  const sessionRestored = useImportStore((s) => s.sessionRestored);
  const connection = useConnectionStore((s) => s.state);
  // Every feature reads what the user may do from here, never from the connection's store.
  const access = useMemo(() => accessOf(connection), [connection]);
  const dragging = useFileDrop();
  useMenuCommands();

  useEffect(() => {
    void started();
    void sessionRestored();
    let merchant: string | null = null;
    const offConnection = api().onConnectionChanged((state) => {
      stateReceived(state);
      if (state.merchantId !== merchant) {
        // Previews and history belong to one merchant.
        if (merchant !== null) {
          useImportStore.getState().merchantChanged();
          useHistoryStore.getState().merchantChanged();
        }
        merchant = state.merchantId;
      }
    });
    const offProgress = api().onImportProgress(progressReceived);
    const offCoordination = coordinateFeatures();
    return () => {
      offConnection();
      offProgress();
      offCoordination();
    };
  }, [started, stateReceived, progressReceived, sessionRestored]);

  return (
    <AccessContext.Provider value={access}>
      <div className="app">
        <header className="app-header">
          <div className="brand">
            <span className="brand-mark" aria-hidden="true" />
            <span className="brand-name">Purchase Import Console</span>
          </div>
          <nav className="tabs" aria-label="Screens">
            {SCREENS.map((s) => (
              <button
                key={s.id}
                type="button"
                className="tab"
                aria-current={screen === s.id ? 'page' : undefined}
                onClick={() => screenChosen(s.id)}
              >
                {s.label}
              </button>
            ))}
          </nav>
          <ConnectionBadge onOpen={() => screenChosen('connection')} />
        </header>
        <main className="app-main" id="main">
          {screen === 'connection' && <ConnectionScreen />}
          {screen === 'import' && (
            <ImportScreen
              connected={access.connected}
              canPreview={access.permissions.preview}
              onOpenConnection={() => screenChosen('connection')}
              onOpenHistory={() => screenChosen('history')}
              commitStep={<CommitStepContainer />}
            />
          )}
          {screen === 'history' && (
            <HistoryScreen onOpenConnection={() => screenChosen('connection')} />
          )}
        </main>
        {dragging && (
          <div className="drop-overlay" role="presentation">
            <div className="drop-overlay-box">
              Drop the CSV file or Excel workbook (.xlsx) to open it
            </div>
          </div>
        )}
        <CommitProgressListener />
        <Toasts />
      </div>
    </AccessContext.Provider>
  );
}
