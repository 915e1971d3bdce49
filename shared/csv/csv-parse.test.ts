import { describe, expect, it } from 'vitest';
import { guessDelimiter } from './csv-parse';

describe('guessDelimiter', () => {
  it.each([
    ['a;b;c\n1;2,5;3,5\n', ';'],
    ['a,b,c\n1,"x; y; z;",2\n', ','],
    ['a|b|c\n"1, 2"|x, y|3\n', '|'],
    ['a\tb\tc\n1,2\t3\t4\n', '\t'],
    ['\n\n,,,\nx;y;z\n1;2;3\n', ';'],
    ['"   "\na\tb\tc\n', '\t'],
    ['"a,b";c;d\n', ';'],
    ['\ufeffa;b\n', ';'],
  ])('reads %j as %j from its header line', (text, expected) => {
    expect(guessDelimiter(text)).toBe(expected);
  });

  it('falls back to a comma for a single column or an empty file', () => {
    expect(guessDelimiter('transaction_number\nT1\n')).toBe(',');
    expect(guessDelimiter('')).toBe(',');
  });
});
