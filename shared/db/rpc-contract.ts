import { z } from 'zod';
import { CANONICAL_COLUMNS } from '../domain/types';

// The database RPC functions the engine calls: their named arguments (TypeScript types and SQL
// types) and the zod schema of what each returns. sql/schema implements exactly these; every
// transport (pg, supabase-js) calls them by name with these argument names, so PostgREST and a
// direct connection see the same calls.

// Any hex uuid the database holds (z.uuid() would insist on RFC version and variant bits).
const uuid = z.guid();
const isoTime = z.string();

export const batchStatusSchema = z.enum([
  'pending',
  'validating',
  'processing',
  'completed',
  'failed',
  // Abandoned before its commit step (migration 0016): final, imports nothing, never retried.
  'cancelled',
]);
export type BatchStatus = z.infer<typeof batchStatusSchema>;

export const rowErrorSchema = z.object({
  row: z.number().int(),
  column: z.string().nullable(),
  code: z.string(),
  message: z.string(),
  value: z.string().nullable(),
});
export type RemoteRowError = z.infer<typeof rowErrorSchema>;

export const existingTransactionSchema = z.object({
  transactionNumber: z.string(),
  batchId: uuid.nullable(),
});

/** A natural key several members or SKUs share, as the database compared it, with up to 10. */
export const sharedKeySchema = z.object({
  key: z.string(),
  candidates: z.array(z.object({ id: uuid, name: z.string().nullable() })),
});

export const referenceCheckSchema = z.object({
  unknownUserIds: z.array(uuid),
  unknownSkuIds: z.array(uuid),
  existingTransactions: z.array(existingTransactionSchema),
  // Natural keys, each list in the order the keys were sent (absent when none were): the id a
  // key names (null: unknown, or shared by several: see shared*Keys), and with p_key_names the
  // member's or SKU's name. shared/domain/natural-keys.ts keyResolutionsOf reads them.
  userKeyIds: z.array(uuid.nullable()).optional(),
  skuKeyIds: z.array(uuid.nullable()).optional(),
  userKeyNames: z.array(z.string().nullable()).optional(),
  skuKeyNames: z.array(z.string().nullable()).optional(),
  sharedUserKeys: z.array(sharedKeySchema).optional(),
  sharedSkuKeys: z.array(sharedKeySchema).optional(),
});

export const batchSummarySchema = z.object({
  id: uuid,
  merchantId: uuid,
  name: z.string().nullable(),
  status: batchStatusSchema,
  fileName: z.string().nullable(),
  fileSha256: z.string().nullable(),
  /** For an open batch, the rows staged so far (its file's total is not known yet). */
  totalRows: z.number().int(),
  stagedRows: z.number().int(),
  /**
   * true: begun before its file was read to the end and not sealed yet (migration 0012): rows may
   * still arrive, and it commits only once import_seal_batch gives its totals. Absent from
   * databases before that migration.
   */
  open: z.boolean().optional(),
  importedPurchases: z.number().int(),
  importedItems: z.number().int(),
  errorMessage: z.string().nullable(),
  errorCount: z.number().int(),
  createdBy: z.string().nullable(),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  completedAt: isoTime.nullable(),
});
export type BatchSummary = z.infer<typeof batchSummarySchema>;

/** One cause of a batch's errors: a code and column, how many rows, which values most. */
export const errorCauseSchema = z.object({
  code: z.string(),
  column: z.string().nullable(),
  rows: z.number().int(),
  distinctValues: z.number().int(),
  /** One of the cause's messages, as an example. */
  message: z.string(),
  /** The (up to 20) values affecting most rows, most first. */
  values: z.array(z.object({ value: z.string().nullable(), rows: z.number().int() })),
});
export type ErrorCause = z.infer<typeof errorCauseSchema>;

/** One change the admin made to the file before importing it, for the batch's audit trail. */
export const auditEntrySchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('cell-changed'),
    row: z.number().int(),
    column: z.enum(CANONICAL_COLUMNS),
    before: z.string(),
    after: z.string(),
    at: z.string(),
  }),
  z.object({
    kind: z.literal('replaced-all'),
    column: z.enum(CANONICAL_COLUMNS),
    from: z.string(),
    to: z.string(),
    rows: z.array(z.number().int()),
    at: z.string(),
  }),
  z.object({
    kind: z.literal('rows-removed'),
    /** deleted: the admin deleted them; left-out: "import the rest" dropped them for errors. */
    reason: z.enum(['deleted', 'left-out']),
    /** The problem the rows were chosen by (a bulk delete by kind), or null. */
    problem: z.string().nullable(),
    rows: z.array(z.number().int()),
    transactions: z.array(z.string()),
    at: z.string(),
  }),
]);
export type AuditEntry = z.infer<typeof auditEntrySchema>;

/** What became of a file between opening and importing it; stored with its batch. */
export const auditTrailSchema = z.object({
  file: z.object({ name: z.string(), sha256: z.string().nullable(), rows: z.number().int() }),
  entries: z.array(auditEntrySchema),
  /** Transactions left out because the database already has them ("skip already imported"). */
  skippedAsImported: z.array(z.string()),
  totals: z.object({
    rowsDeleted: z.number().int(),
    rowsLeftOut: z.number().int(),
    transactionsLeftOut: z.number().int(),
    cellsChanged: z.number().int(),
    replaceAlls: z.number().int(),
  }),
});
export type AuditTrail = z.infer<typeof auditTrailSchema>;

export const batchDetailSchema = batchSummarySchema.extend({
  /** What the admin changed before importing (null: imported as the file was). */
  audit: auditTrailSchema.nullable(),
  /** The errors by cause, most rows first (empty unless the batch failed). */
  errorSummary: z.array(errorCauseSchema),
  /** One page of row errors in row order, starting at errorsOffset; errorCount counts all. */
  errors: z.array(rowErrorSchema),
  errorsOffset: z.number().int(),
});
export type BatchDetail = z.infer<typeof batchDetailSchema>;

export const batchPageSchema = z.object({
  batches: z.array(batchSummarySchema),
  total: z.number().int(),
});
export type BatchPage = z.infer<typeof batchPageSchema>;

export const batchDiscardedSchema = z.object({ discarded: z.boolean(), batchId: uuid.nullable() });
export type BatchDiscarded = z.infer<typeof batchDiscardedSchema>;

export const stageResultSchema = z.object({
  batchId: uuid,
  chunkNo: z.number().int(),
  rowCount: z.number().int(),
  duplicate: z.boolean(), // true when this chunk was already staged (a harmless resend)
  stagedRows: z.number().int(),
});
export type StageResult = z.infer<typeof stageResultSchema>;

export const batchOverviewSchema = z.object({
  /** First day of the period (UTC), YYYY-MM-DD. */
  from: z.string(),
  days: z.number().int(),
  perDay: z.array(
    z.object({
      day: z.string(),
      completed: z.number().int(),
      failed: z.number().int(),
      other: z.number().int(),
    }),
  ),
  imports: z.number().int(),
  completed: z.number().int(),
  failed: z.number().int(),
  /** Completed among those that ended (completed or failed); null when none ended. */
  successRate: z.number().nullable(),
  medianMs: z.number().nullable(),
  slowestMs: z.number().nullable(),
  rowsImported: z.number(),
  purchasesImported: z.number(),
});
export type BatchOverview = z.infer<typeof batchOverviewSchema>;

export const errorPageSchema = z.object({
  batchId: uuid,
  errors: z.array(rowErrorSchema),
  /** Where the next page starts (keyset), or null after the last. */
  next: z.object({ row: z.number().int(), column: z.string() }).nullable(),
  /** Errors matching the filter. */
  total: z.number().int(),
});
export type ErrorPage = z.infer<typeof errorPageSchema>;

/** Unknown ids and existing transactions are listed up to 1,000 each; causes count them all. */
export const recheckResultSchema = referenceCheckSchema.extend({
  batchId: uuid,
  ok: z.boolean(),
  summary: z.string().nullable(),
  errorTotal: z.number().int(),
  errorRows: z.number().int(),
  causes: z.array(errorCauseSchema),
  /** Values the commit refused that no longer fail (an id that exists now, …). */
  resolved: z.array(
    z.object({
      code: z.string(),
      column: z.string().nullable(),
      value: z.string().nullable(),
      rows: z.number().int(),
    }),
  ),
  /** One page of today's row errors in row order. */
  errors: z.array(rowErrorSchema),
});
export type RecheckResult = z.infer<typeof recheckResultSchema>;

export const operatorRoleSchema = z.enum(['operator', 'admin', 'support']);
export type OperatorRole = z.infer<typeof operatorRoleSchema>;

export const merchantListSchema = z.object({
  // role: the signed-in user's role there; null (or absent, before migration 0012) for the
  // database owner and service_role, who may do everything.
  merchants: z.array(
    z.object({ id: uuid, name: z.string(), role: operatorRoleSchema.nullable().optional() }),
  ),
});

export const whoamiSchema = z.object({
  userId: uuid.nullable(),
  email: z.string().nullable(),
  /** true for service_role and database-owner connections: every merchant, every action. */
  unrestricted: z.boolean(),
  merchants: z.array(z.object({ id: uuid, name: z.string(), role: operatorRoleSchema })),
});
export type Whoami = z.infer<typeof whoamiSchema>;

export const operatorSchema = z.object({
  userId: uuid,
  email: z.string().nullable(),
  merchantId: uuid,
  role: operatorRoleSchema,
  createdAt: isoTime,
  createdBy: z.string().nullable(),
});
export type Operator = z.infer<typeof operatorSchema>;

export const operatorListSchema = z.object({ operators: z.array(operatorSchema) });
export const operatorRemovedSchema = z.object({ removed: z.boolean() });

export const skuListSchema = z.object({
  skus: z.array(z.object({ id: uuid, code: z.string().nullable(), name: z.string() })),
});
export type SkuOption = z.infer<typeof skuListSchema>['skus'][number];

export const userListSchema = z.object({
  users: z.array(
    z.object({ id: uuid, email: z.string().nullable(), displayName: z.string().nullable() }),
  ),
});
export type UserOption = z.infer<typeof userListSchema>['users'][number];

/** One staged line item, keyed by canonical CSV column names. Money as exact decimal strings. */
export const stagedRowSchema = z.object({
  row: z.number().int(),
  transaction_number: z.string(),
  /** Null only for a row that names its member by e-mail the preview could not resolve. */
  user_id: z.string().nullable(),
  purchased_at: z.string(),
  /** Null only for a row that names its SKU by a code the preview could not resolve. */
  sku_id: z.string().nullable(),
  quantity: z.number().int(),
  unit_price: z.string(),
  currency: z.string().nullable(),
  total_amount: z.string().nullable(),
  store_code: z.string().nullable(),
  notes: z.string().nullable(),
  /** The key the row named its member by (natural keys), kept with the resolved user_id. */
  user_email: z.string().nullable().optional(),
  /** The key the row named its SKU by, kept with the resolved sku_id. */
  sku_code: z.string().nullable().optional(),
});
export type StagedRow = z.infer<typeof stagedRowSchema>;

/** A PostgreSQL array literal ('{2,3,"a b",NULL}'), as shared/db/staging.ts writes one. */
const arrayLiteral = z.string().regex(/^\{.*\}$/s, 'a PostgreSQL array literal');

/**
 * One chunk of staged rows as columns (what the app sends; sql/schema/05's chunk_columns reads
 * it): per row its spreadsheet row, which purchase entry it belongs to (1-based) and its item's
 * fields; per purchase entry the purchase's fields, once instead of once per item. Each column is
 * an array literal; a column left out is null on every row.
 */
export const stagedChunkSchema = z.object({
  row: arrayLiteral,
  purchase: arrayLiteral,
  sku_id: arrayLiteral.optional(),
  quantity: arrayLiteral.optional(),
  unit_price: arrayLiteral.optional(),
  notes: arrayLiteral.optional(),
  sku_code: arrayLiteral.optional(),
  transaction_number: arrayLiteral.optional(),
  user_id: arrayLiteral.optional(),
  purchased_at: arrayLiteral.optional(),
  currency: arrayLiteral.optional(),
  total_amount: arrayLiteral.optional(),
  store_code: arrayLiteral.optional(),
  user_email: arrayLiteral.optional(),
});
export type StagedChunk = z.infer<typeof stagedChunkSchema>;

// ---------------------------------------------------------------------------------------------
// The RPC table: function name -> { args, result }, the same shape as the IPC contract
// (shared/ipc/contract.ts: channel -> { input, output }). Each argument has its SQL parameter
// name (the key), its SQL type (what a direct connection casts it to; PostgREST reads the same
// from the catalog), whether the SQL signature gives it a default (a call may leave it out) and a
// zod schema of its value, from which the TypeScript types are derived. An `args` object lists
// the arguments in the order of the SQL signature (string keys keep their insertion order);
// test/db/rpc-contract.test.ts checks names, order, types and defaults against pg_proc.

/** The SQL types the functions' arguments are declared with, spelled as format_type spells them. */
export type SqlType =
  'uuid' | 'uuid[]' | 'text' | 'text[]' | 'integer' | 'boolean' | 'json' | 'jsonb';

export interface RpcArgSpec<S extends z.ZodType = z.ZodType, D extends boolean = boolean> {
  readonly sql: SqlType;
  /** true: the SQL signature has a default for it, so a call may leave it out. */
  readonly hasDefault: D;
  readonly schema: S;
}

function arg<S extends z.ZodType>(sql: SqlType, schema: S): RpcArgSpec<S, false> {
  return { sql, hasDefault: false, schema };
}

/** An argument with an SQL default: left out (undefined), the function uses its default. */
function defaulted<S extends z.ZodType>(sql: SqlType, schema: S): RpcArgSpec<S, true> {
  return { sql, hasDefault: true, schema };
}

type ArgSpecs = Readonly<Record<string, RpcArgSpec>>;

function rpc<A extends ArgSpecs, R extends z.ZodType>(args: A, result: R): { args: A; result: R } {
  return { args, result };
}

const text = z.string();
const nullableText = z.string().nullable();
const int = z.number().int();
const merchantId = arg('uuid', uuid);
const batchId = arg('uuid', uuid);
const errorsPage = {
  // Left out, the error page is the first 50.
  p_errors_limit: defaulted('integer', int),
  p_errors_offset: defaulted('integer', int),
};
const pickList = {
  p_merchant_id: merchantId,
  p_search: arg('text', nullableText),
  p_limit: arg('integer', int),
};

export const rpcContract = {
  import_check_references: rpc(
    {
      p_merchant_id: merchantId,
      p_user_ids: arg('uuid[]', z.array(uuid)),
      p_sku_ids: arg('uuid[]', z.array(uuid)),
      p_transaction_numbers: arg('text[]', z.array(text)),
      /** Natural keys to resolve (left out: none). */
      p_user_emails: defaulted('text[]', z.array(text)),
      p_sku_codes: defaulted('text[]', z.array(text)),
      /** Also the names of the keys' members and SKUs (the preview's cells on screen). */
      p_key_names: defaulted('boolean', z.boolean()),
    },
    referenceCheckSchema,
  ),
  import_begin_batch: rpc(
    {
      p_merchant_id: merchantId,
      p_idempotency_key: arg('text', text),
      p_name: arg('text', nullableText),
      p_file_name: arg('text', nullableText),
      p_file_sha256: arg('text', nullableText),
      /** Both null: an open batch, staged while the file is read and sealed after. */
      p_total_rows: arg('integer', int.nullable()),
      p_chunk_count: arg('integer', int.nullable()),
      /** Left out: imported as the file was. */
      p_audit: defaulted('jsonb', auditTrailSchema.nullable()),
    },
    batchSummarySchema,
  ),
  import_stage_chunk: rpc(
    {
      p_batch_id: batchId,
      p_chunk_no: arg('integer', int),
      /**
       * json, not jsonb: hashed as sent and read once (sql/schema/05_batch_lifecycle.sql). The
       * app sends columns; rows as objects (the shape before, an older client's) are still read.
       */
      p_rows: arg('json', z.union([stagedChunkSchema, z.array(stagedRowSchema)])),
    },
    stageResultSchema,
  ),
  /**
   * An open batch's totals and hash once its file is read: refused unless exactly those rows and
   * chunks (numbered 0 to p_chunk_count - 1) are staged. A resend returns the sealed batch.
   */
  import_seal_batch: rpc(
    {
      p_batch_id: batchId,
      p_total_rows: arg('integer', int),
      p_chunk_count: arg('integer', int),
      p_file_sha256: arg('text', nullableText),
      /** The batch's name, known only at Import (the app staged the file while it was reviewed). */
      p_name: defaulted('text', nullableText),
    },
    batchSummarySchema,
  ),
  /**
   * Deletes an open pending batch its caller began, with everything staged for it (a file refused
   * on its own rows). discarded false: no such batch (already discarded, or not the caller's).
   */
  import_discard_batch: rpc({ p_batch_id: batchId }, batchDiscardedSchema),
  import_commit_batch: rpc({ p_batch_id: batchId }, batchDetailSchema),
  import_cancel_batch: rpc({ p_batch_id: batchId }, batchSummarySchema),
  import_list_batches: rpc(
    {
      p_merchant_id: merchantId,
      p_status: arg('text', batchStatusSchema.nullable()),
      p_search: arg('text', nullableText),
      p_limit: arg('integer', int),
      p_offset: arg('integer', int),
    },
    batchPageSchema,
  ),
  import_get_batch: rpc({ p_batch_id: batchId, ...errorsPage }, batchDetailSchema),
  import_batch_overview: rpc(
    { p_merchant_id: merchantId, p_days: arg('integer', int) },
    batchOverviewSchema,
  ),
  import_list_batch_errors: rpc(
    {
      p_batch_id: batchId,
      p_code: arg('text', nullableText),
      p_value: arg('text', nullableText),
      p_after_row: arg('integer', int.nullable()),
      p_after_column: arg('text', nullableText),
      p_limit: arg('integer', int),
    },
    errorPageSchema,
  ),
  import_recheck_batch: rpc({ p_batch_id: batchId, ...errorsPage }, recheckResultSchema),
  import_list_merchants: rpc({}, merchantListSchema),
  // Authorization and pick lists (migrations 0012-0014).
  import_whoami: rpc({}, whoamiSchema),
  import_list_skus: rpc(pickList, skuListSchema),
  import_list_users: rpc(pickList, userListSchema),
  import_list_operators: rpc({ p_merchant_id: merchantId }, operatorListSchema),
  import_set_operator: rpc(
    {
      p_merchant_id: merchantId,
      p_email: arg('text', text),
      p_role: arg('text', operatorRoleSchema),
    },
    operatorSchema,
  ),
  import_remove_operator: rpc(
    { p_merchant_id: merchantId, p_user_id: arg('uuid', uuid) },
    operatorRemovedSchema,
  ),
} as const;

export type RpcContract = typeof rpcContract;
export type RpcFunctionName = keyof RpcContract;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The named arguments a call passes: those with an SQL default may be left out. */
type ArgsOf<A extends ArgSpecs> = [keyof A] extends [never]
  ? Record<string, never> // no arguments: `{}` would accept any value
  : Simplify<
      { [K in keyof A as A[K]['hasDefault'] extends true ? never : K]: z.infer<A[K]['schema']> } & {
        [K in keyof A as A[K]['hasDefault'] extends true ? K : never]?: z.infer<A[K]['schema']>;
      }
    >;

/** Function name -> named arguments. Argument names are the SQL parameter names. */
export type RpcArgs = { [F in RpcFunctionName]: ArgsOf<RpcContract[F]['args']> };

export type RpcResult<F extends RpcFunctionName> = z.infer<RpcContract[F]['result']>;

export function isRpcFunctionName(name: string): name is RpcFunctionName {
  return Object.hasOwn(rpcContract, name);
}

/** One argument of a call as a transport sends it. */
export interface RpcCallArg {
  name: string;
  sql: SqlType;
  value: unknown;
}

/**
 * The arguments a call sends, in the order of the SQL signature: an argument with an SQL default
 * left undefined is left out (the function uses its default, as PostgREST does), any other
 * undefined one is sent as null, and keys the table does not name are never sent. Both transports
 * send exactly this, so a direct connection and PostgREST see the same call.
 */
export function rpcCallArgs<F extends RpcFunctionName>(fn: F, args: RpcArgs[F]): RpcCallArg[] {
  const given: Readonly<Record<string, unknown>> = args;
  const specs: ArgSpecs = rpcContract[fn].args;
  const call: RpcCallArg[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const value = given[name];
    if (value === undefined && spec.hasDefault) continue;
    call.push({ name, sql: spec.sql, value: value ?? null });
  }
  return call;
}
