import { formatCount, formatDuration, plural } from '../../../lib/format';
import { useHistoryStore } from '../store';

const PERIODS = [7, 30, 90] as const;

/** The merchant's imports over a period, from the database: what operators asked SQL for. */
export function HistoryOverview(): React.JSX.Element | null {
  const overview = useHistoryStore((s) => s.overview);
  const days = useHistoryStore((s) => s.overviewDays);
  const periodChosen = useHistoryStore((s) => s.overviewPeriodChosen);
  if (!overview) return null;
  const busiest = Math.max(1, ...overview.perDay.map((d) => d.completed + d.failed + d.other));
  return (
    <section className="history-overview" aria-label="Overview">
      <div className="overview-head">
        <label className="field field--inline">
          <span className="field-label">Overview</span>
          <select
            aria-label="Overview period"
            value={days}
            onChange={(e) => void periodChosen(Number(e.target.value))}
          >
            {PERIODS.map((p) => (
              <option key={p} value={p}>
                last {p} days
              </option>
            ))}
          </select>
        </label>
      </div>
      <dl className="overview-facts">
        <div>
          <dt>Imports</dt>
          <dd>{formatCount(overview.imports)}</dd>
        </div>
        <div>
          <dt>Succeeded</dt>
          <dd>
            {overview.successRate === null ? '—' : `${Math.round(overview.successRate * 100)} %`}{' '}
            <span className="muted small">
              ({formatCount(overview.completed)} of{' '}
              {formatCount(overview.completed + overview.failed)})
            </span>
          </dd>
        </div>
        <div>
          <dt>Median duration</dt>
          <dd>{overview.medianMs === null ? '—' : formatDuration(overview.medianMs)}</dd>
        </div>
        <div>
          <dt>Slowest</dt>
          <dd>{overview.slowestMs === null ? '—' : formatDuration(overview.slowestMs)}</dd>
        </div>
        <div>
          <dt>Rows imported</dt>
          <dd>
            {formatCount(overview.rowsImported)}{' '}
            <span className="muted small">({plural(overview.purchasesImported, 'purchase')})</span>
          </dd>
        </div>
      </dl>
      <ol className="overview-days" aria-label="Imports per day">
        {overview.perDay.map((d) => {
          const all = d.completed + d.failed + d.other;
          return (
            <li
              key={d.day}
              title={`${d.day}: ${plural(d.completed, 'completed import')}, ${formatCount(d.failed)} failed, ${formatCount(d.other)} other`}
            >
              <span className="overview-bar" style={{ height: `${(all / busiest) * 100}%` }}>
                {d.failed > 0 && (
                  <span
                    className="overview-bar-failed"
                    style={{ height: `${(d.failed / all) * 100}%` }}
                  />
                )}
              </span>
            </li>
          );
        })}
      </ol>
    </section>
  );
}
