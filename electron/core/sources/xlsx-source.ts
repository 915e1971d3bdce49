import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { ParseOptions } from '../../../shared/domain/types';
import type { CellProblem, SheetInfo, SourceInfo } from '../../../shared/sources/records';
import type { FileHead, RecordSource, SourceReadResult } from './record-source';
import { cellValue, type CellContext } from './xlsx-values';
import {
  attribute,
  columnName,
  ElementStream,
  findTags,
  forEachCell,
  MAX_COLUMNS,
  MAX_ROWS,
  parseDateStyles,
  parseRelationships,
  parseWorkbookXml,
  readCells,
  resolvePartPath,
  richText,
  type RawCell,
  type WorkbookInfo,
} from './xlsx-xml';

/**
 * Excel workbooks (.xlsx) as a record source: one sheet's rows, streamed from the zip with
 * yauzl (which checks every entry's inflated size against the size its directory declares), so
 * a 1M-row sheet is never held in memory. Limits keep hostile files bounded: entry sizes, the
 * inflation ratio, the shared-string table, the length of one row.
 */

/** Small parts (workbook, relationships, styles) above this are not what Excel writes. */
const MAX_SMALL_PART_BYTES = 16 * 1024 * 1024;
/** The shared-string table is held in memory while the sheet is read. */
const MAX_SHARED_STRINGS_BYTES = 512 * 1024 * 1024;
const MAX_SHARED_STRINGS = 5_000_000;
/** A sheet is streamed, but a zip bomb still costs time: 4 GB of XML is far past 1M rows. */
const MAX_SHEET_BYTES = 4 * 1024 * 1024 * 1024;
/** Deflate rarely beats 100:1 on real sheets; bombs are thousands to one. */
const MAX_INFLATION_RATIO = 250;
const MAX_ROW_CHARS = 16 * 1024 * 1024;
const MAX_ENTRIES = 10_000;
/** Rows handed to the analyser at once. */
const ROWS_PER_BATCH = 2_000;

class WorkbookError extends Error {}

function refuse(path: string, reason: string): WorkbookError {
  return new WorkbookError(`Cannot read "${path}" as an Excel workbook: ${reason}`);
}

interface OpenWorkbook {
  zip: ZipFile;
  entries: Map<string, Entry>;
}

function openZip(path: string): Promise<OpenWorkbook> {
  return new Promise((resolve, reject) => {
    yauzl.open(
      path,
      { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false },
      (error, zip) => {
        if (error || !zip) {
          reject(
            refuse(path, `it is not a readable zip archive (${error?.message ?? 'no archive'})`),
          );
          return;
        }
        const entries = new Map<string, Entry>();
        zip.on('entry', (entry: Entry) => {
          if (entries.size >= MAX_ENTRIES) {
            zip.close();
            reject(refuse(path, `it has more than ${MAX_ENTRIES} parts`));
            return;
          }
          entries.set(entry.fileName.replace(/^\/+/, ''), entry);
          zip.readEntry();
        });
        zip.once('end', () => resolve({ zip, entries }));
        zip.once('error', (e: Error) => {
          zip.close();
          reject(refuse(path, e.message));
        });
        zip.readEntry();
      },
    );
  });
}

function checkEntry(path: string, entry: Entry, maxBytes: number): void {
  if (entry.uncompressedSize > maxBytes) {
    throw refuse(
      path,
      `its part ${entry.fileName} unpacks to ${entry.uncompressedSize} bytes (at most ${maxBytes})`,
    );
  }
  if (
    entry.uncompressedSize > 1024 * 1024 &&
    entry.uncompressedSize > MAX_INFLATION_RATIO * Math.max(1, entry.compressedSize)
  ) {
    throw refuse(
      path,
      `its part ${entry.fileName} unpacks ${Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize))} times its packed size (a zip bomb?)`,
    );
  }
}

/** The file's defects (limits, broken parts) as refusals; anything else is a bug: as it is. */
function asRefusal(path: string, part: string, error: unknown): Error {
  if (error instanceof WorkbookError) return error;
  if (error instanceof RangeError) return refuse(path, `${part}: ${error.message}`);
  return error instanceof Error ? error : new Error(String(error));
}

/** A part's stream; a part whose local header or data lies outside the file is a refusal. */
function openEntry(path: string, zip: ZipFile, entry: Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (error, stream) => {
      if (error || !stream) {
        reject(
          refuse(
            path,
            `its part ${entry.fileName} cannot be read (${error?.message ?? 'no data'})`,
          ),
        );
      } else resolve(stream);
    });
  });
}

/**
 * Streams a part's text to `onText`; `stop()` from inside ends it early (the head reader).
 * Errors (a bad deflate stream, an entry larger than declared) reject with the part's name.
 */
async function streamPart(
  path: string,
  workbook: OpenWorkbook,
  name: string,
  maxBytes: number,
  onText: (text: string, inflated: number) => boolean | void,
): Promise<void> {
  const entry = workbook.entries.get(name);
  if (!entry) throw refuse(path, `its part ${name} is missing`);
  checkEntry(path, entry, maxBytes);
  const stream = await openEntry(path, workbook.zip, entry);
  const decoder = new StringDecoder('utf8');
  let inflated = 0;
  await new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      if (error) reject(error);
      else resolve();
    };
    stream.on('data', (chunk: Buffer) => {
      if (done) return;
      inflated += chunk.length;
      try {
        if (onText(decoder.write(chunk), inflated) === false) {
          stream.destroy();
          finish();
        }
      } catch (error) {
        stream.destroy();
        finish(asRefusal(path, name, error));
      }
    });
    stream.on('end', () => {
      try {
        const rest = decoder.end();
        if (rest) onText(rest, inflated);
        finish();
      } catch (error) {
        finish(asRefusal(path, name, error));
      }
    });
    stream.on('error', (error: Error) => finish(refuse(path, `${name}: ${error.message}`)));
  });
}

async function readPart(path: string, workbook: OpenWorkbook, name: string): Promise<string> {
  let text = '';
  await streamPart(path, workbook, name, MAX_SMALL_PART_BYTES, (piece) => {
    text += piece;
  });
  return text;
}

interface WorkbookLayout {
  info: WorkbookInfo;
  sheetPaths: Map<string, string>;
  dateStyles: boolean[];
  sharedStringsPath: string | null;
}

async function readLayout(path: string, workbook: OpenWorkbook): Promise<WorkbookLayout> {
  const rootXml = workbook.entries.has('_rels/.rels')
    ? await readPart(path, workbook, '_rels/.rels')
    : '';
  const rootRels = parseRelationships(rootXml, '');
  let workbookPath = 'xl/workbook.xml';
  for (const a of findTags(rootXml, 'Relationship')) {
    if ((a.get('Type') ?? '').endsWith('/officeDocument')) {
      workbookPath = rootRels.get(a.get('Id') ?? '') ?? workbookPath;
    }
  }
  if (!workbook.entries.has(workbookPath)) {
    throw refuse(path, 'it has no workbook part (is it an .xlsx file, not another zip?)');
  }
  const info = parseWorkbookXml(await readPart(path, workbook, workbookPath));
  const folder = workbookPath.split('/').slice(0, -1).join('/');
  const relsPath = `${folder ? `${folder}/` : ''}_rels/${workbookPath.split('/').pop() ?? ''}.rels`;
  const relsXml = workbook.entries.has(relsPath) ? await readPart(path, workbook, relsPath) : '';
  const targets = parseRelationships(relsXml, folder);
  const sheetPaths = new Map<string, string>();
  for (const sheet of info.sheets) {
    const target = targets.get(sheet.relationshipId);
    if (target) sheetPaths.set(sheet.name, target);
  }
  let stylesPath: string | null = null;
  let sharedStringsPath: string | null = null;
  for (const a of findTags(relsXml, 'Relationship')) {
    const type = a.get('Type') ?? '';
    const target = a.get('Target');
    if (!target) continue;
    if (type.endsWith('/styles')) stylesPath = resolvePartPath(folder, target);
    if (type.endsWith('/sharedStrings')) sharedStringsPath = resolvePartPath(folder, target);
  }
  const dateStyles =
    stylesPath && workbook.entries.has(stylesPath)
      ? parseDateStyles(await readPart(path, workbook, stylesPath))
      : [];
  if (sharedStringsPath && !workbook.entries.has(sharedStringsPath)) sharedStringsPath = null;
  return { info, sheetPaths, dateStyles, sharedStringsPath };
}

/** Shared strings up to `upTo` (inclusive; Infinity: all), bounded in count and size. */
async function readSharedStrings(
  path: string,
  workbook: OpenWorkbook,
  part: string | null,
  upTo: number,
): Promise<string[]> {
  const strings: string[] = [];
  if (!part || upTo < 0) return strings;
  const items = new ElementStream('si', MAX_ROW_CHARS, (_attributes, body) => {
    if (strings.length >= MAX_SHARED_STRINGS) {
      throw refuse(path, `its shared-string table has more than ${MAX_SHARED_STRINGS} strings`);
    }
    strings.push(body === null ? '' : richText(body));
  });
  await streamPart(path, workbook, part, MAX_SHARED_STRINGS_BYTES, (text) => {
    items.push(text);
    return strings.length <= upTo;
  });
  if (strings.length <= upTo) items.end();
  return strings;
}

function sheetList(info: WorkbookInfo): SheetInfo[] {
  return info.sheets.map((s) => ({ name: s.name, hidden: s.hidden }));
}

function quoteNames(sheets: readonly SheetInfo[]): string {
  return sheets.map((s) => `"${s.name}"${s.hidden ? ' (hidden)' : ''}`).join(', ');
}

/**
 * The sheet to read: the one chosen by name (hidden ones too: chosen explicitly), else the only
 * visible one. Several visible sheets and none chosen: refused, naming them (never guessed);
 * `firstIfSeveral` (the mapping step, which then asks) takes the first visible one.
 */
function chooseSheet(
  path: string,
  layout: WorkbookLayout,
  options: ParseOptions,
  firstIfSeveral: boolean,
): { name: string; part: string } {
  const sheets = sheetList(layout.info);
  const chosen = options.xlsx?.sheet;
  const visible = sheets.filter((s) => !s.hidden);
  let name: string;
  if (chosen !== undefined) {
    if (!sheets.some((s) => s.name === chosen)) {
      throw refuse(path, `it has no sheet "${chosen}"; its sheets are ${quoteNames(sheets)}`);
    }
    name = chosen;
  } else if (visible.length === 1 || (firstIfSeveral && visible.length > 0)) {
    name = (visible[0] as SheetInfo).name;
  } else if (visible.length === 0) {
    throw refuse(
      path,
      sheets.length === 0
        ? 'it has no sheets'
        : `every sheet is hidden (${quoteNames(sheets)}): choose one by name (--sheet NAME, or the sheet picker)`,
    );
  } else {
    throw refuse(
      path,
      `it has ${visible.length} sheets (${quoteNames(sheets)}): choose one (--sheet NAME, or the sheet picker)`,
    );
  }
  const part = layout.sheetPaths.get(name);
  if (!part) throw refuse(path, `its sheet "${name}" has no data part`);
  return { name, part };
}

/** Turns a sheet's row elements into records of the header's width, with their problems. */
class SheetRows {
  private width = -1;
  private lastRow = 0;
  records: string[][] = [];
  rows: number[] = [];
  cellProblems = new Map<number, CellProblem[]>();
  problems = new Map<number, string>();

  private readonly context: CellContext;

  constructor(
    private readonly path: string,
    context: Omit<CellContext, 'row'>,
  ) {
    this.context = { ...context, row: 0 };
  }

  add(attributes: string, body: string | null): void {
    const declared = Number(attribute(attributes, 'r'));
    const row = Number.isInteger(declared) && declared > 0 ? declared : this.lastRow + 1;
    if (row <= this.lastRow || row > MAX_ROWS) {
      throw refuse(
        this.path,
        `sheet "${this.context.sheet}" has row ${row} after row ${this.lastRow} (rows must go down, at most ${MAX_ROWS})`,
      );
    }
    this.lastRow = row;
    const header = this.width < 0;
    // The header's cells are read first to know its width; other rows go cell by cell.
    const headerCells = header && body !== null ? readCells(body) : [];
    const width = header ? widthOf(headerCells) : this.width;
    const record = new Array<string>(width).fill('');
    const index = this.records.length;
    this.context.row = row;
    const take = (cell: RawCell): void => {
      if (cell.column < 0 || cell.column >= MAX_COLUMNS) {
        throw refuse(
          this.path,
          `sheet "${this.context.sheet}", row ${row} has a cell outside columns A-XFD`,
        );
      }
      const value = cellValue(cell, this.context);
      if (cell.column >= width) {
        if (typeof value === 'string' && value.trim() === '') return;
        this.problems.set(
          index,
          `sheet "${this.context.sheet}", cell ${columnName(cell.column)}${row} has a value in a column without a header: give the column a header or clear it`,
        );
        return;
      }
      if (typeof value === 'string') {
        record[cell.column] = value;
      } else {
        const list = this.cellProblems.get(index) ?? [];
        list.push({ index: cell.column, message: value.problem, value: value.value });
        this.cellProblems.set(index, list);
      }
    };
    if (header) headerCells.forEach(take);
    else if (body !== null) forEachCell(body, take);
    // The header is the first row with a value; blank rows above it are skipped as in CSV.
    if (header && width > 0) this.width = width;
    this.records.push(record);
    this.rows.push(row);
  }

  take(): {
    records: string[][];
    rows: number[];
    problems?: Map<number, string>;
    cellProblems?: Map<number, CellProblem[]>;
  } {
    const batch = {
      records: this.records,
      rows: this.rows,
      ...(this.problems.size ? { problems: this.problems } : {}),
      ...(this.cellProblems.size ? { cellProblems: this.cellProblems } : {}),
    };
    this.records = [];
    this.rows = [];
    this.problems = new Map();
    this.cellProblems = new Map();
    return batch;
  }
}

/** A header row's width: up to its last cell with a value (a formatted empty cell does not count). */
function widthOf(cells: readonly RawCell[]): number {
  let width = 0;
  for (const cell of cells) {
    const has =
      (cell.value !== null && cell.value !== '') ||
      (cell.inline ?? '') !== '' ||
      cell.formula !== null;
    if (has && cell.column + 1 > width) width = Math.min(cell.column + 1, MAX_COLUMNS);
  }
  return width;
}

/** Merged ranges, from the text after the sheet's rows. */
function collectMerges(text: string, into: string[]): void {
  if (!text.includes('mergeCell')) return;
  for (const a of findTags(text, 'mergeCell')) {
    const ref = a.get('ref');
    if (ref && into.length < 20) into.push(ref);
  }
}

function hashFile(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve(hash.digest('hex')))
      .on('error', reject);
  });
}

export const xlsxSource: RecordSource = {
  format: 'xlsx',

  async read({ path, options, totalBytes }, { sink, progress }): Promise<SourceReadResult> {
    const hashed = hashFile(path);
    const workbook = await openZip(path);
    try {
      const layout = await readLayout(path, workbook);
      const sheet = chooseSheet(path, layout, options, false);
      const sharedStrings = await readSharedStrings(
        path,
        workbook,
        layout.sharedStringsPath,
        Infinity,
      );
      const source: SourceInfo = {
        format: 'xlsx',
        sheet: sheet.name,
        sheets: sheetList(layout.info),
      };
      const rows = new SheetRows(path, {
        sheet: sheet.name,
        sharedStrings,
        dateStyles: layout.dateStyles,
        date1904: layout.info.date1904,
      });
      const merges: string[] = [];
      const flush = (): void => {
        sink.records({ source, ...rows.take() });
      };
      const stream = new ElementStream(
        'row',
        MAX_ROW_CHARS,
        (attributes, body) => {
          rows.add(attributes, body);
          if (rows.records.length >= ROWS_PER_BATCH) flush();
        },
        (text) => collectMerges(text, merges),
      );
      const entry = workbook.entries.get(sheet.part);
      const size = entry?.uncompressedSize ?? 1;
      await streamPart(path, workbook, sheet.part, MAX_SHEET_BYTES, (text, inflated) => {
        stream.push(text);
        progress(Math.round((inflated / Math.max(1, size)) * totalBytes));
      });
      stream.end();
      // An empty sheet still tells the analyser which sheet it was.
      flush();
      if (merges.length > 0) {
        sink.fileError(
          `sheet "${sheet.name}" has merged cells (${merges.slice(0, 5).join(', ')}${merges.length > 5 ? ', …' : ''}): a merged cell keeps its value in its first cell only, so the other rows would read as empty; unmerge them in Excel (Home › Merge & Center), fill the values in, and save again`,
        );
      }
      progress(totalBytes);
      return { sha256: await hashed, bytesRead: totalBytes };
    } finally {
      workbook.zip.close();
      await hashed.catch(() => '');
    }
  },

  async readHead(path, options, _sniffed, sampleRows): Promise<FileHead> {
    const workbook = await openZip(path);
    try {
      const layout = await readLayout(path, workbook);
      const sheet = chooseSheet(path, layout, options, true);
      // The first rows' cells, then only as many shared strings as they use (Excel writes the
      // table in order of first use, so the head's strings come first).
      const raw: { attributes: string; body: string | null }[] = [];
      let nonBlank = 0;
      const wanted = sampleRows + 1;
      const stream = new ElementStream('row', MAX_ROW_CHARS, (attributes, body) => {
        if (nonBlank >= wanted) return;
        raw.push({ attributes, body });
        if (body !== null && body.includes('<')) nonBlank++;
      });
      await streamPart(path, workbook, sheet.part, MAX_SHEET_BYTES, (text) => {
        stream.push(text);
        return nonBlank < wanted;
      });
      if (nonBlank < wanted) stream.end();
      let maxIndex = -1;
      for (const r of raw) {
        if (r.body === null) continue;
        for (const cell of readCells(r.body)) {
          if (cell.type === 's') maxIndex = Math.max(maxIndex, Number(cell.value) || 0);
        }
      }
      const sharedStrings = await readSharedStrings(
        path,
        workbook,
        layout.sharedStringsPath,
        maxIndex,
      );
      const rows = new SheetRows(path, {
        sheet: sheet.name,
        sharedStrings,
        dateStyles: layout.dateStyles,
        date1904: layout.info.date1904,
      });
      for (const r of raw) rows.add(r.attributes, r.body);
      const records = rows.take().records.filter((r) => r.some((cell) => cell.trim() !== ''));
      const [headers = [], ...rest] = records;
      return {
        headers: headers.map((h) => h.trim()),
        sample: rest.slice(0, sampleRows),
        source: { format: 'xlsx', sheet: sheet.name, sheets: sheetList(layout.info) },
      };
    } finally {
      workbook.zip.close();
    }
  },
};
