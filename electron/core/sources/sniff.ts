import { open } from 'node:fs/promises';
import type { SourceFormat } from '../../../shared/sources/records';

/**
 * What a file is, from its first bytes: the one place that looks at byte order marks and zip
 * signatures (the parse worker and the mapping step's head reader both ask here).
 */
export interface Sniffed {
  format: SourceFormat;
  /** The byte order mark at the start of a text file, if any. */
  bom: 'utf-8' | 'utf-16le' | 'utf-16be' | null;
  /** Why no source can read it (a format that is known but not read), if so. */
  unreadable?: string;
}

/** Bytes enough to tell: a zip's or OLE2's signature, or a byte order mark. */
export const SNIFF_BYTES = 8;

/** D0 CF 11 E0 A1 B1 1A E1: an OLE2 compound file, which is what an Excel 97-2003 .xls is. */
const OLE2 = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

export function sniffBytes(head: Uint8Array): Sniffed {
  if (OLE2.every((byte, i) => head[i] === byte)) {
    return {
      format: 'csv',
      bom: null,
      unreadable:
        'it is an Excel 97-2003 workbook (.xls), which is not read here: open it in Excel and save it as an Excel workbook (.xlsx) or as CSV',
    };
  }
  // PK\x03\x04: a zip archive, which is what an .xlsx workbook is (ECMA-376 Part 2).
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return { format: 'xlsx', bom: null };
  }
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf)
    return { format: 'csv', bom: 'utf-8' };
  if (head[0] === 0xff && head[1] === 0xfe) return { format: 'csv', bom: 'utf-16le' };
  if (head[0] === 0xfe && head[1] === 0xff) return { format: 'csv', bom: 'utf-16be' };
  return { format: 'csv', bom: null };
}

export async function sniffFile(path: string): Promise<Sniffed> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return sniffBytes(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}
