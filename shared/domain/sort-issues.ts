import { CANONICAL_COLUMNS, type RowError } from './types';

const RANK = new Map<string, number>(CANONICAL_COLUMNS.map((c, i) => [c, i]));

/** File-level (null column) first, then canonical column order, then other names (headers). */
function columnRank(column: string | null): number {
  if (column === null) return -1;
  return RANK.get(column) ?? CANONICAL_COLUMNS.length;
}

function compare(a: RowError, b: RowError): number {
  return a.row - b.row || columnRank(a.column) - columnRank(b.column);
}

/** The order sortIssues sorts by (row, then column), for merging lists already sorted. */
export const compareIssues = compare;

/** Sorted by row, then column; stable, so same-cell issues keep the order they were found in. */
export function sortIssues(list: RowError[]): RowError[] {
  // Cell errors arrive in order already; checking is O(n) where sorting 1M errors is not.
  for (let i = 1; i < list.length; i++) {
    if (compare(list[i - 1] as RowError, list[i] as RowError) > 0) return list.sort(compare);
  }
  return list;
}
