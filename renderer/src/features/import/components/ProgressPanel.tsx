import { formatBytes, formatCount } from '../../../lib/format';
import { useImportStore } from '../store';

export function ProgressPanel(): React.JSX.Element {
  const progress = useImportStore((s) => s.progress);
  const file = useImportStore((s) => s.file);
  const openCancelled = useImportStore((s) => s.openCancelled);
  const fraction =
    progress && progress.phase === 'reading' && progress.totalBytes > 0
      ? progress.bytesRead / progress.totalBytes
      : null;
  const name = progress?.fileName ?? file?.name ?? 'the file';
  return (
    <div className="progress-panel" aria-busy="true">
      <h1>Reading {name}</h1>
      <div
        className="progress"
        role="progressbar"
        aria-label="Reading the file"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={fraction === null ? undefined : Math.round(fraction * 100)}
      >
        <div
          className={`progress-bar ${fraction === null ? 'progress-bar--indeterminate' : ''}`}
          style={fraction === null ? undefined : { width: `${(fraction * 100).toFixed(1)}%` }}
        />
      </div>
      <p className="status-line" role="status">
        {progress?.phase === 'checking'
          ? `Checking ${formatCount(progress.rows)} rows against the database…`
          : progress && progress.totalBytes > 0
            ? `${formatCount(progress.rows)} rows · ${formatBytes(progress.bytesRead)} of ${formatBytes(progress.totalBytes)}`
            : 'Starting…'}
      </p>
      <button type="button" className="button" onClick={() => void openCancelled()}>
        Cancel
      </button>
    </div>
  );
}
