import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { SessionService } from '../../electron/main/services/session/session-service';
import { openAppServices, type AppServices } from '../support/app-services';
import { writePurchasesCsv } from '../fixtures/generate-purchases';
import { openTestDb, seedMerchant, type SeededMerchant, type TestDb } from '../support/seed';

// Issue 18: a file's transaction numbers are checked against the database in parts of 50,000
// (pg serialized 300k of them in one turn of main). A transaction imported before is found in
// any part: here one in each of three parts, imported first through the same service.

let db: TestDb;
let merchant: SeededMerchant;
let dir: string;
let sessions: SessionService;
let app: AppServices;

beforeAll(async () => {
  db = openTestDb(inject('databaseUrl'));
  merchant = await seedMerchant(db.pool, { users: 5, skus: 5 });
  app = await openAppServices({
    databaseUrl: inject('databaseUrl'),
    merchantId: merchant.merchantId,
    name: 'open-check-parts',
  });
  ({ sessions, dir } = app);
});
afterAll(async () => {
  await app?.close();
  await db?.close();
});

describe('opening a file with more than 50,000 transactions', () => {
  it('finds transactions imported before in every part of the check', async () => {
    const prefix = `PARTS-${merchant.merchantId.slice(0, 6)}-`;
    const options = {
      userIds: merchant.userIds,
      skuIds: merchant.skuIds,
      seed: 77,
      transactionPrefix: prefix,
      itemsPerPurchase: [1, 1] as const,
      notesRate: 0,
    };
    const big = join(dir, 'big.csv');
    await writePurchasesCsv(big, { ...options, purchases: 120_000 });
    // Three of its purchases (one row each, no notes: a line is a row), far apart, imported first.
    const lines = (await readFile(big, 'utf8')).split('\n');
    const picked = [5, 60_005, 110_005].map((i) => lines[i + 1] ?? '');
    const numbers = picked.map((line) => line.split(',')[0] ?? '');
    expect(numbers.every((n) => n.startsWith(prefix))).toBe(true);
    const small = join(dir, 'three.csv');
    await writeFile(small, [lines[0], ...picked, ''].join('\n'));
    const first = await sessions.open(small, { handle: 'b'.repeat(32), name: 'three.csv' });
    expect(first.kind).toBe('opened');
    expect(sessions.current().view().counts).toEqual({ all: 3, errors: 0 });
    const committed = await sessions.commit('three of them');
    expect(committed.outcome).toBe('completed');

    // Opened again: the three are already imported, wherever their part of the check.
    const again = await sessions.open(big, { handle: 'a'.repeat(32), name: 'big.csv' });
    expect(again.kind).toBe('opened');
    const flagged = sessions
      .current()
      .report.errors.filter((e) => e.code === 'already_imported')
      .map((e) => e.value);
    expect(flagged.sort()).toEqual([...numbers].sort());
  }, 240_000);
});
