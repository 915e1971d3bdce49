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
  totalRows: z.number().int(),
  stagedRows: z.number().int(),
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
export interface StagedRow {
  row: number;
  transaction_number: string;
  /** Null only for a row that names its member by e-mail the preview could not resolve. */
  user_id: string | null;
  purchased_at: string;
  /** Null only for a row that names its SKU by a code the preview could not resolve. */
  sku_id: string | null;
  quantity: number;
  unit_price: string;
  currency: string | null;
  total_amount: string | null;
  store_code: string | null;
  notes: string | null;
  /** The key the row named its member by (natural keys), kept with the resolved user_id. */
  user_email?: string | null;
  /** The key the row named its SKU by, kept with the resolved sku_id. */
  sku_code?: string | null;
}

/** Function name -> named arguments. Argument names are the SQL parameter names. */
export interface RpcArgs {
  import_check_references: {
    p_merchant_id: string;
    p_user_ids: string[];
    p_sku_ids: string[];
    p_transaction_numbers: string[];
    /** Natural keys to resolve (left out: none). */
    p_user_emails?: string[];
    p_sku_codes?: string[];
    /** Also the names of the keys' members and SKUs (the preview's cells on screen). */
    p_key_names?: boolean;
  };
  import_begin_batch: {
    p_merchant_id: string;
    p_idempotency_key: string;
    p_name: string | null;
    p_file_name: string | null;
    p_file_sha256: string | null;
    p_total_rows: number;
    p_chunk_count: number;
    /** Left out: imported as the file was. */
    p_audit?: AuditTrail | null;
  };
  import_stage_chunk: { p_batch_id: string; p_chunk_no: number; p_rows: StagedRow[] };
  import_commit_batch: { p_batch_id: string };
  import_cancel_batch: { p_batch_id: string };
  import_list_batches: {
    p_merchant_id: string;
    p_status: BatchStatus | null;
    p_search: string | null;
    p_limit: number;
    p_offset: number;
  };
  // Left out, the error page is the first 50.
  import_get_batch: { p_batch_id: string; p_errors_limit?: number; p_errors_offset?: number };
  import_batch_overview: { p_merchant_id: string; p_days: number };
  import_list_batch_errors: {
    p_batch_id: string;
    p_code: string | null;
    p_value: string | null;
    p_after_row: number | null;
    p_after_column: string | null;
    p_limit: number;
  };
  import_recheck_batch: { p_batch_id: string; p_errors_limit?: number; p_errors_offset?: number };
  import_list_merchants: Record<string, never>;
  // Authorization and pick lists (migrations 0012-0014).
  import_whoami: Record<string, never>;
  import_list_skus: { p_merchant_id: string; p_search: string | null; p_limit: number };
  import_list_users: { p_merchant_id: string; p_search: string | null; p_limit: number };
  import_list_operators: { p_merchant_id: string };
  import_set_operator: { p_merchant_id: string; p_email: string; p_role: OperatorRole };
  import_remove_operator: { p_merchant_id: string; p_user_id: string };
}
export type RpcFunctionName = keyof RpcArgs;

export const rpcResultSchemas = {
  import_check_references: referenceCheckSchema,
  import_begin_batch: batchSummarySchema,
  import_stage_chunk: stageResultSchema,
  import_commit_batch: batchDetailSchema,
  import_cancel_batch: batchSummarySchema,
  import_list_batches: batchPageSchema,
  import_get_batch: batchDetailSchema,
  import_batch_overview: batchOverviewSchema,
  import_list_batch_errors: errorPageSchema,
  import_recheck_batch: recheckResultSchema,
  import_list_merchants: merchantListSchema,
  import_whoami: whoamiSchema,
  import_list_skus: skuListSchema,
  import_list_users: userListSchema,
  import_list_operators: operatorListSchema,
  import_set_operator: operatorSchema,
  import_remove_operator: operatorRemovedSchema,
} as const satisfies Record<RpcFunctionName, z.ZodType>;

export type RpcResult<F extends RpcFunctionName> = z.infer<(typeof rpcResultSchemas)[F]>;

export type RpcSqlArgs<F extends RpcFunctionName> = readonly (readonly [
  keyof RpcArgs[F] & string,
  string,
])[];

/** Arguments with an SQL default: a call may leave them out. */
export const OPTIONAL_ARGS: ReadonlySet<string> = new Set([
  'p_errors_limit',
  'p_errors_offset',
  'p_audit',
  'p_user_emails',
  'p_sku_codes',
  'p_key_names',
]);

/**
 * Parameter names and SQL types of each function, in the order of the SQL signature: what a
 * direct connection casts each named argument to (PostgREST reads the same from the catalog).
 */
export const RPC_SQL_ARGS: { readonly [F in RpcFunctionName]: RpcSqlArgs<F> } = {
  import_check_references: [
    ['p_merchant_id', 'uuid'],
    ['p_user_ids', 'uuid[]'],
    ['p_sku_ids', 'uuid[]'],
    ['p_transaction_numbers', 'text[]'],
    ['p_user_emails', 'text[]'],
    ['p_sku_codes', 'text[]'],
    ['p_key_names', 'boolean'],
  ],
  import_begin_batch: [
    ['p_merchant_id', 'uuid'],
    ['p_idempotency_key', 'text'],
    ['p_name', 'text'],
    ['p_file_name', 'text'],
    ['p_file_sha256', 'text'],
    ['p_total_rows', 'integer'],
    ['p_chunk_count', 'integer'],
    ['p_audit', 'jsonb'],
  ],
  import_stage_chunk: [
    ['p_batch_id', 'uuid'],
    ['p_chunk_no', 'integer'],
    ['p_rows', 'jsonb'],
  ],
  import_commit_batch: [['p_batch_id', 'uuid']],
  import_cancel_batch: [['p_batch_id', 'uuid']],
  import_list_batches: [
    ['p_merchant_id', 'uuid'],
    ['p_status', 'text'],
    ['p_search', 'text'],
    ['p_limit', 'integer'],
    ['p_offset', 'integer'],
  ],
  import_get_batch: [
    ['p_batch_id', 'uuid'],
    ['p_errors_limit', 'integer'],
    ['p_errors_offset', 'integer'],
  ],
  import_batch_overview: [
    ['p_merchant_id', 'uuid'],
    ['p_days', 'integer'],
  ],
  import_list_batch_errors: [
    ['p_batch_id', 'uuid'],
    ['p_code', 'text'],
    ['p_value', 'text'],
    ['p_after_row', 'integer'],
    ['p_after_column', 'text'],
    ['p_limit', 'integer'],
  ],
  import_recheck_batch: [
    ['p_batch_id', 'uuid'],
    ['p_errors_limit', 'integer'],
    ['p_errors_offset', 'integer'],
  ],
  import_list_merchants: [],
  import_whoami: [],
  import_list_skus: [
    ['p_merchant_id', 'uuid'],
    ['p_search', 'text'],
    ['p_limit', 'integer'],
  ],
  import_list_users: [
    ['p_merchant_id', 'uuid'],
    ['p_search', 'text'],
    ['p_limit', 'integer'],
  ],
  import_list_operators: [['p_merchant_id', 'uuid']],
  import_set_operator: [
    ['p_merchant_id', 'uuid'],
    ['p_email', 'text'],
    ['p_role', 'text'],
  ],
  import_remove_operator: [
    ['p_merchant_id', 'uuid'],
    ['p_user_id', 'uuid'],
  ],
};
