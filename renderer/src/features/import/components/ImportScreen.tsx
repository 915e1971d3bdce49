import { useImportStore } from '../store';
import { MappingStep } from './MappingStep';
import { OpenPanel } from './OpenPanel';
import { Preview } from './Preview';
import { ProgressPanel } from './ProgressPanel';
import { Steps } from './Steps';

/** What the import screen needs from the rest of the app, passed down by App. */
export interface ImportScreenProps {
  connected: boolean;
  /** The signed-in user's role may preview (and so import) files. */
  canPreview: boolean;
  onOpenConnection(): void;
  onOpenHistory(): void;
  /** The last step, the commit feature's (the app wires it). */
  commitStep: React.ReactNode;
}

export function ImportScreen({
  connected,
  canPreview,
  onOpenConnection,
  onOpenHistory,
  commitStep,
}: ImportScreenProps): React.JSX.Element {
  const phase = useImportStore((s) => s.phase);

  if (!connected && phase === 'idle') {
    return (
      <div className="screen">
        <div className="empty">
          <h1>Connect to a database first</h1>
          <p>
            Imports are checked against the merchant’s users, SKUs and past imports, so the app
            needs a connection. The built-in sandbox works offline.
          </p>
          <button type="button" className="button button--primary" onClick={onOpenConnection}>
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
          <button type="button" className="button button--primary" onClick={onOpenHistory}>
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
      {phase === 'commit' && commitStep}
    </div>
  );
}
