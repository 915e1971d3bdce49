import pg from 'pg';
import { z } from 'zod';
import { createPgTransport } from '../../../electron/core/db/pg-transport';
import { migrate } from '../../../electron/core/db/migrate';
import { createImportRpc, type ImportRpc } from '../../../shared/db/import-rpc';
import type { Purchase } from '../../../shared/domain/types';
import type { SeededMerchant } from '../../support/seed';

// Tools of the fault suite: a seeded PRNG (a failing run names its seed and can be replayed), an
// importer whose connections carry a name of their own (so the killer finds exactly them in
// pg_stat_activity and nothing of the files running beside it), and the killer.

/** mulberry32: small, fast and good enough to pick kill points; same seed, same picks. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface Importer {
  rpc: ImportRpc;
  appName: string;
  close(): Promise<void>;
}

/** The RPC client over a pool of its own whose connections all carry `appName`. */
export function openImporter(url: string, appName: string): Importer {
  const pool = new pg.Pool({ connectionString: url, max: 4, application_name: appName });
  // A terminated idle connection must not crash the run; the pool drops it.
  pool.on('error', () => undefined);
  const rpc = createImportRpc(createPgTransport({ pool }, appName));
  return {
    rpc,
    appName,
    close: async () => {
      await pool.end().catch(() => undefined);
    },
  };
}

export type KillTarget = 'begin' | 'stage' | 'commit' | 'other' | 'idle';

export interface KillReport {
  /** Backends of the importer that were terminated. */
  killed: number;
  /** What the busiest terminated backend was running (commit > stage > begin > other > idle). */
  target: KillTarget;
  atMs: number;
}

const killRowSchema = z.object({
  active: z.boolean(),
  query: z.string().nullable(),
  killed: z.boolean(),
});

/** pg_terminate_backend on every connection of the importer; says what each was running. */
export async function terminateImporter(admin: pg.Pool, appName: string): Promise<KillReport> {
  const started = performance.now();
  const result = await admin.query(
    `select state = 'active' as active, query, pg_terminate_backend(pid) as killed
     from pg_stat_activity
     where application_name = $1 and pid <> pg_backend_pid()`,
    [appName],
  );
  const rows = z.array(killRowSchema).parse(result.rows);
  const ranks: KillTarget[] = ['commit', 'stage', 'begin', 'other', 'idle'];
  let target: KillTarget = 'idle';
  for (const row of rows.filter((r) => r.killed)) {
    const running = !row.active
      ? 'idle'
      : row.query?.includes('import_commit_batch')
        ? 'commit'
        : row.query?.includes('import_stage_chunk')
          ? 'stage'
          : row.query?.includes('import_begin_batch')
            ? 'begin'
            : 'other';
    if (ranks.indexOf(running) < ranks.indexOf(target)) target = running;
  }
  return { killed: rows.filter((r) => r.killed).length, target, atMs: started };
}

/** Polls pg_stat_activity until a connection of `appName` is running `fn`; false on timeout. */
export async function waitUntilRunning(
  admin: pg.Pool,
  appName: string,
  fn: string,
  timeoutMs: number,
  stop: () => boolean = () => false,
): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline && !stop()) {
    const result = await admin.query(
      `select count(*)::int as n from pg_stat_activity
       where application_name = $1 and state = 'active' and query like $2`,
      [appName, `%${fn}%`],
    );
    if (z.number().parse(result.rows[0]?.n) > 0) return true;
  }
  return false;
}

/** `count` valid purchases of `itemsEach` items, numbered `${tag}-${i}`. */
export function makePurchases(
  merchant: SeededMerchant,
  tag: string,
  count: number,
  itemsEach: number,
): Purchase[] {
  let row = 2;
  return Array.from({ length: count }, (_, i) => {
    const items = Array.from({ length: itemsEach }, (_, j) => ({
      row: row++,
      lineNumber: j + 1,
      skuId: pick(merchant.skuIds, i * 7 + j),
      quantity: 1 + ((i + j) % 3),
      unitPriceCents: 100 + ((i * 31 + j * 17) % 9_000),
    }));
    return {
      transactionNumber: `${tag}-${i}`,
      userId: pick(merchant.userIds, i),
      purchasedAt: new Date(Date.UTC(2026, 3, 1, 9, 0) + i * 60_000).toISOString(),
      currency: 'EUR',
      totalAmountCents: items.reduce((sum, item) => sum + item.quantity * item.unitPriceCents, 0),
      storeCode: `S${i % 4}`,
      notes: null,
      rows: items.map((item) => item.row),
      items,
    };
  });
}

const batchStateSchema = z.object({
  id: z.string(),
  status: z.string(),
  imported_purchases: z.number().nullable(),
  imported_items: z.number().nullable(),
  total_rows: z.number(),
  staged_rows: z.number(),
  staged_row_records: z.number(),
  purchases: z.number(),
  items: z.number(),
});

export interface ImportState {
  /** The batch the idempotency key names, or null when begin never committed. */
  batch: z.infer<typeof batchStateSchema> | null;
  /** Purchases of the merchant carrying this import's transaction numbers (any batch). */
  byNumber: number;
  /** Items of those purchases. */
  itemsByNumber: number;
  /** Transaction numbers the merchant holds more than once. */
  duplicateNumbers: number;
}

/** What the database holds for one import attempt: its batch, its rows, and any duplicates. */
export async function readImportState(
  admin: pg.Pool,
  merchantId: string,
  idempotencyKey: string,
  transactionNumbers: readonly string[],
): Promise<ImportState> {
  const batch = await admin.query(
    `select b.id::text, b.status, b.imported_purchases, b.imported_items, b.total_rows,
            -- Staging counts a pending batch's rows in its chunk records only (05: stage_chunk).
            case when b.status = 'pending'
              then (select coalesce(sum(c.row_count), 0)::int
                    from public.bulk_import_staged_chunks c where c.batch_id = b.id)
              else b.staged_rows
            end as staged_rows,
            (select count(*)::int from public.bulk_import_staged_rows s
              where s.batch_id = b.id) as staged_row_records,
            (select count(*)::int from public.purchases p
              where p.import_batch_id = b.id) as purchases,
            (select count(*)::int from public.purchase_items i
              where i.import_batch_id = b.id) as items
     from public.bulk_import_batches b
     where b.merchant_id = $1 and b.idempotency_key = $2`,
    [merchantId, idempotencyKey],
  );
  const numbers = await admin.query(
    `select count(distinct p.id)::int as purchases, count(i.id)::int as items
     from public.purchases p
     left join public.purchase_items i on i.purchase_id = p.id
     where p.merchant_id = $1 and p.transaction_number = any($2::text[])`,
    [merchantId, transactionNumbers],
  );
  const duplicates = await admin.query(
    `select count(*)::int as n from (
       select 1 from public.purchases where merchant_id = $1
       group by transaction_number having count(*) > 1) d`,
    [merchantId],
  );
  const counts = z.object({ purchases: z.number(), items: z.number() }).parse(numbers.rows[0]);
  return {
    batch: batch.rows[0] === undefined ? null : batchStateSchema.parse(batch.rows[0]),
    byNumber: counts.purchases,
    itemsByNumber: counts.items,
    duplicateNumbers: z.number().parse(duplicates.rows[0]?.n),
  };
}

/** Creates Supabase's roles (as db-global-setup does) and migrates a server of a test's own. */
export async function prepareServer(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`
      do $$
      declare
        v_role text;
      begin
        foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
          if not exists (select 1 from pg_roles where rolname = v_role) then
            execute format('create role %I nologin', v_role);
          end if;
        end loop;
      end;
      $$`);
  } finally {
    await client.end();
  }
  await migrate(url, { withReferenceSchema: true });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function pick(ids: readonly string[], index: number): string {
  const id = ids[index % ids.length];
  if (id === undefined) throw new Error('fault-kit: no ids to pick from');
  return id;
}
