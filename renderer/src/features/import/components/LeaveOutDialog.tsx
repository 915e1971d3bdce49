import { errorLabel } from '../../../lib/error-codes';
import { plural } from '../../../lib/format';
import { Modal } from '../../../lib/Modal';
import { useImportStore } from '../store';

/** Confirms "leave out the transactions with errors and import the rest", naming them. */
export function LeaveOutDialog(): React.JSX.Element | null {
  const preview = useImportStore((s) => s.leaveOut);
  const busy = useImportStore((s) => s.busy);
  const leaveOutClosed = useImportStore((s) => s.leaveOutClosed);
  const leaveOutConfirmed = useImportStore((s) => s.leaveOutConfirmed);
  if (!preview) return null;
  const more = preview.transactions - preview.sample.length;
  return (
    <Modal labelledBy="leave-out-title" describedBy="leave-out-text" onClose={leaveOutClosed}>
      <h2 id="leave-out-title">
        Leave out {plural(preview.transactions, 'transaction')} with errors?
      </h2>
      <p id="leave-out-text">
        {plural(preview.rows, 'row')} of {plural(preview.transactions, 'transaction')} will not be
        imported. The rest — {plural(preview.remaining.purchases, 'purchase')} in{' '}
        {plural(preview.remaining.rows, 'row')} — can then be imported. Undo brings them back.
      </p>
      <div className="leave-out-list" role="region" aria-label="Transactions left out" tabIndex={0}>
        <table className="table table--compact">
          <thead>
            <tr>
              <th scope="col">Transaction</th>
              <th scope="col">Rows</th>
              <th scope="col">Problems</th>
            </tr>
          </thead>
          <tbody>
            {preview.sample.map((t) => (
              <tr key={t.transactionNumber}>
                <td>
                  <code>{t.transactionNumber}</code>
                </td>
                <td>{t.rows.join(', ')}</td>
                <td>{t.problems.map(errorLabel).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {more > 0 && <p className="muted small">…and {plural(more, 'more transaction')}.</p>}
      </div>
      <div className="actions">
        <button type="button" className="button" onClick={leaveOutClosed}>
          Cancel
        </button>
        <button
          type="button"
          className="button button--primary"
          disabled={busy}
          onClick={() => void leaveOutConfirmed()}
        >
          Leave out {plural(preview.transactions, 'transaction')} and import the rest
        </button>
      </div>
    </Modal>
  );
}
