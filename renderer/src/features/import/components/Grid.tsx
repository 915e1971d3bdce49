import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import type { CanonicalColumn } from '../../../../../shared/domain/types';
import type { GridRow } from '../../../../../shared/ipc/contract';
import { useConnectionStore } from '../../connection/store';
import { errorLabel } from '../../../lib/error-codes';
import { PAGE_SIZE, rowAt, useImportStore } from '../store';

// The preview grid: a virtualized ARIA grid. Only the rows on screen are in the DOM and only
// their pages were fetched from main, so a 1M-row file scrolls like a 100-row one.

const ROW_HEIGHT = 32;
const ROW_NUMBER_WIDTH = 76;
const WIDTHS: Record<CanonicalColumn, number> = {
  transaction_number: 190,
  user_id: 310,
  purchased_at: 230,
  sku_id: 310,
  quantity: 84,
  unit_price: 100,
  currency: 84,
  total_amount: 116,
  store_code: 110,
  notes: 240,
};

// Stable across renders: a new function would make the virtualizer re-measure every row.
const estimateRowSize = (): number => ROW_HEIGHT;

function cellId(index: number, column: number): string {
  return `cell-${index}-${column}`;
}

export function Grid(): React.JSX.Element | null {
  const view = useImportStore((s) => s.view);
  const total = useImportStore((s) => s.total);
  const pages = useImportStore((s) => s.pages);
  const active = useImportStore((s) => s.active);
  const editing = useImportStore((s) => s.editing);
  const filter = useImportStore((s) => s.filter);
  const pageNeeded = useImportStore((s) => s.pageNeeded);
  const activeCellMoved = useImportStore((s) => s.activeCellMoved);
  const editStarted = useImportStore((s) => s.editStarted);
  const editEnded = useImportStore((s) => s.editEnded);
  const cellEdited = useImportStore((s) => s.cellEdited);
  const errorJumpRequested = useImportStore((s) => s.errorJumpRequested);
  const rowsDeleted = useImportStore((s) => s.rowsDeleted);
  const canFix = useConnectionStore((s) => s.state?.permissions.fix ?? false);
  const scrollRef = useRef<HTMLDivElement>(null);
  const columns = view?.columns ?? [];
  const template = `${ROW_NUMBER_WIDTH}px ${columns.map((c) => `${WIDTHS[c]}px`).join(' ')}`;
  const width = ROW_NUMBER_WIDTH + columns.reduce((sum, c) => sum + WIDTHS[c], 0);

  // No React Compiler here: the virtualizer is meant to be read fresh on every render.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: estimateRowSize,
    overscan: 12,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items.at(-1)?.index ?? 0;

  useEffect(() => {
    if (total === 0) return;
    for (let page = Math.floor(first / PAGE_SIZE); page <= Math.floor(last / PAGE_SIZE); page++) {
      void pageNeeded(page);
    }
  }, [first, last, total, pageNeeded, pages]);

  useEffect(() => {
    if (total > 0) virtualizer.scrollToIndex(active.index, { align: 'auto' });
  }, [active.index, total, virtualizer]);

  if (!view) return null;

  const activeRow = rowAt(pages, active.index);
  const visibleRows = Math.max(
    1,
    Math.floor((scrollRef.current?.clientHeight ?? 480) / ROW_HEIGHT) - 1,
  );

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    if (editing) return;
    const move = (index: number, column = active.column): void => {
      event.preventDefault();
      activeCellMoved({ index, column });
    };
    const ctrl = event.ctrlKey || event.metaKey;
    switch (event.key) {
      case 'ArrowDown':
        return move(active.index + 1);
      case 'ArrowUp':
        return move(active.index - 1);
      case 'ArrowRight':
        return move(active.index, active.column + 1);
      case 'ArrowLeft':
        return move(active.index, active.column - 1);
      case 'PageDown':
        return move(active.index + visibleRows);
      case 'PageUp':
        return move(active.index - visibleRows);
      case 'Home':
        return ctrl ? move(0, active.column) : move(active.index, 0);
      case 'End':
        return ctrl ? move(total - 1, active.column) : move(active.index, columns.length);
      case 'F8':
        event.preventDefault();
        void errorJumpRequested(event.shiftKey ? 'previous' : 'next');
        return;
      case 'Enter':
      case 'F2':
        if (canFix && active.column > 0 && activeRow) {
          event.preventDefault();
          editStarted();
        }
        return;
      case 'Delete':
        if (canFix && activeRow) {
          event.preventDefault();
          if (window.confirm(`Delete row ${activeRow.row}? Undo brings it back.`)) {
            void rowsDeleted([activeRow.row], false);
          }
        }
        return;
      default:
    }
  };

  if (total === 0) {
    return (
      <div className="grid-empty">
        {filter === 'all' ? (
          <p>The file has no data rows.</p>
        ) : (
          <p>
            <strong>No rows match this filter.</strong> Everything of this kind is fixed — choose
            “All rows” to see the file.
          </p>
        )}
      </div>
    );
  }

  return (
    <div
      id="grid"
      ref={scrollRef}
      className="grid"
      role="grid"
      tabIndex={0}
      aria-label={`Rows of ${view.fileName}`}
      aria-rowcount={total + 1}
      aria-colcount={columns.length + 1}
      aria-readonly={!canFix}
      aria-activedescendant={activeRow ? cellId(active.index, active.column) : undefined}
      onKeyDown={onKeyDown}
    >
      <div
        className="grid-inner"
        style={{ height: virtualizer.getTotalSize() + ROW_HEIGHT, width }}
      >
        <div
          className="grid-row grid-header"
          role="row"
          aria-rowindex={1}
          style={{ gridTemplateColumns: template }}
        >
          <div className="grid-cell grid-rownum" role="columnheader" aria-colindex={1}>
            Row
          </div>
          {columns.map((c, i) => (
            <div key={c} className="grid-cell" role="columnheader" aria-colindex={i + 2}>
              {c}
            </div>
          ))}
        </div>
        {items.map((item) => {
          const row = rowAt(pages, item.index);
          return (
            <div
              key={item.key}
              className={`grid-row ${row && row.issues.some((e) => e.severity !== 'warning') ? 'grid-row--error' : ''} ${item.index === active.index ? 'grid-row--active' : ''}`}
              role="row"
              aria-rowindex={item.index + 2}
              style={{
                gridTemplateColumns: template,
                transform: `translateY(${item.start + ROW_HEIGHT}px)`,
              }}
            >
              {row ? (
                <RowCells
                  row={row}
                  index={item.index}
                  columns={columns}
                  active={item.index === active.index ? active.column : -1}
                  editing={editing && item.index === active.index}
                  onSelect={(column) => activeCellMoved({ index: item.index, column })}
                  onEdit={(column) => {
                    activeCellMoved({ index: item.index, column });
                    if (canFix && column > 0) editStarted();
                  }}
                  onCommit={async (column, value, move) => {
                    const ok = await cellEdited(row.row, column, value);
                    if (ok && move)
                      activeCellMoved({
                        index: item.index + (move === 'down' ? 1 : 0),
                        column: active.column + (move === 'right' ? 1 : 0),
                      });
                    scrollRef.current?.focus();
                  }}
                  onCancel={() => {
                    editEnded();
                    scrollRef.current?.focus();
                  }}
                />
              ) : (
                <div className="grid-cell grid-loading" role="gridcell" aria-colindex={1}>
                  …
                </div>
              )}
            </div>
          );
        })}
      </div>
    </div>
  );
}

interface RowCellsProps {
  row: GridRow;
  index: number;
  columns: CanonicalColumn[];
  active: number;
  editing: boolean;
  onSelect(column: number): void;
  onEdit(column: number): void;
  onCommit(column: CanonicalColumn, value: string, move: 'down' | 'right' | null): Promise<void>;
  onCancel(): void;
}

function RowCells({
  row,
  index,
  columns,
  active,
  editing,
  onSelect,
  onEdit,
  onCommit,
  onCancel,
}: RowCellsProps): React.JSX.Element {
  const rowLevel = row.issues.filter(
    (e) => e.column === null || !columns.includes(e.column as CanonicalColumn),
  );
  const hasError = row.issues.some((e) => e.severity !== 'warning');
  return (
    <>
      <div
        id={cellId(index, 0)}
        className={`grid-cell grid-rownum ${active === 0 ? 'grid-cell--active' : ''} ${hasError ? 'grid-rownum--error' : ''}`}
        role="rowheader"
        aria-colindex={1}
        title={rowLevel.map((e) => e.message).join('\n') || undefined}
        onClick={() => onSelect(0)}
      >
        {row.row}
      </div>
      {columns.map((column, i) => {
        const issues = row.issues.filter((e) => e.column === column);
        const error = issues.some((e) => e.severity !== 'warning');
        const warning = !error && issues.length > 0;
        const value = row.cells[column] ?? '';
        const isActive = active === i + 1;
        const reason = issues.map((e) => `${errorLabel(e.code)}: ${e.message}`).join('\n');
        return (
          <div
            key={column}
            id={cellId(index, i + 1)}
            role="gridcell"
            aria-colindex={i + 2}
            aria-invalid={error || undefined}
            aria-selected={isActive}
            aria-label={reason ? `${value || 'empty'} — ${reason}` : undefined}
            className={`grid-cell ${error ? 'cell--error' : ''} ${warning ? 'cell--warning' : ''} ${isActive ? 'grid-cell--active' : ''}`}
            title={reason || undefined}
            onClick={() => onSelect(i + 1)}
            onDoubleClick={() => onEdit(i + 1)}
          >
            {isActive && editing ? (
              <CellEditor
                value={value}
                column={column}
                onCommit={(v, move) => onCommit(column, v, move)}
                onCancel={onCancel}
              />
            ) : (
              <span className="cell-text">{value}</span>
            )}
          </div>
        );
      })}
    </>
  );
}

function CellEditor({
  value,
  column,
  onCommit,
  onCancel,
}: {
  value: string;
  column: CanonicalColumn;
  onCommit(value: string, move: 'down' | 'right' | null): Promise<void>;
  onCancel(): void;
}): React.JSX.Element {
  const [text, setText] = useState(value);
  const [saving, setSaving] = useState(false);
  const save = (move: 'down' | 'right' | null): void => {
    if (saving) return;
    if (text === value) {
      onCancel();
      return;
    }
    setSaving(true);
    void onCommit(text, move).finally(() => setSaving(false));
  };
  return (
    <input
      className="cell-editor"
      aria-label={`Edit ${column}`}
      autoFocus
      value={text}
      readOnly={saving}
      onChange={(e) => setText(e.target.value)}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === 'Enter') {
          e.preventDefault();
          save('down');
        } else if (e.key === 'Tab') {
          e.preventDefault();
          save('right');
        } else if (e.key === 'Escape') {
          e.preventDefault();
          onCancel();
        }
      }}
      onBlur={() => {
        if (!saving) onCancel();
      }}
    />
  );
}
