import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import Papa from 'papaparse';
import { papaConfig } from '../../../shared/csv/csv-parse';
import type { CsvDelimiter } from '../../../shared/domain/types';

/**
 * The header and first few rows of a file, read without parsing the whole of it: enough to
 * decide whether the column-mapping step is needed before a long parse starts.
 */
export interface CsvHead {
  headers: string[];
  sample: string[][];
  delimiter: string;
}

const HEAD_BYTES = 256 * 1024;

export async function readCsvHead(
  path: string,
  options: { delimiter?: CsvDelimiter; sampleRows?: number } = {},
): Promise<CsvHead> {
  const handle = await open(path, 'r');
  let bytes: Buffer;
  try {
    const buffer = Buffer.alloc(HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, HEAD_BYTES, 0);
    bytes = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe;
  let text = new StringDecoder(utf16 ? 'utf16le' : 'utf8').write(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const wanted = (options.sampleRows ?? 5) + 1;
  const result = Papa.parse<string[]>(text, {
    ...papaConfig(options.delimiter ? { delimiter: options.delimiter } : {}),
    // A few spare lines: blank lines are skipped below, and the last line may be cut off.
    preview: wanted + 20,
  });
  const records = result.data.filter((r) => r.some((cell) => cell.trim() !== ''));
  const [headers = [], ...rest] = records;
  return {
    headers: headers.map((h) => h.trim()),
    sample: rest.slice(0, wanted - 1),
    delimiter: result.meta.delimiter,
  };
}
