// Text that would change the meaning of a statement if any layer glued it into SQL, a LIKE
// pattern, a format() string or a dollar-quoted body: each must come back byte for byte, or be
// refused with a clear message, and never run.

export const SQL_META_PAYLOADS: readonly string[] = [
  "'",
  '"',
  ';',
  '--',
  '/* */',
  '\\',
  '$$',
  '%',
  '_',
  "' or '1'='1",
  "'); drop table public.purchases; --",
  '$$; select pg_sleep(10); $$',
  '%s %I %L %%',
  "\\x27 \\u0027 E'\\047'",
  'Ünïcødé ß 漢字 🙂 \u202eevil\u202c a\u0301',
  '\u2028line\u2029sep',
];

/** LIKE's wildcards on their own: a search for them must match only text that contains them. */
export const LIKE_WILDCARDS: readonly string[] = ['%', '_'];

export const NUL = String.fromCharCode(0);

/**
 * Text a spreadsheet would run as a formula (OWASP "CSV injection") when a cell starts so: OWASP's
 * list, and the full-width forms spreadsheets also evaluate.
 */
export const FORMULA_PREFIXES: readonly string[] = [
  '=',
  '+',
  '-',
  '@',
  '\t',
  '\r',
  '\n',
  '\uff1d',
  '\uff0b',
  '\uff0d',
  '\uff20',
];

/** Whitespace before a formula that spreadsheets skip (space, no-break space, ideographic). */
export const FORMULA_LEADING_SPACES: readonly string[] = ['', ' ', '  ', '\u00a0', '\u3000'];

/** Whether a cell of an export would still be run as a formula (leading whitespace skipped). */
export function startsAsFormula(cell: string): boolean {
  const rest = cell.replace(/^[ \u00a0\u3000]+/, '');
  return FORMULA_PREFIXES.some((prefix) => rest.startsWith(prefix));
}

/** Case-insensitive substring test, as ILIKE '%text%' answers it for these payloads. */
export function containsText(haystack: string | null | undefined, needle: string): boolean {
  return (haystack ?? '').toLowerCase().includes(needle.trim().toLowerCase());
}
