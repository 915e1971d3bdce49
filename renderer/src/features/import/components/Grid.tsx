import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { CanonicalColumn } from '../../../../../shared/domain/types';
import type { GridRow, IdLabel } from '../../../../../shared/ipc/contract';
import { usePermission } from '../../../lib/access';
import { errorLabel } from '../../../lib/error-codes';
import { plural } from '../../../lib/format';
import { reviewState } from '../review-state';
import { PAGE_SIZE, rowAt, useImportStore } from '../store';

// The preview grid: a virtualized ARIA grid. Only the rows on screen are in the DOM and only
// their pages were fetched from main, so a 1M-row file scrolls like a 100-row one.

const ROW_HEIGHT = 32;
const ROW_NUMBER_WIDTH = 60;
/** Bounds of each column's width; the width in between fits the header and the loaded cells. */
const WIDTHS: Record<CanonicalColumn, { min: number; max: number }> = {
  transaction_number: { min: 110, max: 200 },
  user_id: { min: 140, max: 170 },
  purchased_at: { min: 150, max: 230 },
  sku_id: { min: 140, max: 170 },
  quantity: { min: 72, max: 100 },
  unit_price: { min: 84, max: 110 },
  currency: { min: 76, max: 90 },
  total_amount: { min: 100, max: 130 },
  store_code: { min: 90, max: 130 },
  notes: { min: 120, max: 260 },
  user_email: { min: 160, max: 320 },
  sku_code: { min: 100, max: 260 },
};
/** Approximate width of one character of the grid's 13px font, plus the cell's padding. */
const CHAR_PX = 7.6;
const CELL_PADDING = 21;

/** Ids shown by what people recognise; the UUID stays on hover and in copy. */
const ID_KIND: Partial<Record<CanonicalColumn, 'sku' | 'user'>> = {
  sku_id: 'sku',
  user_id: 'user',
  // Natural keys (issue 13): the cell keeps its e-mail or code and shows what it resolved to.
  sku_code: 'sku',
  user_email: 'user',
};

function idText(
  label: IdLabel | undefined,
  kind: 'sku' | 'user',
  column: CanonicalColumn,
  value: string,
): string | null {
  if (!label) return null;
  if (column === 'user_email' || column === 'sku_code') return `${value.trim()} → ${label.label}`;
  if (kind === 'sku') return label.detail ? `${label.detail} · ${label.label}` : label.label;
  return label.detail ?? label.label;
}

function columnWidths(
  columns: CanonicalColumn[],
  rows: GridRow[],
  labels: Record<string, IdLabel>,
): number[] {
  return columns.map((column) => {
    const { min, max } = WIDTHS[column];
    const kind = ID_KIND[column];
    // A long header may be cut (its name is on hover); the values decide the width.
    let chars = Math.min(column.length, 12);
    for (const row of rows) {
      const value = row.cells[column] ?? '';
      const shown = kind
        ? (idText(labels[value.trim().toLowerCase()], kind, column, value) ?? value)
        : value;
      chars = Math.max(chars, shown.length);
    }
    return Math.round(Math.min(max, Math.max(min, chars * CHAR_PX + CELL_PADDING)));
  });
}

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
  const filterChanged = useImportStore((s) => s.filterChanged);
  const activeCellMoved = useImportStore((s) => s.activeCellMoved);
  const editStarted = useImportStore((s) => s.editStarted);
  const editEnded = useImportStore((s) => s.editEnded);
  const cellEdited = useImportStore((s) => s.cellEdited);
  const errorJumpRequested = useImportStore((s) => s.errorJumpRequested);
  const rowsDeleted = useImportStore((s) => s.rowsDeleted);
  const selection = useImportStore((s) => s.selection);
  const rowSelected = useImportStore((s) => s.rowSelected);
  const allSelected = useImportStore((s) => s.allSelected);
  const selectionCleared = useImportStore((s) => s.selectionCleared);
  const idLabels = useImportStore((s) => s.idLabels);
  const idLabelsNeeded = useImportStore((s) => s.idLabelsNeeded);
  const canFix = usePermission('fix');
  const scrollRef = useRef<HTMLDivElement>(null);
  const columns = useMemo(() => view?.columns ?? [], [view]);
  // Widths fit the first loaded page (and the names of its ids); they stay put while scrolling.
  const firstPage = pages[0] ?? pages[Number(Object.keys(pages)[0])];
  const widths = useMemo(
    () => columnWidths(columns, firstPage ?? [], idLabels),
    [columns, firstPage, idLabels],
  );
  const template = `${ROW_NUMBER_WIDTH}px ${widths.map((w) => `${w}px`).join(' ')}`;
  const width = ROW_NUMBER_WIDTH + widths.reduce((sum, w) => sum + w, 0);
  const frozenTxn = columns[0] === 'transaction_number';
  const frozenWidth = ROW_NUMBER_WIDTH + (frozenTxn ? (widths[0] ?? 0) : 0);
  const selected = useMemo(() => new Set(selection.rows), [selection.rows]);

  // No React Compiler here: the virtualizer is meant to be read fresh on every render.
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: estimateRowSize,
    overscan: 12,
    // The sticky header row sits above the first row: rows start below it, and scrolling to a
    // row keeps it clear of the header.
    paddingStart: ROW_HEIGHT,
    scrollPaddingStart: ROW_HEIGHT,
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

  // The active row fully in view, below the sticky header and above the horizontal scrollbar.
  // Computed from the scroller's own client box: the virtualizer's scrollToIndex measured the
  // element's outer box, so a row it "showed" could sit one row below what the user sees.
  useLayoutEffect(() => {
    const scroller = scrollRef.current;
    if (!scroller || total === 0) return;
    const top = ROW_HEIGHT + active.index * ROW_HEIGHT;
    const bottom = top + ROW_HEIGHT;
    if (top - ROW_HEIGHT < scroller.scrollTop) scroller.scrollTop = top - ROW_HEIGHT;
    else if (bottom > scroller.scrollTop + scroller.clientHeight)
      scroller.scrollTop = bottom - scroller.clientHeight;
  }, [active.index, total]);

  // Horizontally too: the active cell (say, the next error) must not stay hidden to the right
  // or under the frozen columns.
  useLayoutEffect(() => {
    const scroller = scrollRef.current;
    if (!scroller || active.column <= (frozenTxn ? 1 : 0)) return;
    const left = ROW_NUMBER_WIDTH + widths.slice(0, active.column - 1).reduce((a, b) => a + b, 0);
    const right = left + (widths[active.column - 1] ?? 0);
    if (left - frozenWidth < scroller.scrollLeft) scroller.scrollLeft = left - frozenWidth;
    else if (right > scroller.scrollLeft + scroller.clientWidth)
      scroller.scrollLeft = right - scroller.clientWidth;
  }, [active.column, active.index, widths, frozenTxn, frozenWidth]);

  // Names for the ids on screen (SKU code and name, member e-mail), looked up once each, after
  // scrolling settles (a fast scroll through 100k rows must not ask about every id it passed).
  useEffect(() => {
    const timer = setTimeout(() => lookUp(), 150);
    return () => clearTimeout(timer);
    function lookUp(): void {
      for (const column of columns) {
        const kind = ID_KIND[column];
        if (!kind) continue;
        const ids: string[] = [];
        for (let i = first; i <= last; i++) {
          const value = rowAt(pages, i)?.cells[column];
          if (value) ids.push(value);
        }
        if (ids.length > 0) void idLabelsNeeded(kind, ids);
      }
    }
  }, [first, last, pages, columns, idLabelsNeeded]);

  if (!view) return null;

  const activeRow = rowAt(pages, active.index);
  const visibleRows = Math.max(
    1,
    Math.floor((scrollRef.current?.clientHeight ?? 480) / ROW_HEIGHT) - 1,
  );

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    if (editing) return;
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'a') {
      // Every row of the current filter, loaded or not.
      event.preventDefault();
      void allSelected();
      return;
    }
    // Keyboard selection: Shift+Up/Down extends it from the anchor, Space toggles the row.
    if (canFix && event.shiftKey && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      event.preventDefault();
      const next = Math.min(
        Math.max(0, active.index + (event.key === 'ArrowDown' ? 1 : -1)),
        total - 1,
      );
      const anchor = selection.anchor ?? active.index;
      activeCellMoved({ index: next, column: active.column });
      useImportStore.setState((s) => ({ selection: { ...s.selection, anchor } }));
      void rowSelected(next, rowAt(pages, next)?.row ?? 0, 'range');
      return;
    }
    if (canFix && event.key === ' ' && activeRow) {
      event.preventDefault();
      void rowSelected(active.index, activeRow.row, 'toggle');
      return;
    }
    if (event.key === 'Escape' && selection.rows.length > 0) {
      event.preventDefault();
      selectionCleared();
      return;
    }
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
          const rows = selection.rows.length > 0 ? selection.rows : [activeRow.row];
          const what = rows.length === 1 ? `row ${rows[0]}` : plural(rows.length, 'row');
          if (
            window.confirm(`Delete ${what}? Undo brings ${rows.length === 1 ? 'it' : 'them'} back.`)
          ) {
            void rowsDeleted(rows, false);
          }
        }
        return;
      default:
    }
  };

  if (total === 0) {
    const review = reviewState(view, filter, total);
    return (
      <div className="grid-empty" role="status">
        {filter === 'all' ? (
          <p>The file has no data rows left.</p>
        ) : (
          <div>
            <p>
              <strong>No rows match this filter.</strong> {review.emptyFilterMessage}
            </p>
            <div className="actions actions--center">
              {review.errorRows > 0 && (
                <button
                  type="button"
                  className="button"
                  onClick={() => void filterChanged('errors')}
                >
                  Show the {plural(review.errorRows, 'row')} with errors
                </button>
              )}
              <button type="button" className="button" onClick={() => void filterChanged('all')}>
                Show all rows
              </button>
            </div>
          </div>
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
      aria-multiselectable={canFix || undefined}
      aria-activedescendant={activeRow ? cellId(active.index, active.column) : undefined}
      onKeyDown={onKeyDown}
      onCopy={(event) => {
        // Copy gives the value as the file has it (the UUID, not the name shown).
        if (editing || !activeRow || active.column === 0) return;
        const column = columns[active.column - 1];
        if (!column) return;
        event.preventDefault();
        event.clipboardData.setData('text/plain', activeRow.cells[column] ?? '');
      }}
    >
      <div className="grid-inner" style={{ height: virtualizer.getTotalSize(), width }}>
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
            <div
              key={c}
              className={`grid-cell ${i === 0 && frozenTxn ? 'grid-frozen' : ''}`}
              style={i === 0 && frozenTxn ? { left: ROW_NUMBER_WIDTH } : undefined}
              role="columnheader"
              aria-colindex={i + 2}
              title={c}
            >
              <span className="cell-text">{c}</span>
            </div>
          ))}
        </div>
        {items.map((item) => {
          const row = rowAt(pages, item.index);
          const isSelected = row ? selected.has(row.row) : false;
          return (
            <div
              key={item.key}
              className={`grid-row ${row && row.issues.some((e) => e.severity !== 'warning') ? 'grid-row--error' : ''} ${item.index === active.index ? 'grid-row--active' : ''} ${isSelected ? 'grid-row--selected' : ''}`}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={canFix ? isSelected : undefined}
              style={{
                gridTemplateColumns: template,
                transform: `translateY(${item.start}px)`,
              }}
            >
              {row ? (
                <RowCells
                  row={row}
                  index={item.index}
                  columns={columns}
                  active={item.index === active.index ? active.column : -1}
                  editing={editing && item.index === active.index}
                  frozenTxn={frozenTxn}
                  idLabels={idLabels}
                  onSelect={(column, event) => {
                    const how = event.shiftKey
                      ? 'range'
                      : event.ctrlKey || event.metaKey
                        ? 'toggle'
                        : 'only';
                    if (canFix) void rowSelected(item.index, row.row, how);
                    if (how !== 'range') activeCellMoved({ index: item.index, column });
                  }}
                  onEdit={(column) => {
                    activeCellMoved({ index: item.index, column });
                    if (canFix && column > 0) editStarted();
                  }}
                  onCommit={async (column, value, move, keepFocus) => {
                    const ok = await cellEdited(row.row, column, value);
                    if (ok && move)
                      activeCellMoved({
                        index: item.index + (move === 'down' ? 1 : 0),
                        column: active.column + (move === 'right' ? 1 : 0),
                      });
                    // A blur moved the focus somewhere on purpose: leave it there.
                    if (keepFocus) scrollRef.current?.focus();
                  }}
                  onCancel={(keepFocus) => {
                    editEnded();
                    if (keepFocus) scrollRef.current?.focus();
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
  frozenTxn: boolean;
  idLabels: Record<string, IdLabel>;
  onSelect(column: number, event: React.MouseEvent): void;
  onEdit(column: number): void;
  onCommit(
    column: CanonicalColumn,
    value: string,
    move: 'down' | 'right' | null,
    keepFocus: boolean,
  ): Promise<void>;
  onCancel(keepFocus: boolean): void;
}

function RowCells({
  row,
  index,
  columns,
  active,
  editing,
  frozenTxn,
  idLabels,
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
        onClick={(event) => onSelect(0, event)}
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
        const kind = ID_KIND[column];
        const shown = kind
          ? idText(idLabels[value.trim().toLowerCase()], kind, column, value)
          : null;
        const frozen = i === 0 && frozenTxn;
        return (
          <div
            key={column}
            id={cellId(index, i + 1)}
            role="gridcell"
            aria-colindex={i + 2}
            aria-invalid={error || undefined}
            aria-selected={isActive}
            aria-label={
              reason
                ? `${shown ?? value ?? 'empty'} — ${reason}`
                : shown
                  ? `${shown} (${value})`
                  : undefined
            }
            className={`grid-cell ${error ? 'cell--error' : ''} ${warning ? 'cell--warning' : ''} ${isActive ? 'grid-cell--active' : ''} ${frozen ? 'grid-frozen' : ''}`}
            style={frozen ? { left: ROW_NUMBER_WIDTH } : undefined}
            title={[shown ? value : '', reason].filter(Boolean).join('\n') || undefined}
            onClick={(event) => onSelect(i + 1, event)}
            onDoubleClick={() => onEdit(i + 1)}
          >
            {isActive && editing ? (
              <CellEditor
                value={value}
                column={column}
                onCommit={(v, move, keepFocus) => onCommit(column, v, move, keepFocus)}
                onCancel={onCancel}
              />
            ) : (
              <span className={`cell-text ${shown ? 'cell-text--label' : ''}`}>
                {shown ?? value}
              </span>
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
  onCommit(value: string, move: 'down' | 'right' | null, keepFocus: boolean): Promise<void>;
  onCancel(keepFocus: boolean): void;
}): React.JSX.Element {
  const [text, setText] = useState(value);
  const [saving, setSaving] = useState(false);
  // Escape or a save already ended this edit: the blur that follows must not save again.
  const done = useRef(false);
  const save = (move: 'down' | 'right' | null, keepFocus = true): void => {
    if (saving || done.current) return;
    done.current = true;
    if (text === value) {
      onCancel(keepFocus);
      return;
    }
    setSaving(true);
    void onCommit(text, move, keepFocus).finally(() => setSaving(false));
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
          done.current = true;
          onCancel(true);
        }
      }}
      // Like a spreadsheet: clicking elsewhere keeps what was typed.
      onBlur={() => save(null, false)}
    />
  );
}
