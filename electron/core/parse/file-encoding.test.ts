import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeParseWorkers, parseCsvFile } from './parse-file';

// Excel's plain "CSV" on Windows writes Windows-1252: "Café" is the byte 0xE9, not UTF-8. Read as
// UTF-8 it is refused with its row and a hint naming the Encoding setting; read with that
// encoding it is the text the till wrote.

const HEADER =
  'transaction_number,user_id,purchased_at,sku_id,quantity,unit_price,currency,total_amount,store_code,notes';
const ROW =
  'T-1,0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01,2026-11-02T08:15:00Z,9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f,1,3.20,EUR,3.20,S1,Café crème';

let dir: string;
let file: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'purchase-import-encoding-'));
  file = join(dir, 'till-1252.csv');
  await writeFile(file, Buffer.from(`${HEADER}\r\n${ROW}\r\n`, 'latin1'));
});
afterAll(async () => {
  await disposeParseWorkers();
  await rm(dir, { recursive: true, force: true });
});

describe('the file encoding setting', () => {
  it('refuses Windows-1252 bytes read as UTF-8, naming the setting that reads them', async () => {
    const { report } = await parseCsvFile(file, {});
    expect(report.errors).toEqual([
      expect.objectContaining({
        row: 2,
        column: 'notes',
        code: 'malformed_csv',
        message: expect.stringContaining('encoding'),
      }),
    ]);
    expect(report.errors[0]?.message).toContain('File settings');
  });

  it('reads them as the till wrote them with encoding windows-1252', async () => {
    const { report } = await parseCsvFile(file, { csv: { encoding: 'windows-1252' } });
    expect(report.errors).toEqual([]);
    expect(report.settings?.source).toMatchObject({ encoding: 'windows-1252' });
    expect(report.purchases[0]?.notes).toBe('Café crème');
  });
});
