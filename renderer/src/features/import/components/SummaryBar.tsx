import type { ErrorCode } from '../../../../../shared/domain/types';
import { errorLabel } from '../../../lib/error-codes';
import { formatCents, formatCount, formatDay } from '../../../lib/format';
import { useImportStore } from '../store';

export function SummaryBar(): React.JSX.Element | null {
  const view = useImportStore((s) => s.view);
  const filter = useImportStore((s) => s.filter);
  const filterChanged = useImportStore((s) => s.filterChanged);
  if (!view) return null;
  const { summary } = view;
  const kinds = Object.entries(summary.errorsByCode) as [ErrorCode, number][];
  const warnings = Object.entries(summary.warningsByCode ?? {}) as [ErrorCode, number][];
  return (
    <section className="summary" aria-label="Summary">
      <dl className="figures">
        <div>
          <dt>Rows</dt>
          <dd>{formatCount(view.counts.all)}</dd>
        </div>
        <div title="Purchases without any error: what an import would bring in now">
          <dt>Purchases ready</dt>
          <dd>{formatCount(summary.purchases)}</dd>
        </div>
        <div title="Items of the purchases ready">
          <dt>Items ready</dt>
          <dd>{formatCount(summary.items)}</dd>
        </div>
        <div title="Total of the purchases ready (currencies added together)">
          <dt>Amount ready</dt>
          <dd>{formatCents(summary.totalAmountCents)}</dd>
        </div>
        <div>
          <dt>Dates</dt>
          <dd>
            {summary.firstPurchasedAt
              ? `${formatDay(summary.firstPurchasedAt)} – ${formatDay(summary.lastPurchasedAt)}`
              : '—'}
          </dd>
        </div>
        <div className={view.counts.errors > 0 ? 'figure--bad' : 'figure--good'}>
          <dt>Rows with errors</dt>
          <dd>{formatCount(view.counts.errors)}</dd>
        </div>
      </dl>
      {(kinds.length > 0 || warnings.length > 0) && (
        <div className="chips" role="group" aria-label="Errors by kind (click to filter)">
          {kinds
            .filter(([code]) => code !== 'unknown_column')
            .sort((a, b) => b[1] - a[1])
            .map(([code, count]) => (
              <button
                key={code}
                type="button"
                className={`chip chip--error ${filter === code ? 'chip--active' : ''}`}
                aria-pressed={filter === code}
                onClick={() => void filterChanged(filter === code ? 'all' : code)}
              >
                {errorLabel(code)} <span className="chip-count">{formatCount(count)}</span>
              </button>
            ))}
          {warnings.map(([code, count]) => (
            <button
              key={`w-${code}`}
              type="button"
              className={`chip chip--warning ${filter === code ? 'chip--active' : ''}`}
              aria-pressed={filter === code}
              onClick={() => void filterChanged(filter === code ? 'all' : code)}
            >
              {errorLabel(code)} <span className="chip-count">{formatCount(count)}</span>
            </button>
          ))}
        </div>
      )}
    </section>
  );
}
