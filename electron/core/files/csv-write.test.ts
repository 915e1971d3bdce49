import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCell, neutraliseCell, writeCsv } from './csv-write';

describe('csv-write', () => {
  // OWASP's CSV injection list (= + - @ tab CR LF), NUL (ASVS 1.2.10) and the full-width forms
  // spreadsheets also evaluate, written out here rather than taken from the module under test.
  const OWASP = ['=', '+', '-', '@', '\u0009', '\u000d', '\u000a', '\u0000'];
  const FULL_WIDTH = ['＝', '＋', '－', '＠'];
  const LEADING = ['', ' ', '   ', '\u00a0', '\u3000', ' \u00a0 '];

  it('neutralises every OWASP prefix, its full-width form, and both after leading whitespace', () => {
    let checked = 0;
    for (const start of [...OWASP, ...FULL_WIDTH]) {
      for (const space of LEADING) {
        const cell = `${space}${start}1+1`;
        expect({ cell, out: neutraliseCell(cell) }).toEqual({ cell, out: `'${cell}` });
        checked++;
      }
    }
    expect(checked).toBe(12 * LEADING.length);
    expect(neutraliseCell('=HYPERLINK("http://x.test","go")')).toBe(
      `'=HYPERLINK("http://x.test","go")`,
    );
  });

  it('leaves text that is not a formula alone', () => {
    for (const cell of ['plain', ' plain', '12.50', '1-2', 'a=b', 'user@example.com', '', '   ']) {
      expect({ cell, out: neutraliseCell(cell) }).toEqual({ cell, out: cell });
    }
    // Full-width digits and other full-width punctuation are not triggers.
    expect(neutraliseCell('１２')).toBe('１２');
    expect(neutraliseCell('（1）')).toBe('（1）');
  });

  it('writes the fixed file verbatim when asked (its values must import unchanged)', () => {
    expect(csvCell('-12.50', { neutralise: false })).toBe('-12.50');
    expect(csvCell(' =1+1', { neutralise: false })).toBe(' =1+1');
    expect(csvCell(' =1+1')).toBe("' =1+1");
  });

  it('quotes what CSV needs quoted after neutralising', () => {
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
