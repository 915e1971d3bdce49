import { CommitStep } from '../../commit/components/CommitStep';
import { useConnectionStore } from '../../connection/store';
import { useShellStore } from '../../shell/store';
import { useImportStore } from '../store';
import { MappingStep } from './MappingStep';
import { OpenPanel } from './OpenPanel';
import { Preview } from './Preview';
import { ProgressPanel } from './ProgressPanel';
import { Steps } from './Steps';

export function ImportScreen(): React.JSX.Element {
  const phase = useImportStore((s) => s.phase);
  const status = useConnectionStore((s) => s.state?.status ?? 'disconnected');
  const canPreview = useConnectionStore((s) => s.state?.permissions.preview ?? false);
  const screenChosen = useShellStore((s) => s.screenChosen);

  if (status !== 'connected' && phase === 'idle') {
    return (
      <div className="screen">
        <div className="empty">
          <h1>Connect to a database first</h1>
          <p>
            Imports are checked against the merchant’s users, SKUs and past imports, so the app
            needs a connection. The built-in sandbox works offline.
          </p>
          <button
            type="button"
            className="button button--primary"
            onClick={() => screenChosen('connection')}
          >
            Open the Connection screen
          </button>
        </div>
      </div>
    );
  }
  if (!canPreview && phase === 'idle') {
    return (
      <div className="screen">
        <div className="empty">
          <h1>Your role cannot import here</h1>
          <p>
            Support staff review and retry batches from History. Operators and admins import files;
            ask an admin of this merchant if you need to.
          </p>
          <button
            type="button"
            className="button button--primary"
            onClick={() => screenChosen('history')}
          >
            Open History
          </button>
        </div>
      </div>
    );
  }
  return (
    <div className="screen import-screen">
      <Steps />
      {phase === 'idle' && <OpenPanel />}
      {phase === 'opening' && <ProgressPanel />}
      {phase === 'mapping' && <MappingStep />}
      {phase === 'preview' && <Preview />}
      {phase === 'commit' && <CommitStep />}
    </div>
  );
}
