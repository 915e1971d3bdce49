import { useImportStore } from '../store';

export function OpenPanel(): React.JSX.Element {
  const openRequested = useImportStore((s) => s.openRequested);
  const error = useImportStore((s) => s.error);
  return (
    <div className="open-panel">
      {error && (
        <div className="callout callout--error" role="alert">
          <strong>The file could not be opened.</strong> {error}
        </div>
      )}
      <div className="drop-zone">
        <div className="drop-icon" aria-hidden="true">
          CSV
        </div>
        <h1>Open a purchase CSV</h1>
        <p>
          Drop the file anywhere on this window, or choose it. Nothing is written to the database
          until you confirm the import.
        </p>
        <button
          type="button"
          className="button button--primary button--large"
          onClick={() => void openRequested()}
        >
          Choose a CSV file…
        </button>
        <p className="muted small">
          One row per line item: transaction_number, user_id, purchased_at, sku_id, quantity,
          unit_price (currency, total_amount, store_code and notes are optional). Other header
          spellings are mapped in the next step.
        </p>
      </div>
    </div>
  );
}
