import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import Papa from 'papaparse';
import pg from 'pg';
import { createImportRpc } from '../../shared/db/import-rpc';
import { createPgTransport } from '../../electron/core/db/pg-transport';
import { migrate } from '../../electron/core/db/migrate';
import { disposeParseWorkers } from '../../electron/core/parse/parse-file';
import type { RpcTransport } from '../../shared/db/rpc-transport';
import { timedImportFile } from './scale-bench';
import { alternateMedians } from './alternate-medians';
import { CSV_HEADER, generateRecords } from '../fixtures/generate-purchases';
import { startTestPostgres } from '../support/postgres-server';
import { seedMerchant, type SeededMerchant } from '../support/seed';

// Natural keys part of `npm run bench` (issue 13), each against UUIDs in the same run:
//
// - keys-30k: import_check_references resolving 30k distinct e-mails (a third in another case,
//   some with spaces) and 30k distinct SKU codes, against the same call with 30k user ids and
//   30k SKU ids (target: the keys within 1 s warm).
// - keys-1m: one file of 1M rows imported end to end (importFile, what the CLI calls) naming
//   members and SKUs by UUID, and the same rows naming them by e-mail and code, into two merchants
//   with the same members and SKUs (target: the keys' import within 10 % of the UUIDs'); twice,
//   UUIDs-keys-keys-UUIDs, the means compared.
//
// To iterate at a smaller size: `flock /tmp/bench.lock node --import tsx test/bench/keys-bench.ts
// 200000` runs keys-1m's comparison on that many rows and prints each import's phases.

const REPEATS = 5;

export interface KeysResolutionResult {
  keys: number;
  keysMs: number;
  idsMs: number;
  ratio: number;
}

export interface KeysEndToEndResult {
  rows: number;
  idsMs: number;
  keysMs: number;
  ratio: number;
}

/** user{n}@example.test and SKU-{n}, as seedMerchant names them (n from 1, in id order). */
function keysOf(merchant: SeededMerchant): {
  emails: Map<string, string>;
  codes: Map<string, string>;
} {
  return {
    emails: new Map(merchant.userIds.map((id, i) => [id, `user${i + 1}@example.test`])),
    codes: new Map(merchant.skuIds.map((id, i) => [id, `SKU-${i + 1}`])),
  };
}

export async function runKeysResolutionBench(n = 30_000): Promise<KeysResolutionResult> {
  const server = await startTestPostgres();
  const pool = new pg.Pool({ connectionString: server.url, max: 2 });
  pool.on('error', () => undefined);
  const rpc = createImportRpc(createPgTransport({ connectionString: server.url }, 'bench'));
  try {
    await migrate(server.url, { withReferenceSchema: true });
    // Another merchant with the same e-mails and codes: resolution must stay per merchant.
    await seedMerchant(pool, { users: n, skus: n });
    const merchant = await seedMerchant(pool, { users: n, skus: n });
    await pool.query('analyze');
    const { emails, codes } = keysOf(merchant);
    const spelled = [...emails.values()].map((e, i) => (i % 3 === 0 ? ` ${e.toUpperCase()}` : e));
    const byKeys = {
      p_merchant_id: merchant.merchantId,
      p_user_ids: [],
      p_sku_ids: [],
      p_transaction_numbers: [],
      p_user_emails: spelled,
      p_sku_codes: [...codes.values()],
    };
    const byIds = {
      p_merchant_id: merchant.merchantId,
      p_user_ids: merchant.userIds,
      p_sku_ids: merchant.skuIds,
      p_transaction_numbers: [],
    };
    const keysCall = async (): Promise<void> => {
      const r = await rpc.call('import_check_references', byKeys);
      const resolved = (r.userKeyIds ?? []).filter((id) => id !== null).length;
      if (resolved !== n) throw new Error(`keys-30k: ${resolved} of ${n} e-mails resolved`);
    };
    const idsCall = async (): Promise<void> => {
      await rpc.call('import_check_references', byIds);
    };
    const { firstMs: keysMs, secondMs: idsMs } = await alternateMedians(keysCall, idsCall, REPEATS);
    return { keys: n, keysMs, idsMs, ratio: keysMs / idsMs };
  } finally {
    await rpc.transport.close();
    await pool.end();
    await server.stop();
  }
}

export async function runKeysEndToEndBench(
  rows = 1_000_000,
  options: { log?: (line: string) => void } = {},
): Promise<KeysEndToEndResult> {
  const log = options.log ?? (() => undefined);
  const server = await startTestPostgres();
  const pool = new pg.Pool({ connectionString: server.url, max: 2 });
  pool.on('error', () => undefined);
  const dir = await mkdtemp(join(tmpdir(), 'keys-bench-'));
  const transport = createPgTransport({ connectionString: server.url }, 'bench');
  try {
    await migrate(server.url, { withReferenceSchema: true });
    // Two rounds in the order UUIDs, keys, keys, UUIDs, each into merchants of its own: the
    // first import of a process pays the parse worker's warm-up and each later one the database's
    // after-effects of the one before (checkpoint, autovacuum of 1M rows), which with one import of
    // each decided a third of the ratio.
    const rounds = [];
    for (const round of [1, 2]) {
      const byId = await seedMerchant(pool, { users: 20_000, skus: 2_000 });
      const byKey = await seedMerchant(pool, { users: 20_000, skus: 2_000 });
      const idsPath = join(dir, `ids-${round}.csv`);
      const keysPath = join(dir, `keys-${round}.csv`);
      await writeBothFiles(idsPath, keysPath, rows, byId, byKey);
      rounds.push({ idsPath, keysPath, byId, byKey });
    }
    await pool.query('analyze');
    log(`keys-1m: wrote ${rows} rows four times`);

    const [first, second] = rounds;
    if (!first || !second) throw new Error('keys-1m: two rounds expected');
    let idsMs = await timedImport(transport, first.idsPath, first.byId, log);
    let keysMs = await timedImport(transport, first.keysPath, first.byKey, log);
    keysMs += await timedImport(transport, second.keysPath, second.byKey, log);
    idsMs += await timedImport(transport, second.idsPath, second.byId, log);
    log(
      `keys-1m: UUID files ${(idsMs / 2000).toFixed(1)} s, key files ${(keysMs / 2000).toFixed(1)} s (means)`,
    );
    return { rows, idsMs: idsMs / 2, keysMs: keysMs / 2, ratio: keysMs / idsMs };
  } finally {
    await disposeParseWorkers();
    await transport.close();
    await pool.end();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function timedImport(
  transport: RpcTransport,
  path: string,
  merchant: SeededMerchant,
  log: (line: string) => void,
): Promise<number> {
  const timed = await timedImportFile(transport, {
    path,
    merchantId: merchant.merchantId,
    idempotencyKey: randomUUID(),
  });
  if (timed.status !== 'completed') throw new Error(`keys-1m: ${path} did not import`);
  const p = timed.phases;
  const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  log(
    `  ${basename(path).startsWith('keys') ? 'keys' : 'UUIDs'}: parse ${sec(p.parseMs)}, reference check ${sec(p.referenceCallMs)}, staging ${sec(p.stagingMs)}, commit ${sec(p.commitMs)}`,
  );
  return p.totalMs;
}

/** The same generated rows, once with UUIDs of one merchant, once with keys of the other. */
async function writeBothFiles(
  idsPath: string,
  keysPath: string,
  rows: number,
  byId: SeededMerchant,
  byKey: SeededMerchant,
): Promise<void> {
  const { emails, codes } = keysOf(byId);
  const keyHeader = CSV_HEADER.map((c) =>
    c === 'user_id' ? 'user_email' : c === 'sku_id' ? 'sku_code' : c,
  );
  const userAt = CSV_HEADER.indexOf('user_id');
  const skuAt = CSV_HEADER.indexOf('sku_id');
  const ids = createWriteStream(idsPath);
  const keys = createWriteStream(keysPath);
  const write = async (out: ReturnType<typeof createWriteStream>, text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let idBatch: string[][] = [[...CSV_HEADER]];
  let keyBatch: string[][] = [keyHeader];
  let n = 0;
  const flush = async (): Promise<void> => {
    await write(ids, `${Papa.unparse(idBatch, { newline: '\n' })}\n`);
    await write(keys, `${Papa.unparse(keyBatch, { newline: '\n' })}\n`);
    idBatch = [];
    keyBatch = [];
  };
  for (const g of generateRecords({
    rows,
    userIds: byId.userIds,
    skuIds: byId.skuIds,
    seed: 13,
    transactionPrefix: 'KB-',
  })) {
    for (const record of g.records) {
      idBatch.push(record);
      const keyed = [...record];
      const email = emails.get(record[userAt] ?? '') ?? '';
      // A third of the members spelled as shops do: other case, a space.
      keyed[userAt] = n % 3 === 0 ? ` ${email.toUpperCase()}` : email;
      keyed[skuAt] = codes.get(record[skuAt] ?? '') ?? '';
      keyBatch.push(keyed);
      n++;
    }
    if (idBatch.length >= 2000) await flush();
  }
  if (idBatch.length > 0) await flush();
  ids.end();
  keys.end();
  await Promise.all([once(ids, 'finish'), once(keys, 'finish')]);
  void byKey; // same members and SKUs (seedMerchant's e-mails and codes), other UUIDs
}

type Row = ['PASS' | 'FAIL' | 'INFO', string, string, string];

/** The table rows of the parts that ran. */
export function keysRows(
  resolution: KeysResolutionResult | undefined,
  endToEnd: KeysEndToEndResult | undefined,
): Row[] {
  const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const rows: Row[] = [];
  if (resolution) {
    rows.push([
      resolution.keysMs < 1000 ? 'PASS' : 'FAIL',
      `reference check, ${resolution.keys} e-mails + ${resolution.keys} SKU codes vs as many ids`,
      `${s(resolution.keysMs)} vs ${s(resolution.idsMs)}`,
      `ratio ${resolution.ratio.toFixed(2)} (target: keys < 1 s warm)`,
    ]);
  }
  if (endToEnd) {
    rows.push([
      endToEnd.ratio <= 1.1 ? 'PASS' : 'FAIL',
      `end to end ${endToEnd.rows} rows by e-mail and SKU code vs by UUID`,
      `${s(endToEnd.keysMs)} vs ${s(endToEnd.idsMs)}`,
      `ratio ${endToEnd.ratio.toFixed(2)} (target <= 1.10)`,
    ]);
  }
  return rows;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = Number(process.argv[2] ?? 200_000);
  if (!Number.isInteger(rows) || rows < 1) {
    console.error('usage: node --import tsx test/bench/keys-bench.ts [rows]');
    process.exit(2);
  }
  const log = (line: string): void => console.log(line);
  const result = await runKeysEndToEndBench(rows, { log });
  for (const row of keysRows(undefined, result)) log(row.join('  '));
}
