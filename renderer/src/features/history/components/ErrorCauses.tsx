import type { ErrorCause } from '../../../../../shared/db/rpc-contract';
import { errorLabel } from '../../../lib/error-codes';
import { formatCount, plural } from '../../../lib/format';
import type { ErrorFilter } from '../store';

/** Values listed per cause; the rest are counted. */
const SHOWN_VALUES = 5;

/**
 * A batch's errors by cause: what is wrong, in which column, how many rows, and the values
 * affecting most rows ("sku_id ffff…: 52,311 rows"). With onChoose, a cause or a value filters
 * the row errors below.
 */
export function ErrorCauses(props: {
  causes: readonly ErrorCause[];
  title: string;
  chosen?: ErrorFilter | null;
  onChoose?: (filter: ErrorFilter) => void;
}): React.JSX.Element {
  const { causes, title, chosen, onChoose } = props;
  const isChosen = (code: string | null, value: string | null): boolean =>
    (chosen?.code ?? null) === code && (chosen?.value ?? null) === value;
  return (
    <section className="error-causes" aria-label={title}>
      <h3 className="panel-subtitle">{title}</h3>
      <ul className="cause-list">
        {onChoose && (
          <li>
            <button
              type="button"
              className="link-button"
              aria-pressed={isChosen(null, null)}
              onClick={() => onChoose({ code: null, value: null })}
            >
              All causes
            </button>
          </li>
        )}
        {causes.map((cause) => (
          <li key={`${cause.code}|${cause.column ?? ''}`}>
            {onChoose ? (
              <button
                type="button"
                className="link-button"
                aria-pressed={isChosen(cause.code, null)}
                onClick={() => onChoose({ code: cause.code, value: null })}
              >
                <strong>{errorLabel(cause.code)}</strong>
              </button>
            ) : (
              <strong>{errorLabel(cause.code)}</strong>
            )}
            {cause.column ? <code className="issue-column">{cause.column}</code> : null}{' '}
            <span>{plural(cause.rows, 'row')}</span>
            {cause.distinctValues > 1 && (
              <span className="muted"> · {formatCount(cause.distinctValues)} different values</span>
            )}
            {cause.distinctValues <= 1 && <div className="small">{cause.message}</div>}
            {cause.distinctValues > 1 && (
              <ul className="cause-values">
                {cause.values.slice(0, SHOWN_VALUES).map((v) => (
                  <li key={v.value ?? ''}>
                    {onChoose ? (
                      <button
                        type="button"
                        className="link-button"
                        aria-pressed={isChosen(cause.code, v.value)}
                        onClick={() => onChoose({ code: cause.code, value: v.value })}
                      >
                        <code className="value">{v.value ?? '(empty)'}</code>
                      </button>
                    ) : (
                      <code className="value">{v.value ?? '(empty)'}</code>
                    )}{' '}
                    <span className="muted small">{plural(v.rows, 'row')}</span>
                  </li>
                ))}
                {cause.distinctValues > SHOWN_VALUES && (
                  <li className="muted small">
                    and {formatCount(cause.distinctValues - SHOWN_VALUES)} more values
                  </li>
                )}
              </ul>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
