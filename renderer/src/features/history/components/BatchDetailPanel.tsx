import { usePermission } from '../../../lib/access';
import { errorLabel } from '../../../lib/error-codes';
import { durationBetween, formatCount, formatDate, plural } from '../../../lib/format';
import { ERRORS_PAGE, useHistoryStore } from '../store';
import { AuditTrailSection } from './AuditTrailSection';
import { ErrorCauses } from './ErrorCauses';

export function BatchDetailPanel(): React.JSX.Element {
  const detail = useHistoryStore((s) => s.detail);
  const selectedId = useHistoryStore((s) => s.selectedId);
  const loading = useHistoryStore((s) => s.detailLoading);
  const recheck = useHistoryStore((s) => s.recheck);
  const acting = useHistoryStore((s) => s.acting);
  const recheckRequested = useHistoryStore((s) => s.recheckRequested);
  const retryRequested = useHistoryStore((s) => s.retryRequested);
  const cancelRequested = useHistoryStore((s) => s.cancelRequested);
  const errorsExported = useHistoryStore((s) => s.errorsExported);
  const auditExported = useHistoryStore((s) => s.auditExported);
  const errorsView = useHistoryStore((s) => s.errorsView);
  const errorFilterChosen = useHistoryStore((s) => s.errorFilterChosen);
  const errorsPaged = useHistoryStore((s) => s.errorsPaged);
  const canRecheck = usePermission('recheck');
  const canRetry = usePermission('retry');
  const canCancel = usePermission('import');

  if (!selectedId || !detail) {
    return (
      <aside className="batch-detail" aria-label="Batch detail">
        <div className="empty empty--small">
          <p>{loading ? 'Loading…' : 'Choose a batch to see its counts, timings and errors.'}</p>
        </div>
      </aside>
    );
  }
  // Values the re-check found resolved (an id that exists now, …), by code.
  const resolved = new Set(recheck?.resolved.map((r) => `${r.code}|${r.value}`));
  // A pending batch with every row staged was interrupted at its commit step and may be committed;
  // one whose staging stopped part way has nothing to commit, and a cancelled one never imports.
  // An open batch (staged while its file was read, or while the app's admin reviews the file) has
  // no totals to be complete against: its commit is refused, so it is never offered here.
  const open = detail.open === true;
  const fullyStaged = !open && detail.stagedRows === detail.totalRows;
  const retryable = detail.status === 'failed' || (detail.status === 'pending' && fullyStaged);
  const settled = detail.status === 'completed' || detail.status === 'cancelled';

  return (
    <aside className="batch-detail" aria-label="Batch detail" aria-busy={loading}>
      <div className="panel-head">
        <div>
          <h2 className="panel-title">{detail.name ?? detail.fileName ?? 'Unnamed batch'}</h2>
          <p className="muted small">
            <code>{detail.id}</code>
          </p>
        </div>
        <span className={`status status--${detail.status} status--large`}>{detail.status}</span>
      </div>
      {detail.errorMessage && (
        <div
          className={`callout ${detail.status === 'cancelled' ? 'callout--warning' : 'callout--error'}`}
        >
          <strong>{detail.status === 'cancelled' ? 'Cancelled:' : 'Why it failed:'}</strong>{' '}
          {detail.errorMessage}
        </div>
      )}
      {detail.status === 'pending' && !fullyStaged && !open && (
        <div className="callout callout--warning">
          This import stopped while sending its rows ({formatCount(detail.stagedRows)} of{' '}
          {formatCount(detail.totalRows)}) and imported nothing. Open the file again and commit it
          to finish.
        </div>
      )}
      {detail.status === 'pending' && open && (
        <div className="callout callout--warning">
          {formatCount(detail.stagedRows)} rows of this file were sent while it was read, and
          nothing is imported. If the file is still open for review in the app, its Import there
          finishes this batch. Otherwise the import stopped part way: this batch can never be
          committed, so cancel it and import the file again.
        </div>
      )}
      <dl className="facts facts--grid">
        <div>
          <dt>File</dt>
          <dd>{detail.fileName ?? '—'}</dd>
        </div>
        <div>
          <dt>Rows</dt>
          <dd>
            {formatCount(detail.totalRows)}{' '}
            <span className="muted">({formatCount(detail.stagedRows)} staged)</span>
          </dd>
        </div>
        <div>
          <dt>Imported</dt>
          <dd>
            {plural(detail.importedPurchases, 'purchase')}, {plural(detail.importedItems, 'item')}
          </dd>
        </div>
        <div>
          <dt>Errors</dt>
          <dd>{formatCount(detail.errorCount)}</dd>
        </div>
        <div>
          <dt>By</dt>
          <dd>{detail.createdBy ?? '—'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDate(detail.createdAt)}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{formatDate(detail.startedAt)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>
            {formatDate(detail.completedAt)}{' '}
            <span className="muted">
              ({durationBetween(detail.startedAt ?? detail.createdAt, detail.completedAt)})
            </span>
          </dd>
        </div>
      </dl>
      <div className="actions">
        {canRecheck && !settled && (
          <button
            type="button"
            className="button"
            disabled={acting !== null}
            onClick={() => void recheckRequested()}
          >
            {acting === 'recheck' ? 'Re-checking…' : 'Re-check against current data'}
          </button>
        )}
        {canRetry && retryable && (
          <button
            type="button"
            className="button button--primary"
            disabled={acting !== null}
            onClick={() => void retryRequested()}
          >
            {acting === 'retry' ? 'Retrying…' : 'Retry import'}
          </button>
        )}
        {/* A pending batch no import will finish (left open by a crash, or stopped part way):
            those who may import may cancel it, as the database allows. */}
        {canCancel && detail.status === 'pending' && (
          <button
            type="button"
            className="button button--danger"
            disabled={acting !== null}
            onClick={() => {
              if (
                window.confirm(
                  `Cancel this import? Its ${plural(detail.stagedRows, 'staged row')} ${detail.stagedRows === 1 ? 'is' : 'are'} dropped and it never imports. A file still open for review imports as a new batch.`,
                )
              ) {
                void cancelRequested();
              }
            }}
          >
            {acting === 'cancel' ? 'Cancelling…' : 'Cancel this import'}
          </button>
        )}
        {/* Only batches with row errors have something to export (issue 11, problem 9). */}
        {detail.audit && (
          <button
            type="button"
            className="button"
            disabled={acting !== null}
            onClick={() => void auditExported()}
          >
            Export changes…
          </button>
        )}
        {detail.errorCount > 0 && (
          <button
            type="button"
            className="button"
            disabled={acting !== null}
            onClick={() => void errorsExported()}
          >
            Export errors…
          </button>
        )}
      </div>
      {recheck && (
        <div
          className={`callout ${recheck.ok ? 'callout--success' : 'callout--warning'}`}
          role="status"
        >
          <p>
            {recheck.ok
              ? `Re-checked ${formatDate(recheck.checkedAt)}: every error is resolved. Retry to import the batch.`
              : `Re-checked ${formatDate(recheck.checkedAt)}: ${recheck.summary ?? 'errors remain'}.`}
          </p>
          {recheck.resolved.length > 0 && (
            <p className="small">
              Resolved since the batch failed:{' '}
              {recheck.resolved
                .map((r) => `${r.column ?? ''} ${r.value ?? ''} (${plural(r.rows, 'row')})`)
                .join(', ')}
            </p>
          )}
          {!recheck.ok && recheck.causes.length > 0 && (
            <ErrorCauses causes={recheck.causes} title="Still failing, by cause" />
          )}
        </div>
      )}
      {detail.audit && <AuditTrailSection audit={detail.audit} />}
      {detail.errorSummary.length > 0 && (
        <ErrorCauses
          causes={detail.errorSummary}
          title="Errors by cause"
          chosen={errorsView?.filter ?? null}
          onChoose={(filter) => void errorFilterChosen(filter)}
        />
      )}
      <h3 className="panel-subtitle">
        Row errors ({formatCount(errorsView?.total ?? detail.errorCount)}
        {errorsView?.filter.code ? ` · ${errorLabel(errorsView.filter.code)}` : ''}
        {errorsView?.filter.value ? ` · ${errorsView.filter.value}` : ''})
      </h3>
      {!errorsView || errorsView.errors.length === 0 ? (
        <p className="muted">No row errors recorded for this batch.</p>
      ) : (
        <div className="table-scroll">
          <table className="table">
            <thead>
              <tr>
                <th scope="col" className="num">
                  Row
                </th>
                <th scope="col">Problem</th>
                <th scope="col">Value</th>
                {recheck && <th scope="col">Now</th>}
              </tr>
            </thead>
            <tbody>
              {errorsView.errors.map((e, i) => {
                const fixed = resolved.has(`${e.code}|${e.value}`);
                return (
                  <tr key={i} className={recheck && fixed ? 'row--resolved' : ''}>
                    <td className="num">{e.row}</td>
                    <td>
                      <strong>{errorLabel(e.code)}</strong>
                      {e.column ? <code className="issue-column">{e.column}</code> : null}
                      <div className="small">{e.message}</div>
                    </td>
                    <td>
                      <code className="value">{e.value ?? ''}</code>
                    </td>
                    {recheck && (
                      <td>
                        {fixed ? (
                          <span className="tag tag--success">resolved</span>
                        ) : (
                          <span className="tag tag--error">still failing</span>
                        )}
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
          <nav className="pager" aria-label="Row error pages">
            <span className="muted small" aria-live="polite">
              Rows {formatCount((errorsView.cursors.length - 1) * ERRORS_PAGE + 1)}–
              {formatCount(
                (errorsView.cursors.length - 1) * ERRORS_PAGE + errorsView.errors.length,
              )}{' '}
              of {formatCount(errorsView.total)}
            </span>
            <button
              type="button"
              className="button button--small"
              disabled={errorsView.loading || errorsView.cursors.length <= 1}
              onClick={() => void errorsPaged('previous')}
            >
              ← Previous
            </button>
            <button
              type="button"
              className="button button--small"
              disabled={errorsView.loading || !errorsView.next}
              onClick={() => void errorsPaged('next')}
            >
              Next →
            </button>
          </nav>
        </div>
      )}
    </aside>
  );
}
