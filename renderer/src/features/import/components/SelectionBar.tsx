import { plural } from '../../../lib/format';
import { usePermission } from '../../../lib/access';
import { useImportStore } from '../store';

/** Bulk actions on the selected rows (click, Shift+click, Ctrl/Cmd+click, Ctrl/Cmd+A). */
export function SelectionBar(): React.JSX.Element | null {
  const selection = useImportStore((s) => s.selection);
  const busy = useImportStore((s) => s.busy);
  const selectionDeleted = useImportStore((s) => s.selectionDeleted);
  const selectionCleared = useImportStore((s) => s.selectionCleared);
  const canFix = usePermission('fix');
  if (!canFix || selection.rows.length === 0) return null;
  const count = selection.rows.length;
  return (
    <div className="selection-bar" role="region" aria-label="Selected rows">
      <strong aria-live="polite">{plural(count, 'row')} selected</strong>
      <button
        type="button"
        className="button button--small button--danger"
        disabled={busy}
        onClick={() => void selectionDeleted(false)}
      >
        Delete {count === 1 ? 'this row' : `these ${plural(count, 'row')}`}
      </button>
      <button
        type="button"
        className="button button--small button--danger"
        disabled={busy}
        onClick={() => void selectionDeleted(true)}
      >
        Delete their transactions
      </button>
      <button type="button" className="button button--small" onClick={selectionCleared}>
        Clear selection
      </button>
      <span className="muted small">Shift+click: a range · Ctrl/Cmd+A: every row shown</span>
    </div>
  );
}
