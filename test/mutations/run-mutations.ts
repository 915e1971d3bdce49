import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { MUTATIONS, type Mutation } from './mutations';

// `node --import tsx test/mutations/run-mutations.ts [--baseline] [M01 M02 ...]`
//
// For each mutation (test/mutations/mutations.ts): a scratch copy of the project's files (git's
// tracked and untracked, not ignored; node_modules linked), the bug applied there, its test files
// run with vitest's JSON reporter, and the tests that failed listed. A mutation passes when at
// least two tests fail. --baseline first runs every listed test file on the unmutated copy (they
// must all pass, or a failure under a mutation proves nothing). Never touches the work tree.
// Slow: each mutation with db files starts its own PostgreSQL (about 15 minutes for all on 2 cores).

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const MIN_CAUGHT = 2;

const reportSchema = z.object({
  testResults: z.array(
    z.object({
      name: z.string(),
      status: z.string(),
      message: z.string().optional(),
      assertionResults: z.array(z.object({ fullName: z.string(), status: z.string() })),
    }),
  ),
});

function projectFiles(): string[] {
  const listed = spawnSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  return listed.stdout.split('\0').filter((path) => path !== '' && existsSync(join(ROOT, path)));
}

function scratchCopy(files: readonly string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mutation-'));
  for (const file of files) cpSync(join(ROOT, file), join(dir, file), { recursive: false });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}

/** `find` as a pattern in which any run of whitespace matches any other. */
function tolerant(find: string): RegExp {
  const parts = find
    .trim()
    .split(/\s+/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(parts.join('\\s+'), 'g');
}

function apply(dir: string, mutation: Mutation): void {
  const path = join(dir, mutation.file);
  const text = readFileSync(path, 'utf8');
  const matches = text.match(tolerant(mutation.find)) ?? [];
  if (matches.length !== 1) {
    throw new Error(
      `${mutation.id}: the code to change occurs ${matches.length} times in ${mutation.file}`,
    );
  }
  writeFileSync(
    path,
    text.replace(tolerant(mutation.find), () => mutation.replace.trim()),
  );
}

interface Failures {
  /** "file > test" of every test that failed. */
  tests: string[];
  /** Files that could not run at all (a broken import, a syntax error): not counted as catches. */
  broken: string[];
}

/** Runs vitest on the files and sorts out what failed. */
function failedTests(dir: string, project: 'unit' | 'db', files: readonly string[]): Failures {
  if (files.length === 0) return { tests: [], broken: [] };
  const out = join(dir, `vitest-${project}.json`);
  const run = spawnSync(
    'npx',
    ['vitest', 'run', '--project', project, ...files, '--reporter=json', `--outputFile=${out}`],
    { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, env: process.env },
  );
  if (!existsSync(out)) {
    const why = `${project}: no report (exit ${run.status}): ${run.stderr.slice(-500)}`;
    return { tests: [], broken: [why] };
  }
  const report = reportSchema.parse(JSON.parse(readFileSync(out, 'utf8')));
  const failed: Failures = { tests: [], broken: [] };
  for (const file of report.testResults) {
    const name = file.name.startsWith(dir) ? file.name.slice(dir.length + 1) : file.name;
    const tests = file.assertionResults.filter((test) => test.status === 'failed');
    for (const test of tests) failed.tests.push(`${name} > ${test.fullName}`);
    if (file.status === 'failed' && tests.length === 0) {
      failed.broken.push(`${name}: ${(file.message ?? '').split('\n')[0]?.slice(0, 200)}`);
    }
  }
  return failed;
}

function both(a: Failures, b: Failures): Failures {
  return { tests: [...a.tests, ...b.tests], broken: [...a.broken, ...b.broken] };
}

function main(): void {
  const args = process.argv.slice(2);
  const baseline = args.includes('--baseline');
  const ids = args.filter((arg) => arg !== '--baseline');
  const unknown = ids.filter((id) => !MUTATIONS.some((m) => m.id === id));
  if (unknown.length > 0) throw new Error(`unknown mutation ${unknown.join(', ')}`);
  const selected = ids.length > 0 ? MUTATIONS.filter((m) => ids.includes(m.id)) : MUTATIONS;
  const files = projectFiles();
  let ok = true;

  if (baseline) {
    const dir = scratchCopy(files);
    try {
      const union = (key: 'unit' | 'db') => [...new Set(selected.flatMap((m) => m[key]))];
      const failed = both(
        failedTests(dir, 'unit', union('unit')),
        failedTests(dir, 'db', union('db')),
      );
      const clean = failed.tests.length === 0 && failed.broken.length === 0;
      console.log(`baseline: ${clean ? 'PASS, every listed test passes' : 'FAIL'}`);
      for (const line of [...failed.tests, ...failed.broken]) console.log(`    ${line}`);
      if (!clean) process.exit(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  for (const mutation of selected) {
    const dir = scratchCopy(files);
    try {
      apply(dir, mutation);
      const failed = both(
        failedTests(dir, 'unit', mutation.unit),
        failedTests(dir, 'db', mutation.db),
      );
      const caught = failed.tests.length >= MIN_CAUGHT;
      ok &&= caught;
      console.log(
        `${caught ? 'PASS' : 'FAIL'}  ${mutation.id} caught by ${failed.tests.length}: ${mutation.title}`,
      );
      for (const test of failed.tests) console.log(`    ${test}`);
      for (const file of failed.broken) console.log(`    (could not run, not counted) ${file}`);
    } catch (error) {
      ok = false;
      console.log(
        `FAIL  ${mutation.id}: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.exit(ok ? 0 : 1);
}

main();
