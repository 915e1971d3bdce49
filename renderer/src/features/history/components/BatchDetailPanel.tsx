import { useConnectionStore } from '../../connection/store';
import { errorLabel } from '../../../lib/error-codes';
import { durationBetween, formatCount, formatDate, plural } from '../../../lib/format';
import { useHistoryStore } from '../store';

export function BatchDetailPanel(): React.JSX.Element {
  const detail = useHistoryStore((s) => s.detail);
  const selectedId = useHistoryStore((s) => s.selectedId);
  const loading = useHistoryStore((s) => s.detailLoading);
  const recheck = useHistoryStore((s) => s.recheck);
  const acting = useHistoryStore((s) => s.acting);
  const recheckRequested = useHistoryStore((s) => s.recheckRequested);
  const retryRequested = useHistoryStore((s) => s.retryRequested);
  const errorsExported = useHistoryStore((s) => s.errorsExported);
  const canRecheck = useConnectionStore((s) => s.state?.permissions.recheck ?? false);
  const canRetry = useConnectionStore((s) => s.state?.permissions.retry ?? false);

  if (!selectedId || !detail) {
    return (
      <aside className="batch-detail" aria-label="Batch detail">
        <div className="empty empty--small">
          <p>{loading ? 'Loading…' : 'Choose a batch to see its counts, timings and errors.'}</p>
        </div>
      </aside>
    );
  }
  const resolved = new Set(
    recheck?.resolved.map((e) => `${e.row}|${e.column}|${e.code}|${e.value}`),
  );
  // A pending batch with every row staged was interrupted at its commit step and may be committed;
  // one whose staging stopped part way has nothing to commit, and a cancelled one never imports.
  const fullyStaged = detail.stagedRows === detail.totalRows;
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
      {detail.status === 'pending' && !fullyStaged && (
        <div className="callout callout--warning">
          This import stopped while sending its rows ({formatCount(detail.stagedRows)} of{' '}
          {formatCount(detail.totalRows)}) and imported nothing. Open the file again and commit it
          to finish.
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
        {/* Only batches with row errors have something to export (issue 11, problem 9). */}
        {detail.errors.length > 0 && (
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
          {recheck.ok
            ? `Re-checked ${formatDate(recheck.checkedAt)}: every error is resolved (${formatCount(recheck.before.length)}). Retry to import the batch.`
            : `Re-checked ${formatDate(recheck.checkedAt)}: ${formatCount(recheck.resolved.length)} resolved, ${formatCount(recheck.stillFailing.length)} still failing.`}
        </div>
      )}
      <h3 className="panel-subtitle">Row errors ({formatCount(detail.errors.length)})</h3>
      {detail.errors.length === 0 ? (
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
              {detail.errors.slice(0, 500).map((e, i) => {
                const fixed = resolved.has(`${e.row}|${e.column}|${e.code}|${e.value}`);
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
          {detail.errors.length > 500 && (
            <p className="muted small">
              The first 500 are shown; export the errors for all of them.
            </p>
          )}
        </div>
      )}
    </aside>
  );
}
