import { describe, expect, it } from 'vitest';
import { createProgressLine } from './progress-line';

describe('progress line (issue 11)', () => {
  it('names each phase with the time elapsed when stderr is not a terminal', () => {
    const out: string[] = [];
    let now = 1_000;
    const line = createProgressLine({ stderr: (t) => out.push(t), stderrIsTty: false }, () => now);
    line.update('reading 10 rows', 0.5);
    now += 400;
    line.update('staging 5/10 rows', 0.5);
    line.update('staging 10/10 rows', 1);
    now += 3_200;
    line.update('committing', 0.99);
    now += 8_100;
    line.done();
    expect(out).toEqual([
      'reading… (0 ms elapsed)\n',
      'staging… (400 ms elapsed)\n',
      'committing… (3.6 s elapsed)\n',
      'done (11.7 s)\n',
    ]);
  });

  it('always draws a new phase on a terminal, even right after the last redraw', () => {
    const out: string[] = [];
    let now = 0;
    const line = createProgressLine({ stderr: (t) => out.push(t), stderrIsTty: true }, () => now);
    line.update('staging 10/10 rows', 1);
    now += 5; // well within the redraw interval
    line.update('committing', 0.99);
    line.done();
    expect(out.some((t) => t.includes('committing · 5 ms'))).toBe(true);
  });
});
