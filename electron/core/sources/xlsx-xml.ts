/**
 * The parts of SpreadsheetML (ECMA-376 Part 1, §18) the workbook source reads, scanned from
 * text: workbook.xml (sheets, date system), relationships, styles (which cells are dates),
 * shared strings and a sheet's rows. Pure string work, no I/O, so it is tested and fuzzed alone.
 *
 * Why a scanner instead of a general XML parser: a sheet is millions of tiny elements, and
 * every streaming XML parser measured spent 6-10x the CSV path's time on them (saxes, under
 * exceljs's WorkbookReader and alone; see README "Performance"). Only the few elements below
 * are read; everything else is skipped by searching for the next tag of interest.
 */

/** Excel's limits (Excel specifications and limits): more is not a workbook Excel wrote. */
export const MAX_ROWS = 1_048_576;
export const MAX_COLUMNS = 16_384;

const ENTITY = /&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|amp|lt|gt|quot|apos);/g;
const ESCAPED_CHAR = /_x([0-9a-fA-F]{4})_/g;

function codePoint(n: number): string {
  return n <= 0x10ffff && !(n >= 0xd800 && n <= 0xdfff) ? String.fromCodePoint(n) : '\ufffd';
}

/** XML character and entity references, as in attribute values and text. */
export function decodeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(ENTITY, (_, name: string) => {
    switch (name) {
      case 'amp':
        return '&';
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default:
        return codePoint(
          name[1] === 'x' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10),
        );
    }
  });
}

/** Cell text: XML references, then OOXML's `_xHHHH_` escapes (line breaks are `_x000D_`). */
export function decodeCellText(text: string): string {
  const decoded = decodeXml(text);
  if (!decoded.includes('_x')) return decoded;
  return decoded.replace(ESCAPED_CHAR, (_, hex: string) => codePoint(parseInt(hex, 16)));
}

const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** The attributes of a start tag's text (`r="A1" t="s"`), names as written (prefix included). */
export function readAttributes(text: string): Map<string, string> {
  const attributes = new Map<string, string>();
  ATTRIBUTE.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = ATTRIBUTE.exec(text)) !== null) {
    attributes.set(match[1] as string, decodeXml(match[2] ?? match[3] ?? ''));
  }
  return attributes;
}

/** One attribute of a start tag's text, found without building them all (cells are many). */
export function attribute(text: string, name: string): string | undefined {
  let at = text.indexOf(`${name}=`);
  while (at > 0) {
    const before = text.charCodeAt(at - 1);
    if (before === 32 || before === 9 || before === 10 || before === 13) break;
    at = text.indexOf(`${name}=`, at + 1);
  }
  if (at < 0) return undefined;
  const quote = text[at + name.length + 1];
  if (quote !== '"' && quote !== "'") return undefined;
  const start = at + name.length + 2;
  const end = text.indexOf(quote, start);
  return decodeXml(text.slice(start, end < 0 ? text.length : end));
}

/** An attribute by its local name, whatever its prefix (`r:id`, `id`). */
function localAttribute(attributes: Map<string, string>, local: string): string | undefined {
  const plain = attributes.get(local);
  if (plain !== undefined) return plain;
  for (const [name, value] of attributes) {
    if (name.endsWith(`:${local}`)) return value;
  }
  return undefined;
}

/** Every start tag with this local name (any prefix), as its attributes. */
export function findTags(xml: string, local: string): Map<string, string>[] {
  const pattern = new RegExp(`<(?:[\\w.-]+:)?${local}(?=[\\s/>])([^>]*)>`, 'g');
  const found: Map<string, string>[] = [];
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(xml)) !== null) found.push(readAttributes(match[1] ?? ''));
  return found;
}

export interface WorkbookSheet {
  name: string;
  hidden: boolean;
  relationshipId: string;
}

export interface WorkbookInfo {
  sheets: WorkbookSheet[];
  /** The 1904 date system (Excel for Mac before 2011 wrote it); else the 1900 system. */
  date1904: boolean;
}

export function parseWorkbookXml(xml: string): WorkbookInfo {
  const sheets = findTags(xml, 'sheet').map((a) => ({
    name: a.get('name') ?? '',
    hidden: a.get('state') === 'hidden' || a.get('state') === 'veryHidden',
    relationshipId: localAttribute(a, 'id') ?? '',
  }));
  const properties = findTags(xml, 'workbookPr')[0];
  const date1904 = properties?.get('date1904');
  return { sheets, date1904: date1904 === '1' || date1904 === 'true' };
}

/** Relationship id → target path inside the package, resolved against the part's folder. */
export function parseRelationships(xml: string, baseFolder: string): Map<string, string> {
  const targets = new Map<string, string>();
  for (const a of findTags(xml, 'Relationship')) {
    const id = a.get('Id');
    const target = a.get('Target');
    if (!id || !target || a.get('TargetMode') === 'External') continue;
    targets.set(id, resolvePartPath(baseFolder, target));
  }
  return targets;
}

export function resolvePartPath(baseFolder: string, target: string): string {
  const parts = target.startsWith('/') ? [] : baseFolder.split('/').filter(Boolean);
  for (const piece of target.split('/')) {
    if (piece === '' || piece === '.') continue;
    if (piece === '..') parts.pop();
    else parts.push(piece);
  }
  return parts.join('/');
}

/** Built-in number formats that show dates or times (ECMA-376 §18.8.30, and East Asian ones). */
function isBuiltInDateFormat(id: number): boolean {
  return (
    (id >= 14 && id <= 22) ||
    (id >= 27 && id <= 36) ||
    (id >= 45 && id <= 47) ||
    (id >= 50 && id <= 58) ||
    (id >= 71 && id <= 81)
  );
}

/**
 * A format code shows a date or a time when, outside quoted text, escapes, fills and colour or
 * locale brackets, its first section uses d, m, y, h or s ([h] elapsed hours included).
 */
export function isDateFormatCode(code: string): boolean {
  let s = code
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/[_*]./g, '');
  if (/\[(h+|m+|s+)\]/i.test(s)) return true;
  s = s.replace(/\[[^\]]*\]/g, '');
  const first = s.split(';')[0] ?? '';
  return /[dmyhs]/i.test(first) && !/^general$/i.test(first.trim());
}

/** For each cell style (the `s` of a cell), whether it shows a date. */
export function parseDateStyles(xml: string): boolean[] {
  const custom = new Map<number, string>();
  for (const a of findTags(xml, 'numFmt')) {
    const id = Number(a.get('numFmtId'));
    if (Number.isInteger(id)) custom.set(id, a.get('formatCode') ?? '');
  }
  const start = xml.search(/<(?:[\w.-]+:)?cellXfs[\s>]/);
  if (start < 0) return [];
  const end = xml.search(/<\/(?:[\w.-]+:)?cellXfs>/);
  const section = xml.slice(start, end < 0 ? xml.length : end);
  return findTags(section, 'xf').map((a) => {
    const id = Number(a.get('numFmtId') ?? 0);
    const code = custom.get(id);
    return code !== undefined ? isDateFormatCode(code) : isBuiltInDateFormat(id);
  });
}

const PHONETIC = /<(?:[\w.-]+:)?rPh\b[\s\S]*?<\/(?:[\w.-]+:)?rPh>/g;
const TEXT_RUN = /<(?:[\w.-]+:)?t(?:\s[^>]*)?>([^<]*)<\/(?:[\w.-]+:)?t>/g;

/** The text of a shared string item or an inline string: its runs joined, phonetics left out. */
export function richText(xml: string): string {
  const body = xml.includes('rPh') ? xml.replace(PHONETIC, '') : xml;
  let text = '';
  TEXT_RUN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = TEXT_RUN.exec(body)) !== null) text += match[1] ?? '';
  return decodeCellText(text);
}

/**
 * Elements `<name …>…</name>` (or `<name/>`) streamed from text pushed in pieces. The closing tag
 * is searched from where the last search stopped, so an element split over many pieces costs
 * its length once; an element longer than `maxChars` is refused (a row or string nobody wrote).
 */
export class ElementStream {
  private buffer = '';
  private prefix: string | null = null;
  /**
   * An element whose end has not come yet, kept as pieces (joining or searching a growing
   * string on every piece would cost its length each time): its text so far, the characters
   * searched for its closing tag, the end of the last piece (a tag may straddle two).
   */
  private pending: { pieces: string[]; length: number; tail: string; closeTag: string } | null =
    null;

  constructor(
    private readonly local: string,
    private readonly maxChars: number,
    private readonly onElement: (attributes: string, body: string | null) => void,
    /** Text between elements (after the last one, e.g. a sheet's mergeCells), in pieces. */
    private readonly onOther: (text: string) => void = () => {},
  ) {}

  push(text: string): void {
    const pending = this.pending;
    if (pending) {
      const probe = pending.tail + text;
      if (!probe.includes(pending.closeTag)) {
        pending.pieces.push(text);
        pending.length += text.length;
        pending.tail = probe.slice(-(pending.closeTag.length - 1));
        this.checkLength(pending.length);
        return;
      }
      pending.pieces.push(text);
      this.buffer = pending.pieces.join('');
      this.pending = null;
    } else {
      this.buffer += text;
    }
    this.drain();
  }

  end(): void {
    if (this.pending) {
      this.buffer = this.pending.pieces.join('');
      this.pending = null;
    }
    this.drain();
    this.onOther(this.buffer);
    this.buffer = '';
  }

  private checkLength(length: number): void {
    if (length > this.maxChars) {
      throw new RangeError(
        `a <${this.local}> element is longer than ${Math.round(this.maxChars / 1048576)} MB`,
      );
    }
  }

  private drain(): void {
    const buffer = this.buffer;
    let pos = 0;
    for (;;) {
      const open = this.findOpen(buffer, pos);
      if (open < 0) {
        // Keep a tag that may be cut off at the end; the rest is between elements.
        const lastTag = buffer.lastIndexOf('<');
        const cut = lastTag < pos ? buffer.length : lastTag;
        this.onOther(buffer.slice(pos, cut));
        pos = cut;
        break;
      }
      if (open > pos) this.onOther(buffer.slice(pos, open));
      pos = open;
      const tagEnd = buffer.indexOf('>', open);
      if (tagEnd < 0) break;
      const nameEnd = open + 1 + (this.prefix?.length ?? 0) + this.local.length;
      if (buffer.charCodeAt(tagEnd - 1) === 47 /* / */) {
        this.onElement(buffer.slice(nameEnd, tagEnd - 1), null);
        pos = tagEnd + 1;
        continue;
      }
      const closeTag = `</${this.prefix ?? ''}${this.local}>`;
      const close = buffer.indexOf(closeTag, tagEnd);
      if (close < 0) {
        // Wait for the end as pieces: nothing before `pos` is needed again.
        const rest = buffer.slice(pos);
        this.pending = {
          pieces: [rest],
          length: rest.length,
          tail: rest.slice(-(closeTag.length - 1)),
          closeTag,
        };
        this.buffer = '';
        this.checkLength(rest.length);
        return;
      }
      this.onElement(buffer.slice(nameEnd, tagEnd), buffer.slice(tagEnd + 1, close));
      pos = close + closeTag.length;
    }
    this.buffer = buffer.slice(pos);
    this.checkLength(this.buffer.length);
  }

  /** The next start tag of the element (`<row ` but not `<rowBreaks`), learning its prefix. */
  private findOpen(buffer: string, from: number): number {
    if (this.prefix !== null) {
      const tag = `<${this.prefix}${this.local}`;
      let at = buffer.indexOf(tag, from);
      while (at >= 0) {
        const next = buffer.charCodeAt(at + tag.length);
        if (next === 32 || next === 62 || next === 47 || next === 9 || next === 10 || next === 13)
          return at;
        if (Number.isNaN(next)) return -1; // cut off: wait for more
        at = buffer.indexOf(tag, at + 1);
      }
      return -1;
    }
    const pattern = new RegExp(`<([\\w.-]+:)?${this.local}(?=[\\s/>])`, 'g');
    pattern.lastIndex = from;
    const match = pattern.exec(buffer);
    if (!match) return -1;
    this.prefix = match[1] ?? '';
    return match.index;
  }
}

/** A1-style column letters → 0-based index; -1 when it is not a cell reference. */
export function columnIndex(reference: string): number {
  let index = 0;
  let i = 0;
  for (; i < reference.length && i < 4; i++) {
    const c = reference.charCodeAt(i);
    if (c >= 65 && c <= 90) index = index * 26 + (c - 64);
    else if (c >= 97 && c <= 122) index = index * 26 + (c - 96);
    else break;
  }
  return i === 0 ? -1 : index - 1;
}

/** 0-based column index → letters (0 → A, 26 → AA). */
export function columnName(index: number): string {
  let name = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) {
    name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
  }
  return name;
}

/** One cell as written: its type, value text, formula (if any) and style index. */
export interface RawCell {
  column: number;
  type: string;
  value: string | null;
  inline: string | null;
  formula: string | null;
  style: number;
}

const CELL_OPEN = /<(?:[\w.-]+:)?c(?=[\s/>])([^>]*?)(\/)?>/g;
const VALUE = /<(?:[\w.-]+:)?v(?:\s[^>]*)?>([^<]*)<\/(?:[\w.-]+:)?v>/;
const FORMULA = /<(?:[\w.-]+:)?f(?:\s[^>]*)?(?:\/>|>([^<]*)<\/(?:[\w.-]+:)?f>)/;
const INLINE = /<(?:[\w.-]+:)?is>([\s\S]*?)<\/(?:[\w.-]+:)?is>/;

/** The cells of one row's body, in order, with their 0-based columns. */
export function readCells(body: string): RawCell[] {
  const cells: RawCell[] = [];
  forEachCell(body, (cell) => cells.push({ ...cell }));
  return cells;
}

/**
 * Visits the cells of one row's body in order. The cell object is reused from one call to the
 * next (a million-row sheet has ten million cells): copy what must outlive the call.
 */
export function forEachCell(body: string, visit: (cell: RawCell) => void): void {
  const cell: RawCell = {
    column: -1,
    type: 'n',
    value: null,
    inline: null,
    formula: null,
    style: 0,
  };
  let previous = -1;
  CELL_OPEN.lastIndex = 0;
  let match: RegExpExecArray | null;
  while ((match = CELL_OPEN.exec(body)) !== null) {
    const attributes = match[1] ?? '';
    let inner = '';
    if (!match[2]) {
      const from = CELL_OPEN.lastIndex;
      const close = cellClose(body, body.indexOf('</', from));
      inner = body.slice(from, close);
      CELL_OPEN.lastIndex = closeEnd;
    }
    const reference = attribute(attributes, 'r');
    const column = reference ? columnIndex(reference) : previous + 1;
    previous = column;
    const type = attribute(attributes, 't') ?? 'n';
    const formula = inner.includes('<f') || inner.includes(':f') ? FORMULA.exec(inner) : null;
    const inline = type === 'inlineStr' ? INLINE.exec(inner) : null;
    const value = inner.length > 0 ? VALUE.exec(inner) : null;
    const style = attribute(attributes, 's');
    cell.column = column;
    cell.type = type;
    cell.value = value ? (value[1] ?? '') : null;
    cell.inline = inline ? richText(inline[1] ?? '') : null;
    cell.formula = formula ? decodeXml(formula[1] ?? '') : null;
    cell.style = style === undefined ? 0 : Number(style) || 0;
    visit(cell);
  }
}

/** Where the last cellClose() match ends (after its `>`). */
let closeEnd = 0;

/** The start of a cell's own closing tag (`</c>` or `</x:c>`), from the first `</` on. */
function cellClose(body: string, firstClose: number): number {
  let at = firstClose;
  while (at >= 0) {
    // The usual case, `</c>`, without slicing.
    if (body.charCodeAt(at + 2) === 99 /* c */ && body.charCodeAt(at + 3) === 62 /* > */) {
      closeEnd = at + 4;
      return at;
    }
    const gt = body.indexOf('>', at);
    if (gt < 0) break;
    const name = body.slice(at + 2, gt).trim();
    if (name === 'c' || name.endsWith(':c')) {
      closeEnd = gt + 1;
      return at;
    }
    at = body.indexOf('</', gt);
  }
  closeEnd = body.length;
  return body.length;
}
