import { useEffect, useState } from 'react';
import type { AuditTrail, SessionView } from '../../../../../shared/ipc/contract';
import { api } from '../../../lib/api';
import { formatCents, formatCount, formatDay, formatDuration, plural } from '../../../lib/format';
import { CONTROL_LABELS } from '../../../lib/controls';
import { committingText, NO_CANCEL_REASON } from '../commit-estimate';
import { useCommitStore } from '../store';

const PHASE_TEXT = {
  beginning: 'Creating the batch…',
  staging: 'Sending rows to the database…',
  committing: 'Committing: the database inserts everything in one transaction…',
  reconciling: 'The connection dropped; reading the batch back to see whether it landed…',
  done: 'Finishing…',
} as const;

/**
 * What the commit step needs from the rest of the app, passed down by the app (app/
 * CommitStepContainer.tsx): this feature reads only its own store, and acts on others through
 * these callbacks.
 */
export interface CommitStepProps {
  /** The open file's session. */
  view: SessionView;
  /** Changes with every edit of the file (the summary of changes is read again). */
  fileVersion: number;
  /** The signed-in user may change rows (offers "leave out the transactions with errors"). */
  canFix: boolean;
  onBackToReview(): void;
  onFileClosed(): void;
  onLeaveOutRequested(): void;
  onSkipExistingRequested(): void;
  onOpenInHistory(batchId: string): void;
  /** The leave-out confirmation, shown over this step. */
  leaveOutDialog: React.ReactNode;
}

export function CommitStep({
  view,
  fileVersion,
  canFix,
  onBackToReview,
  onFileClosed,
  onLeaveOutRequested,
  onSkipExistingRequested,
  onOpenInHistory,
  leaveOutDialog,
}: CommitStepProps): React.JSX.Element {
  const phase = useCommitStore((s) => s.phase);
  const name = useCommitStore((s) => s.name);
  const progress = useCommitStore((s) => s.progress);
  const result = useCommitStore((s) => s.result);
  const error = useCommitStore((s) => s.error);
  const cancelling = useCommitStore((s) => s.cancelling);
  const nameChanged = useCommitStore((s) => s.nameChanged);
  const commitStarted = useCommitStore((s) => s.commitStarted);
  const cancelRequested = useCommitStore((s) => s.cancelRequested);
  const fileOpened = useCommitStore((s) => s.fileOpened);
  const resultDismissed = useCommitStore((s) => s.resultDismissed);
  const sessionId = view.sessionId;
  const fileName = view.fileName;

  useEffect(() => {
    // A fresh form for each file; a finished result stays until another file is opened.
    if (sessionId && fileName && useCommitStore.getState().phase !== 'running') {
      if (
        !useCommitStore.getState().result ||
        useCommitStore.getState().result?.batch?.fileName !== fileName
      ) {
        fileOpened(fileName.replace(/\.[^.]+$/, ''));
      }
    }
  }, [sessionId, fileName, fileOpened]);

  const { summary } = view;
  const staged = progress && progress.totalRows > 0 ? progress.rowsStaged / progress.totalRows : 0;
  const canCancel =
    phase === 'running' &&
    (!progress || progress.phase === 'beginning' || progress.phase === 'staging');

  return (
    <section className="commit" aria-labelledby="commit-heading">
      <h1 id="commit-heading" className="panel-title">
        Import {view.fileName}
      </h1>

      {phase !== 'done' && (
        <>
          <dl className="figures figures--large">
            <div>
              <dt>Purchases</dt>
              <dd>{formatCount(view.committable.purchases)}</dd>
            </div>
            <div>
              <dt>Items</dt>
              <dd>{formatCount(view.committable.items)}</dd>
            </div>
            <div>
              <dt>Total amount</dt>
              <dd>{formatCents(summary.totalAmountCents)}</dd>
            </div>
            <div>
              <dt>Dates</dt>
              <dd>
                {formatDay(summary.firstPurchasedAt)} – {formatDay(summary.lastPurchasedAt)}
              </dd>
            </div>
          </dl>
          {view.blockedReason ? (
            <div className="callout callout--warning" role="status">
              <strong>Not ready to import.</strong> {view.blockedReason}
              <div className="actions">
                <button type="button" className="button" onClick={onBackToReview}>
                  ← Back to review
                </button>
                {(summary.errorsByCode.already_imported ?? 0) > 0 && (
                  <button type="button" className="button" onClick={onSkipExistingRequested}>
                    {CONTROL_LABELS.skipExisting}
                  </button>
                )}
                {canFix && view.counts.errors > 0 && (
                  <button type="button" className="button" onClick={onLeaveOutRequested}>
                    {CONTROL_LABELS.leaveOut}
                  </button>
                )}
              </div>
            </div>
          ) : (
            <form
              className="commit-form"
              onSubmit={(e) => {
                e.preventDefault();
                void commitStarted();
              }}
            >
              <label className="field">
                <span className="field-label">Batch name</span>
                <input
                  id="batch-name"
                  value={name}
                  onChange={(e) => nameChanged(e.target.value)}
                  maxLength={200}
                  disabled={phase === 'running'}
                />
                <span className="field-hint">
                  Shown in History, so people can find this import later.
                </span>
              </label>
              <ChangesSummary fileVersion={fileVersion} />
              <p className="muted">
                All {plural(view.committable.purchases, 'purchase')} land in one database
                transaction: either all of them are imported, or none is.
                {view.skipExisting ? ' Transactions already imported are skipped.' : ''}
              </p>
              {view.sent && phase !== 'running' && (
                <p className="muted" id="sent-while-reviewed">
                  {view.sent.rows >= view.sent.total
                    ? `All ${formatCount(view.sent.total)} rows were sent to the database while you reviewed the file: Import only has to commit them.`
                    : `${formatCount(view.sent.rows)} of ${formatCount(view.sent.total)} rows were sent to the database while you reviewed the file; Import sends the rest, then commits.`}{' '}
                  Nothing is imported until you press Import.
                </p>
              )}
              {phase === 'running' && (
                <div className="commit-progress" aria-live="polite">
                  <div
                    className="progress"
                    role="progressbar"
                    aria-label="Import progress"
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={Math.round(staged * 100)}
                  >
                    <div
                      className={`progress-bar ${progress?.phase === 'committing' ? 'progress-bar--indeterminate' : ''}`}
                      style={
                        progress?.phase === 'committing'
                          ? undefined
                          : { width: `${(staged * 100).toFixed(1)}%` }
                      }
                    />
                  </div>
                  <p className="status-line">
                    {progress?.phase === 'committing' ? (
                      <CommittingStatus rows={progress.rowsStaged || progress.totalRows} />
                    ) : (
                      <>
                        {progress ? PHASE_TEXT[progress.phase] : 'Starting…'}
                        {progress?.phase === 'staging' &&
                          ` ${formatCount(progress.rowsStaged)} of ${formatCount(progress.totalRows)} rows (${Math.round(staged * 100)}%)`}
                      </>
                    )}
                  </p>
                  {progress && !canCancel && progress.phase !== 'done' && (
                    <p className="muted" id="commit-no-cancel">
                      {NO_CANCEL_REASON}
                    </p>
                  )}
                </div>
              )}
              {error && (
                <div className="callout callout--error" role="alert">
                  <strong>The import did not complete.</strong> {error} Nothing was committed; you
                  can try again.
                </div>
              )}
              <div className="actions">
                <button
                  type="button"
                  className="button"
                  onClick={onBackToReview}
                  disabled={phase === 'running'}
                >
                  ← Back to review
                </button>
                {phase === 'running' ? (
                  <button
                    type="button"
                    className="button"
                    onClick={() => void cancelRequested()}
                    disabled={!canCancel || cancelling}
                    aria-describedby={!canCancel ? 'commit-no-cancel' : undefined}
                  >
                    {cancelling
                      ? 'Cancelling…'
                      : canCancel
                        ? 'Cancel'
                        : 'Committing — cannot cancel now'}
                  </button>
                ) : (
                  <button
                    type="submit"
                    id="commit-button"
                    className="button button--primary button--large"
                  >
                    Import {plural(view.committable.purchases, 'purchase')}
                  </button>
                )}
              </div>
            </form>
          )}
        </>
      )}

      {leaveOutDialog}
      {phase === 'done' && result && (
        <div className={`result result--${result.outcome}`} role="status">
          <h2>
            {result.outcome === 'completed'
              ? 'Import completed'
              : result.outcome === 'failed'
                ? 'The database refused this import'
                : 'Import cancelled'}
          </h2>
          <p>{result.message}</p>
          {result.batch && (
            <dl className="facts">
              <div>
                <dt>Batch</dt>
                <dd>
                  <code>{result.batch.id}</code>
                </dd>
              </div>
              <div>
                <dt>Purchases imported</dt>
                <dd>{formatCount(result.batch.importedPurchases)}</dd>
              </div>
              <div>
                <dt>Items imported</dt>
                <dd>{formatCount(result.batch.importedItems)}</dd>
              </div>
              <div>
                <dt>Took</dt>
                <dd>{formatDuration(result.durationMs)}</dd>
              </div>
            </dl>
          )}
          <div className="actions">
            {result.batch && (
              <button
                type="button"
                className="button"
                onClick={() => onOpenInHistory(result.batch?.id ?? '')}
              >
                Open in History
              </button>
            )}
            {result.outcome !== 'completed' && (
              <button type="button" className="button" onClick={resultDismissed}>
                Back
              </button>
            )}
            <button type="button" className="button button--primary" onClick={onFileClosed}>
              Import another file
            </button>
          </div>
        </div>
      )}
    </section>
  );
}

/** What the admin changed in the file before importing it (kept by the session). */
function ChangesSummary({ fileVersion }: { fileVersion: number }): React.JSX.Element | null {
  const [trail, setTrail] = useState<AuditTrail | null>(null);
  useEffect(() => {
    let live = true;
    api()
      .importAudit()
      .then((t) => live && setTrail(t))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [fileVersion]);
  if (!trail || trail.entries.length === 0) return null;
  const t = trail.totals;
  const parts = [
    t.transactionsLeftOut > 0 &&
      `${plural(t.transactionsLeftOut, 'transaction')} with errors left out (${plural(t.rowsLeftOut, 'row')})`,
    t.rowsDeleted > 0 && `${plural(t.rowsDeleted, 'row')} deleted`,
    t.cellsChanged > 0 && `${plural(t.cellsChanged, 'cell')} changed`,
  ].filter(Boolean);
  return (
    <p className="changes-summary" role="note">
      <strong>Changed before import:</strong> {parts.join(' · ')}.
      {t.rowsLeftOut + t.rowsDeleted > 0 &&
        ` The file had ${plural(trail.file.rows, 'row')}; rows left out or deleted are not imported.`}
    </p>
  );
}

/** The commit's one long step, ticking each second: elapsed time against the time expected. */
function CommittingStatus({ rows }: { rows: number }): React.JSX.Element {
  const since = useCommitStore((s) => s.progressSince);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return <>{committingText(rows, Math.max(0, Math.floor((now - since) / 1000)))}</>;
}
