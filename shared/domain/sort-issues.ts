import { CANONICAL_COLUMNS, type RowError } from './types';

const RANK = new Map<string, number>(CANONICAL_COLUMNS.map((c, i) => [c, i]));

/** File-level (null column) first, then canonical column order, then other names (headers). */
function columnRank(column: string | null): number {
  if (column === null) return -1;
  return RANK.get(column) ?? CANONICAL_COLUMNS.length;
}

/** Sorted by row, then column; stable, so same-cell issues keep the order they were found in. */
export function sortIssues(list: RowError[]): RowError[] {
  return list.sort((a, b) => a.row - b.row || columnRank(a.column) - columnRank(b.column));
}
