import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOptionsSchema, reparseOptionsSchema } from '../../../shared/domain/parse-options';
import { sniffBytes } from './sniff';
import { readFileHead } from './sources';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'csv-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const TEXT = 'transaction_number;Qty\nT1;2\n';

function utf16be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1] ?? 0, le[i] ?? 0];
  return le;
}

describe('sniffing', () => {
  it('tells a workbook by its zip signature and text by its byte order mark', () => {
    expect(sniffBytes(Buffer.from('PK\x03\x04'))).toEqual({ format: 'xlsx', bom: null });
    expect(sniffBytes(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toEqual({
      format: 'csv',
      bom: 'utf-8',
    });
    expect(sniffBytes(Buffer.from([0xff, 0xfe, 0x61, 0]))).toEqual({
      format: 'csv',
      bom: 'utf-16le',
    });
    expect(sniffBytes(Buffer.from([0xfe, 0xff, 0, 0x61]))).toEqual({
      format: 'csv',
      bom: 'utf-16be',
    });
    expect(sniffBytes(Buffer.from('a,b'))).toEqual({ format: 'csv', bom: null });
    expect(sniffBytes(Buffer.alloc(0))).toEqual({ format: 'csv', bom: null });
  });

  it('refuses an Excel 97-2003 workbook with what to do, instead of reading its bytes as text', async () => {
    const path = join(dir, 'old.xls');
    await writeFile(
      path,
      Buffer.concat([
        Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]),
        Buffer.alloc(512),
      ]),
    );
    await expect(readFileHead(path)).rejects.toThrow(
      /Excel 97-2003 workbook \(\.xls\).*save it as an Excel workbook \(\.xlsx\) or as CSV/,
    );
  });
});

describe('the CSV head for the mapping step', () => {
  it.each([
    ['UTF-8', Buffer.from(TEXT)],
    ['UTF-8 with BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)])],
    ['UTF-16 LE', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(TEXT, 'utf16le')])],
    // The head reader decoded UTF-16 LE only: a BE file showed garbage headers.
    ['UTF-16 BE', Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(TEXT)])],
  ])('reads headers and rows of a %s file', async (name, bytes) => {
    const path = join(dir, `${name}.csv`);
    await writeFile(path, bytes);
    const head = await readFileHead(path);
    expect(head.headers).toEqual(['transaction_number', 'Qty']);
    expect(head.sample).toEqual([['T1', '2']]);
    expect(head.source).toEqual({ format: 'csv', delimiter: ';', encoding: null });
  });

  it('uses the delimiter and encoding chosen for the CSV source', async () => {
    const path = join(dir, 'latin.csv');
    await writeFile(path, Buffer.from('Caf\xe9,b\n1,2\n', 'latin1'));
    const head = await readFileHead(path, { csv: { encoding: 'windows-1252', delimiter: ',' } });
    expect(head.headers).toEqual(['Café', 'b']);
    expect(head.source).toEqual({ format: 'csv', delimiter: ',', encoding: 'windows-1252' });
  });
});

describe('parse options of the shape before record sources', () => {
  it('move delimiter and encoding into the CSV source options', () => {
    expect(
      parseOptionsSchema.parse({ delimiter: ';', encoding: 'utf-16le', dateFormat: 'dmy' }),
    ).toEqual({
      csv: { delimiter: ';', encoding: 'utf-16le' },
      dateFormat: 'dmy',
    });
    expect(reparseOptionsSchema.parse({ delimiter: '\t', csv: { delimiter: '|' } })).toEqual({
      csv: { delimiter: '|' },
    });
    expect(parseOptionsSchema.parse({ xlsx: { sheet: 'Purchases' } })).toEqual({
      xlsx: { sheet: 'Purchases' },
    });
    expect(parseOptionsSchema.safeParse({ delimiter: 'x' }).success).toBe(false);
  });
});
