import { useEffect, useState } from 'react';
import type { ImportProgress } from '../../../../../shared/ipc/contract';
import { formatBytes, formatCount } from '../../../lib/format';
import { useImportStore } from '../store';

type Phase = ImportProgress['phase'];

/** The panel's heading names what is happening now, not only the first thing that happened. */
const HEADING: Record<Phase, string> = {
  reading: 'Reading',
  analysing: 'Checking',
  checking: 'Checking',
  preparing: 'Opening',
  done: 'Opening',
};

/** Seconds since the phase began, ticking: a bar that cannot move still shows time passing. */
function useElapsed(since: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return Math.max(0, Math.floor((now - since) / 1000));
}

export function statusText(progress: ImportProgress | null, elapsed: number): string {
  const after = elapsed >= 1 ? ` (${elapsed} s)` : '';
  if (!progress) return 'Starting…';
  const rows = `${formatCount(progress.rows)} row${progress.rows === 1 ? '' : 's'}`;
  switch (progress.phase) {
    case 'reading':
      return progress.totalBytes > 0
        ? `${rows} · ${formatBytes(progress.bytesRead)} of ${formatBytes(progress.totalBytes)}`
        : 'Starting…';
    case 'analysing':
      return `All ${rows} read: grouping purchases and checking the file's rules…${after}`;
    case 'checking':
      return `Checking ${rows} against the database…${after}`;
    case 'preparing':
    case 'done':
      return `Preparing the grid for ${rows}…${after}`;
  }
}

export function ProgressPanel(): React.JSX.Element {
  const progress = useImportStore((s) => s.progress);
  const file = useImportStore((s) => s.file);
  const openCancelled = useImportStore((s) => s.openCancelled);
  const elapsed = useElapsed(useImportStore((s) => s.progressSince));
  const fraction =
    progress && progress.phase === 'reading' && progress.totalBytes > 0
      ? progress.bytesRead / progress.totalBytes
      : null;
  const name = progress?.fileName ?? file?.name ?? 'the file';
  const heading = HEADING[progress?.phase ?? 'reading'];
  return (
    <div className="progress-panel" aria-busy="true">
      <h1>
        {heading} {name}
      </h1>
      <div
        className="progress"
        role="progressbar"
        aria-label={`${heading} the file`}
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
        {statusText(progress, elapsed)}
      </p>
      <button type="button" className="button" onClick={() => void openCancelled()}>
        Cancel
      </button>
    </div>
  );
}
