import { useState } from 'react';
import type { ErrorCode } from '../../../../../shared/domain/types';
import type { RowFilter } from '../../../../../shared/ipc/contract';
import { usePermission } from '../../../lib/access';
import { errorLabel } from '../../../lib/error-codes';
import { CONTROL_LABELS } from '../../../lib/controls';
import { formatCount } from '../../../lib/format';
import { reviewState } from '../review-state';
import { useImportStore } from '../store';

export function Toolbar(): React.JSX.Element | null {
  const view = useImportStore((s) => s.view);
  const filter = useImportStore((s) => s.filter);
  const busy = useImportStore((s) => s.busy);
  const filterChanged = useImportStore((s) => s.filterChanged);
  const errorJumpRequested = useImportStore((s) => s.errorJumpRequested);
  const rowJumpRequested = useImportStore((s) => s.rowJumpRequested);
  const textFindRequested = useImportStore((s) => s.textFindRequested);
  const undoRequested = useImportStore((s) => s.undoRequested);
  const redoRequested = useImportStore((s) => s.redoRequested);
  const errorsExported = useImportStore((s) => s.errorsExported);
  const fixedSaved = useImportStore((s) => s.fixedSaved);
  const commitStepOpened = useImportStore((s) => s.commitStepOpened);
  const leaveOutRequested = useImportStore((s) => s.leaveOutRequested);
  const skipExistingToggled = useImportStore((s) => s.skipExistingToggled);
  const total = useImportStore((s) => s.total);
  const canFix = usePermission('fix');
  const canImport = usePermission('import');
  const [goTo, setGoTo] = useState('');
  const [findText, setFindText] = useState('');
  if (!view) return null;
  const review = reviewState(view, filter, total);
  const alreadyImported =
    (view.summary.errorsByCode.already_imported ?? 0) +
    (view.summary.warningsByCode?.already_imported ?? 0);
  const kinds = [
    ...Object.entries(view.summary.errorsByCode),
    ...Object.entries(view.summary.warningsByCode ?? {}),
  ] as [ErrorCode, number][];
  const seen = new Set<string>();

  return (
    <div className="toolbar" role="toolbar" aria-label="Preview tools">
      <label className="field field--inline">
        <span className="field-label">Show</span>
        <select
          id="row-filter"
          value={filter}
          onChange={(e) => void filterChanged(e.target.value as RowFilter)}
        >
          <option value="all">All rows ({formatCount(view.counts.all)})</option>
          <option value="errors">Rows with errors ({formatCount(view.counts.errors)})</option>
          {kinds
            .filter(([code]) => code !== 'unknown_column' && !seen.has(code) && seen.add(code))
            .map(([code, count]) => (
              <option key={code} value={code}>
                {errorLabel(code)} ({formatCount(count)})
              </option>
            ))}
        </select>
      </label>
      <div className="button-group">
        <button
          type="button"
          className="button"
          onClick={() => void errorJumpRequested('previous')}
          title="Previous error (Shift+F8)"
        >
          ↑ Previous error
        </button>
        <button
          type="button"
          className="button"
          onClick={() => void errorJumpRequested('next')}
          title="Next error (F8)"
        >
          ↓ Next error
        </button>
      </div>
      <form
        className="goto"
        onSubmit={(e) => {
          e.preventDefault();
          const row = Number.parseInt(goTo, 10);
          if (Number.isFinite(row))
            void rowJumpRequested(row).then((ok) => ok && document.getElementById('grid')?.focus());
        }}
      >
        <label htmlFor="find-row" className="sr-only">
          Go to row
        </label>
        <input
          id="find-row"
          inputMode="numeric"
          placeholder="Go to row…"
          value={goTo}
          onChange={(e) => setGoTo(e.target.value.replace(/[^0-9]/g, ''))}
        />
      </form>
      <form
        className="goto"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          if (findText) void textFindRequested(findText, 'next');
        }}
      >
        <label htmlFor="find-text" className="sr-only">
          Find text in cells
        </label>
        <input
          id="find-text"
          type="search"
          placeholder="Find…"
          title="Enter: next match, Shift+Enter: previous match"
          value={findText}
          onChange={(e) => setFindText(e.target.value)}
          onKeyDown={(e) => {
            // Shift+Enter searches upwards; plain Enter submits the form (downwards).
            if (e.key === 'Enter' && e.shiftKey && findText) {
              e.preventDefault();
              void textFindRequested(findText, 'previous');
            }
          }}
        />
      </form>
      {canFix && (
        <div className="button-group">
          <button
            type="button"
            className="button"
            disabled={!view.canUndo || busy}
            onClick={() => void undoRequested()}
            title={view.undoLabel ? `Undo: ${view.undoLabel}` : 'Nothing to undo'}
          >
            Undo
          </button>
          <button
            type="button"
            className="button"
            disabled={!view.canRedo || busy}
            onClick={() => void redoRequested()}
            title={view.redoLabel ? `Redo: ${view.redoLabel}` : 'Nothing to redo'}
          >
            Redo
          </button>
        </div>
      )}
      {(alreadyImported > 0 || view.skipExisting) && (
        <label className="field field--inline checkbox">
          <input
            type="checkbox"
            checked={view.skipExisting}
            disabled={busy}
            onChange={(e) => void skipExistingToggled(e.target.checked)}
          />
          <span className="field-label">{CONTROL_LABELS.skipExisting}</span>
        </label>
      )}
      <span className="spacer" />
      <button
        type="button"
        className="button"
        disabled={view.counts.errors === 0}
        title={view.counts.errors === 0 ? 'No row has an error' : undefined}
        onClick={() => void errorsExported()}
      >
        Export error rows…
      </button>
      {canFix && (
        <button type="button" className="button" onClick={() => void fixedSaved()}>
          Save fixed file…
        </button>
      )}
      {canFix && review.errorRows > 0 && view.fileErrors.length === 0 && (
        <button
          type="button"
          className="button"
          disabled={busy}
          onClick={() => void leaveOutRequested()}
        >
          {CONTROL_LABELS.leaveOut}
        </button>
      )}
      {canImport && (
        <>
          <button
            type="button"
            className="button button--primary"
            onClick={commitStepOpened}
            disabled={!review.ready}
            aria-describedby={review.ready ? undefined : 'not-ready-reason'}
            title={review.blockedReason ?? undefined}
          >
            Continue to import →
          </button>
          {!review.ready && (
            <span id="not-ready-reason" className="sr-only">
              {review.blockedReason}
            </span>
          )}
        </>
      )}
    </div>
  );
}
