import { useEffect } from 'react';
import { useImportStore } from '../store';

export function OpenPanel(): React.JSX.Element {
  const openRequested = useImportStore((s) => s.openRequested);
  const error = useImportStore((s) => s.error);
  const recent = useImportStore((s) => s.recent);
  const recentRequested = useImportStore((s) => s.recentRequested);
  const fileChosen = useImportStore((s) => s.fileChosen);
  useEffect(() => {
    void recentRequested();
  }, [recentRequested]);
  return (
    <div className="open-panel">
      {error && (
        <div className="callout callout--error" role="alert">
          <strong>The file could not be opened.</strong> {error}
        </div>
      )}
      <div className="drop-zone">
        <div className="drop-icon" aria-hidden="true">
          <span>CSV</span>
          <span>XLSX</span>
        </div>
        <h1>Open a purchase file</h1>
        <p>
          A CSV file or an Excel workbook (.xlsx). Drop it anywhere on this window, or choose it.
          Nothing is written to the database until you confirm the import.
        </p>
        <button
          type="button"
          className="button button--primary button--large"
          onClick={() => void openRequested()}
        >
          Choose a CSV file or Excel workbook…
        </button>
        {recent.length > 0 && (
          <nav
            className="recent-files"
            aria-label="Recent files"
            style={{
              display: 'flex',
              flexWrap: 'wrap',
              gap: '0.5rem',
              alignItems: 'center',
              justifyContent: 'center',
              margin: '0.75rem 0',
            }}
          >
            <span className="muted small">Recent:</span>
            {recent.map((file) => (
              <button
                key={file.handle}
                type="button"
                className="button"
                onClick={() => void fileChosen(file)}
              >
                {file.name}
              </button>
            ))}
          </nav>
        )}
        <p className="muted small">
          One row per line item: transaction_number, user_id (or the member&rsquo;s user_email),
          purchased_at, sku_id (or the sku_code), quantity, unit_price (currency, total_amount,
          store_code and notes are optional). Other header spellings, and shop exports such as
          Shopify&rsquo;s, are mapped in the next step.
        </p>
      </div>
    </div>
  );
}
