// Human output of the command line: numbers, amounts, dates and plurals through Intl, and tables
// whose columns line up with their headers. --json output never goes through here.

const LOCALE = 'en';
/**
 * Made on first use: the first Intl formatter of a process starts ICU, and the command's start
 * must not wait for it. Made as the module loaded, they put 60-110 ms (load ~4, medians of 8)
 * between the CLI's entry and its handing the file to the parse worker, which was then as late
 * as the worker's own start; made by the first progress line instead, while the worker reads.
 */
function lazy<T>(make: () => T): () => T {
  let made: T | undefined;
  return () => (made ??= make());
}
const integer = lazy(() => new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 }));
const money = lazy(
  () => new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
);
const seconds = lazy(
  () => new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
);
const pluralRules = lazy(() => new Intl.PluralRules(LOCALE));
// Dates in UTC, said so: a terminal's reader may be anywhere, and logs are compared across hosts.
const dateTime = lazy(
  () =>
    new Intl.DateTimeFormat('en-GB', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      timeZone: 'UTC',
    }),
);

export function count(value: number): string {
  return integer().format(value);
}

/** "1 purchase", "2 purchases", "1,234 rows". */
export function plural(value: number, one: string, many = `${one}s`): string {
  return `${count(value)} ${pluralRules().select(value) === 'one' ? one : many}`;
}

export function amount(cents: number): string {
  return money().format(cents / 100);
}

export function when(iso: string | null): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : `${dateTime().format(date)} UTC`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${count(Math.round(ms))} ms`;
  if (ms < 60_000) return `${seconds().format(ms / 1000)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${count(minutes)} min ${count(Math.round((ms % 60_000) / 1000))} s`;
}

/** A table with a header line; each column as wide as its widest cell; numbers on the right. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  alignRight: readonly boolean[] = [],
): string {
  const widths = headers.map((h, i) =>
    Math.max([...h].length, ...rows.map((r) => [...(r[i] ?? '')].length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        const last = i === cells.length - 1;
        if (alignRight[i]) return cell.padStart(width);
        return last ? cell : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}
