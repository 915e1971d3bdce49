import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCell, neutraliseCell, writeCsv } from './csv-write';

describe('csv-write', () => {
  it('neutralises cells a spreadsheet would run as formulas', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      expect(neutraliseCell(`${start}1+1`)).toBe(`'${start}1+1`);
    }
    expect(neutraliseCell('plain')).toBe('plain');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('a,b')).toBe('"a,b"');
  });

  it('writes a header and rows with a BOM', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'csv-write-'));
    const path = join(dir, 'out.csv');
    const n = await writeCsv(
      path,
      ['a', 'b'],
      [
        ['1', '@x'],
        ['line\nbreak', ''],
      ],
    );
    expect(n).toBe(2);
    expect(await readFile(path, 'utf8')).toBe(`\ufeffa,b\r\n1,'@x\r\n"line\nbreak",\r\n`);
  });
});
