import { useEffect } from 'react';
import type { BatchStatus } from '../../../../../shared/db/rpc-contract';
import { useAccess } from '../../../lib/access';
import { formatCount, formatDate, plural } from '../../../lib/format';
import { HISTORY_PAGE, useHistoryStore } from '../store';
import { BatchDetailPanel } from './BatchDetailPanel';
import { HistoryOverview } from './HistoryOverview';

const STATUSES: BatchStatus[] = [
  'pending',
  'validating',
  'processing',
  'completed',
  'failed',
  'cancelled',
];

export function HistoryScreen({
  onOpenConnection,
}: {
  /** Shows the Connection screen (the app's navigation). */
  onOpenConnection(): void;
}): React.JSX.Element {
  const { merchantId, connected } = useAccess();
  const canSee = useAccess().permissions.history;
  const status = useHistoryStore((s) => s.status);
  const search = useHistoryStore((s) => s.search);
  const page = useHistoryStore((s) => s.page);
  const batches = useHistoryStore((s) => s.batches);
  const total = useHistoryStore((s) => s.total);
  const loading = useHistoryStore((s) => s.loading);
  const error = useHistoryStore((s) => s.error);
  const selectedId = useHistoryStore((s) => s.selectedId);
  const opened = useHistoryStore((s) => s.opened);
  const statusChanged = useHistoryStore((s) => s.statusChanged);
  const searchChanged = useHistoryStore((s) => s.searchChanged);
  const searchSubmitted = useHistoryStore((s) => s.searchSubmitted);
  const pageChanged = useHistoryStore((s) => s.pageChanged);
  const batchSelected = useHistoryStore((s) => s.batchSelected);

  useEffect(() => {
    if (connected && merchantId && canSee) void opened();
  }, [connected, merchantId, canSee, opened]);

  if (!connected || !merchantId) {
    return (
      <div className="screen">
        <div className="empty">
          <h1>Connect to see the import history</h1>
          <p>History comes from the database, so it is the same on every computer.</p>
          <button type="button" className="button button--primary" onClick={onOpenConnection}>
            Open the Connection screen
          </button>
        </div>
      </div>
    );
  }

  const pages = Math.max(1, Math.ceil(total / HISTORY_PAGE));
  return (
    <div className="screen history-screen">
      <section className="history-list" aria-labelledby="history-heading">
        <div className="panel-head">
          <h1 id="history-heading" className="panel-title">
            Import history
          </h1>
          <button
            type="button"
            className="button button--quiet"
            onClick={() => void opened()}
            disabled={loading}
          >
            Refresh
          </button>
        </div>
        <HistoryOverview />
        <form
          className="filters"
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            void searchSubmitted();
          }}
        >
          <label className="field field--inline">
            <span className="field-label">Status</span>
            <select
              id="status-filter"
              value={status ?? ''}
              onChange={(e) => void statusChanged((e.target.value || null) as BatchStatus | null)}
            >
              <option value="">All</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <input
            type="search"
            aria-label="Search batches by name or file"
            placeholder="Search name or file…"
            value={search}
            onChange={(e) => searchChanged(e.target.value)}
          />
          <button type="submit" className="button">
            Search
          </button>
        </form>
        {error && (
          <div className="callout callout--error" role="alert">
            {error}
          </div>
        )}
        {!error && batches.length === 0 && !loading && (
          <div className="empty empty--small">
            <p>
              {status || search
                ? 'No batch matches. Clear the filter or search for another name.'
                : 'No imports yet for this merchant. Imports you commit appear here.'}
            </p>
          </div>
        )}
        {batches.length > 0 && (
          <table className="table batches" aria-busy={loading}>
            <thead>
              <tr>
                <th scope="col">Batch</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Rows
                </th>
                <th scope="col" className="num">
                  Purchases
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {batches.map((b) => (
                <tr
                  key={b.id}
                  className={b.id === selectedId ? 'row--selected' : ''}
                  aria-selected={b.id === selectedId}
                >
                  <td>
                    <button type="button" className="link" onClick={() => void batchSelected(b.id)}>
                      {b.name ?? b.fileName ?? b.id.slice(0, 8)}
                    </button>
                    <div className="muted small">{b.fileName}</div>
                  </td>
                  <td>
                    <span className={`status status--${b.status}`}>{b.status}</span>
                  </td>
                  <td className="num">{formatCount(b.totalRows)}</td>
                  <td className="num">{formatCount(b.importedPurchases)}</td>
                  <td>
                    {formatDate(b.createdAt)}
                    <div className="muted small">{b.createdBy ?? ''}</div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <div className="pager">
          <button
            type="button"
            className="button"
            disabled={page === 0 || loading}
            onClick={() => void pageChanged(page - 1)}
          >
            ← Newer
          </button>
          <span className="muted">
            Page {formatCount(page + 1)} of {formatCount(pages)} ·{' '}
            {plural(total, 'batch', 'batches')}
          </span>
          <button
            type="button"
            className="button"
            disabled={page + 1 >= pages || loading}
            onClick={() => void pageChanged(page + 1)}
          >
            Older →
          </button>
        </div>
      </section>
      <BatchDetailPanel />
    </div>
  );
}
