import { z } from 'zod';
import {
  batchDetailSchema,
  batchPageSchema,
  batchStatusSchema,
  auditEntrySchema,
  auditTrailSchema,
  batchOverviewSchema,
  errorPageSchema,
  operatorRoleSchema,
  recheckResultSchema,
  type AuditEntry,
  type AuditTrail,
} from '../db/rpc-contract';
import { parseOptionsSchema, reparseOptionsSchema } from '../domain/parse-options';
import {
  ERROR_CODES,
  importSettingsSchema,
  importSummarySchema,
  rowErrorSchema,
} from '../domain/report-schema';
import { CANONICAL_COLUMNS, type CanonicalColumn } from '../domain/types';
import { sourceInfoSchema } from '../sources/records';
import { projectUrlProblem } from '../net/hosts';

// Every IPC channel between the renderer and the main process: channel -> {input, output}.
// Main parses each input as unknown with `input` and each result with `output` before it is
// sent; the preload exposes one named function per channel. Pushes from main are `event:*`.

const canonicalColumn = z.enum(
  CANONICAL_COLUMNS as unknown as [CanonicalColumn, ...CanonicalColumn[]],
);
const errorCode = z.enum(ERROR_CODES);
const none = z.undefined();
const id = z.string().min(1).max(200);
const cellText = z.string().max(10_000);

// ---------------------------------------------------------------------------------------------
// Files

/**
 * A file the user chose, by capability: an opaque handle main issued (its open dialog, a drop,
 * its recent list) and the file's name for display. The renderer never sends or receives a path.
 */
export const fileHandleSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{32}$/, 'a file handle issued by the app');
export const fileRefSchema = z.object({ handle: fileHandleSchema, name: z.string() });
export type FileRef = z.infer<typeof fileRefSchema>;

// ---------------------------------------------------------------------------------------------
// Connection

export const profileKindSchema = z.enum(['sandbox', 'postgres', 'supabase', 'environment']);
export type ProfileKind = z.infer<typeof profileKindSchema>;

/** A connection profile as the renderer sees it: never a password or a connection string. */
export const profileSchema = z.object({
  id,
  name: z.string(),
  kind: profileKindSchema,
  /** host:port/database or the Supabase host; safe to show. */
  label: z.string(),
  /** postgres: whether a connection string is stored (it may be kept in memory only). */
  hasSecret: z.boolean(),
  /**
   * postgres: why the connection may expose the password or data (sslmode disable, allow or
   * prefer to another machine), or null.
   */
  warning: z.string().nullable(),
  /** supabase: the project URL and the publishable key (public by design). */
  supabaseUrl: z.string().nullable(),
  supabaseAnonKey: z.string().nullable(),
});
export type Profile = z.infer<typeof profileSchema>;

export const saveProfileInputSchema = z.discriminatedUnion('kind', [
  z.object({
    id: id.optional(),
    kind: z.literal('postgres'),
    name: z.string().trim().min(1).max(100),
    /** Omitted when editing a profile whose stored connection string should stay. */
    connectionString: z
      .string()
      .trim()
      .max(2000)
      .regex(/^postgres(ql)?:\/\//, 'a connection string starts with postgresql://')
      .optional(),
  }),
  z.object({
    id: id.optional(),
    kind: z.literal('supabase'),
    name: z.string().trim().min(1).max(100),
    url: z
      .url({ protocol: /^https?$/ })
      .max(500)
      .refine((url) => projectUrlProblem(url) === null, {
        message: 'a project URL starts with https:// (http:// only for this computer)',
      }),
    anonKey: z.string().trim().min(20).max(2000),
  }),
]);
export type SaveProfileInput = z.infer<typeof saveProfileInputSchema>;

export const merchantAccessSchema = z.object({
  id,
  name: z.string(),
  /** null: an unrestricted connection (database owner, sandbox) that may do everything. */
  role: operatorRoleSchema.nullable(),
});
export type MerchantAccess = z.infer<typeof merchantAccessSchema>;

export const connectionStateSchema = z.object({
  status: z.enum(['disconnected', 'connecting', 'connected', 'needs-sign-in', 'failed']),
  profileId: id.nullable(),
  profileName: z.string().nullable(),
  kind: profileKindSchema.nullable(),
  label: z.string().nullable(),
  /** Signed-in user (Supabase) or the database role's description. */
  who: z.string().nullable(),
  unrestricted: z.boolean(),
  merchants: z.array(merchantAccessSchema),
  merchantId: id.nullable(),
  /** What the chosen merchant allows this user to do. */
  permissions: z.object({
    preview: z.boolean(),
    import: z.boolean(),
    fix: z.boolean(),
    history: z.boolean(),
    recheck: z.boolean(),
    retry: z.boolean(),
  }),
  error: z.string().nullable(),
});
export type ConnectionState = z.infer<typeof connectionStateSchema>;

// ---------------------------------------------------------------------------------------------
// Import sessions

export const columnMappingSchema = z.partialRecord(canonicalColumn, z.string());

export const headerSuggestionSchema = z.object({
  header: z.string(),
  index: z.number().int(),
  column: canonicalColumn.nullable(),
  confidence: z.number(),
  kind: z.enum(['exact', 'alias', 'saved', 'ambiguous', 'partial', 'none']),
  alternatives: z.array(canonicalColumn),
});

export const mappingTemplateSchema = z.object({
  id,
  name: z.string().min(1).max(100),
  mapping: columnMappingSchema,
  /** The headers of the file it was saved from (matched ignoring case and punctuation). */
  headers: z.array(z.string()),
  savedAt: z.string(),
  /** A preset shipped with the app (shared/domain/mapping-presets.ts): what it leaves out. */
  preset: z.object({ description: z.string(), ignored: z.array(z.string()) }).optional(),
  /** Choosing it turns on "Order fields on first row only" (issue 13). */
  fillOrderFields: z.boolean().optional(),
});
export type MappingTemplate = z.infer<typeof mappingTemplateSchema>;

export const needsMappingSchema = z.object({
  kind: z.literal('needs-mapping'),
  file: fileRefSchema,
  fileName: z.string(),
  headers: z.array(z.string()),
  suggestions: z.array(headerSuggestionSchema),
  /** The mapping that would be used now (confident matches and a saved template). */
  proposed: columnMappingSchema,
  missing: z.array(canonicalColumn),
  templates: z.array(mappingTemplateSchema),
  templateId: id.nullable(),
  sample: z.array(z.array(z.string())),
  /** How the head was read: for a workbook, the sheet shown and every sheet to choose from. */
  source: sourceInfoSchema.optional(),
});
export type NeedsMapping = z.infer<typeof needsMappingSchema>;

export const rowFilterSchema = z.union([z.literal('all'), z.literal('errors'), errorCode]);
export type RowFilter = z.infer<typeof rowFilterSchema>;

export const sessionViewSchema = z.object({
  sessionId: id,
  fileName: z.string(),
  /** Canonical columns present in the file, in canonical order. */
  columns: z.array(canonicalColumn),
  mapping: columnMappingSchema,
  summary: importSummarySchema,
  /** Rows with at least one error or warning, per filter. */
  counts: z.object({ all: z.number().int(), errors: z.number().int() }),
  /** Whole-file defects (header, encoding, empty file): row 0 or 1. */
  fileErrors: z.array(rowErrorSchema),
  warnings: z.number().int(),
  canUndo: z.boolean(),
  canRedo: z.boolean(),
  undoLabel: z.string().nullable(),
  redoLabel: z.string().nullable(),
  edits: z.number().int(),
  skipExisting: z.boolean(),
  /** Why the file cannot be committed as it is, or null when it can. */
  blockedReason: z.string().nullable(),
  committable: z.object({ purchases: z.number().int(), items: z.number().int() }),
  parseMs: z.number(),
  committedBatchId: id.nullable(),
  /**
   * Rows of the file as read already sent to the database while its admin reviews it (issue 14):
   * Import then only commits them. Null when none are (a small file, errors, or a change since).
   */
  sent: z.object({ rows: z.number().int(), total: z.number().int() }).nullable(),
  /** Set when most user or SKU ids are unknown to the merchant: most likely the wrong one. */
  foreignIds: z
    .object({
      users: z.object({ unknown: z.number().int(), total: z.number().int() }),
      skus: z.object({ unknown: z.number().int(), total: z.number().int() }),
    })
    .nullable(),
});
export type SessionView = z.infer<typeof sessionViewSchema>;

export const openResultSchema = z.discriminatedUnion('kind', [
  needsMappingSchema,
  z.object({ kind: z.literal('opened'), view: sessionViewSchema }),
  z.object({ kind: z.literal('cancelled') }),
]);
export type OpenResult = z.infer<typeof openResultSchema>;

export const gridRowSchema = z.object({
  /** Position in the current filter (0-based). */
  index: z.number().int(),
  row: z.number().int(),
  cells: z.record(canonicalColumn, z.string()),
  issues: z.array(rowErrorSchema),
});
export type GridRow = z.infer<typeof gridRowSchema>;

export const rowPageSchema = z.object({
  filter: rowFilterSchema,
  total: z.number().int(),
  offset: z.number().int(),
  rows: z.array(gridRowSchema),
});
export type RowPage = z.infer<typeof rowPageSchema>;

export const issuePageSchema = z.object({
  total: z.number().int(),
  offset: z.number().int(),
  issues: z.array(rowErrorSchema),
});

const fileWriteResultSchema = z.object({
  /** null when the user cancelled the save dialog. */
  path: z.string().nullable(),
  rows: z.number().int(),
});

export const pickOptionSchema = z.object({
  id,
  label: z.string(),
  detail: z.string().nullable(),
});
export type PickOption = z.infer<typeof pickOptionSchema>;

export const commitResultSchema = z.object({
  outcome: z.enum(['completed', 'failed', 'cancelled']),
  batch: batchDetailSchema.nullable(),
  message: z.string(),
  durationMs: z.number(),
});
export type CommitResult = z.infer<typeof commitResultSchema>;

/**
 * What a History action (retry, cancel) made of a batch, with the outcome in the words the
 * command line uses too (describeBatch).
 */
export const batchActionResultSchema = z.object({ batch: batchDetailSchema, message: z.string() });
export type BatchActionResult = z.infer<typeof batchActionResultSchema>;

/** A re-check against today's data, by cause: what still fails and which values are resolved. */
export const recheckViewSchema = recheckResultSchema.extend({ checkedAt: z.string() });
export type RecheckView = z.infer<typeof recheckViewSchema>;

// ---------------------------------------------------------------------------------------------
// The fix workflow's bulk actions and audit trail (issue 11)

// The audit trail's shape is the database's (it is stored with the batch): one definition.
export { auditEntrySchema, auditTrailSchema, type AuditEntry, type AuditTrail };

/** The transactions that have errors: what "leave them out and import the rest" drops. */
export const leaveOutPreviewSchema = z.object({
  transactions: z.number().int(),
  rows: z.number().int(),
  /** The first ones, for the confirmation (it names what is left out). */
  sample: z.array(
    z.object({
      transactionNumber: z.string(),
      rows: z.array(z.number().int()),
      problems: z.array(errorCode),
    }),
  ),
  /** What would be imported after leaving them out. */
  remaining: z.object({ purchases: z.number().int(), rows: z.number().int() }),
});
export type LeaveOutPreview = z.infer<typeof leaveOutPreviewSchema>;

/** What the open file was read with: its source's settings (CSV or workbook) and the rules'. */
export { importSettingsSchema };

export const idLabelSchema = z.object({ id, label: z.string(), detail: z.string().nullable() });
export type IdLabel = z.infer<typeof idLabelSchema>;

const bulkResultSchema = z.object({
  view: sessionViewSchema,
  rows: z.number().int(),
  transactions: z.number().int(),
});

// ---------------------------------------------------------------------------------------------
// The contract

export const ipcContract = {
  'app:info': {
    input: none,
    output: z.object({ platform: z.string(), version: z.string(), dataDir: z.string() }),
  },

  'connection:list-profiles': {
    input: none,
    output: z.object({ profiles: z.array(profileSchema), activeId: id.nullable() }),
  },
  'connection:save-profile': { input: saveProfileInputSchema, output: profileSchema },
  'connection:delete-profile': {
    input: z.object({ id }),
    output: z.object({ deleted: z.boolean() }),
  },
  'connection:connect': { input: z.object({ profileId: id }), output: connectionStateSchema },
  'connection:sign-in': {
    input: z.object({ email: z.email().max(320), password: z.string().min(1).max(1000) }),
    output: connectionStateSchema,
  },
  'connection:sign-out': { input: none, output: connectionStateSchema },
  'connection:state': { input: none, output: connectionStateSchema },
  'connection:select-merchant': {
    input: z.object({ merchantId: id }),
    output: connectionStateSchema,
  },

  /** Main's open dialog: a handle for the chosen file, or null when cancelled. */
  'import:choose-file': { input: none, output: z.object({ file: fileRefSchema.nullable() }) },
  /**
   * A dropped file, recorded by main. Only the preload calls it, with the path webUtils gives
   * for a File the user dropped; the page gets `fileDropped(file)` instead (PRELOAD_ONLY).
   */
  'files:record-drop': {
    input: z.object({ path: z.string().min(1).max(4096) }),
    output: fileRefSchema,
  },
  /** Main's recent-files list, each with a handle. */
  'files:recent': { input: none, output: z.object({ files: z.array(fileRefSchema) }) },
  'import:open': {
    input: z.object({
      file: fileHandleSchema,
      options: parseOptionsSchema.optional(),
      /** false: show the mapping step even when every header matched. */
      autoMap: z.boolean().optional(),
    }),
    output: openResultSchema,
  },
  'import:cancel-open': { input: none, output: z.object({ cancelled: z.boolean() }) },
  'import:view': { input: none, output: sessionViewSchema.nullable() },
  'import:rows': {
    input: z.object({
      filter: rowFilterSchema,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
    }),
    output: rowPageSchema,
  },
  'import:issues': {
    input: z.object({
      filter: rowFilterSchema,
      offset: z.number().int().min(0),
      limit: z.number().int().min(1).max(1000),
    }),
    output: issuePageSchema,
  },
  'import:find-error': {
    input: z.object({
      filter: rowFilterSchema,
      /** Search after this position of the filter (-1: from the start). */
      after: z.number().int().min(-1),
      direction: z.enum(['next', 'previous']),
    }),
    output: z.object({ index: z.number().int(), row: z.number().int() }).nullable(),
  },
  'import:find-text': {
    input: z.object({
      filter: rowFilterSchema,
      /** Case-insensitive; matched anywhere in a cell's text as the file has it. */
      text: z.string().min(1).max(1_000),
      /** Search after (or before) this cell: its position in the filter and its column. */
      after: z.number().int().min(-1),
      afterColumn: z.number().int().min(-1),
      direction: z.enum(['next', 'previous']),
    }),
    output: z
      .object({ index: z.number().int(), row: z.number().int(), column: canonicalColumn })
      .nullable(),
  },
  'import:find-row': {
    input: z.object({ filter: rowFilterSchema, row: z.number().int() }),
    output: z.object({ index: z.number().int() }).nullable(),
  },
  'import:edit-cell': {
    input: z.object({ row: z.number().int().min(2), column: canonicalColumn, value: cellText }),
    output: sessionViewSchema,
  },
  'import:replace-all': {
    input: z.object({ column: canonicalColumn, from: cellText, to: cellText }),
    output: z.object({ view: sessionViewSchema, replaced: z.number().int() }),
  },
  'import:delete-rows': {
    input: z.object({
      rows: z.array(z.number().int().min(2)).min(1).max(100_000),
      wholeTransactions: z.boolean(),
    }),
    output: z.object({ view: sessionViewSchema, deleted: z.number().int() }),
  },
  'import:undo': { input: none, output: sessionViewSchema },
  'import:redo': { input: none, output: sessionViewSchema },
  'import:set-skip-existing': { input: z.object({ skip: z.boolean() }), output: sessionViewSchema },
  'import:pick-list': {
    input: z.object({
      kind: z.enum(['sku', 'user']),
      search: z.string().max(200),
    }),
    output: z.object({ options: z.array(pickOptionSchema) }),
  },
  'import:export-errors': { input: none, output: fileWriteResultSchema },
  'import:save-fixed': { input: none, output: fileWriteResultSchema },
  'import:commit': {
    input: z.object({ name: z.string().trim().max(200) }),
    output: commitResultSchema,
  },
  'import:cancel-commit': { input: none, output: z.object({ cancelled: z.boolean() }) },
  'import:close': { input: none, output: z.object({ closed: z.boolean() }) },

  'templates:list': {
    input: none,
    output: z.object({ templates: z.array(mappingTemplateSchema) }),
  },
  'templates:save': {
    input: z.object({
      name: z.string().trim().min(1).max(100),
      mapping: columnMappingSchema,
      headers: z.array(z.string().max(500)).max(500),
    }),
    output: mappingTemplateSchema,
  },
  'templates:delete': { input: z.object({ id }), output: z.object({ deleted: z.boolean() }) },

  'batches:list': {
    input: z.object({
      status: batchStatusSchema.nullable(),
      search: z.string().trim().max(200).nullable(),
      limit: z.number().int().min(1).max(200),
      offset: z.number().int().min(0),
    }),
    output: batchPageSchema,
  },
  'batches:get': {
    input: z.object({
      id,
      errorsLimit: z.number().int().min(0).max(5000).optional(),
      errorsOffset: z.number().int().min(0).optional(),
    }),
    output: batchDetailSchema,
  },
  /** The merchant's imports of the last N days: per day, success rate, durations, rows. */
  'batches:overview': {
    input: z.object({ days: z.number().int().min(1).max(366) }),
    output: batchOverviewSchema,
  },
  /** A page of a batch's row errors, optionally of one cause, after a (row, column) key. */
  'batches:errors': {
    input: z.object({
      id,
      code: z.string().max(60).nullable(),
      value: z.string().max(500).nullable(),
      after: z.object({ row: z.number().int(), column: z.string().max(100) }).nullable(),
      limit: z.number().int().min(1).max(1000),
    }),
    output: errorPageSchema,
  },
  'batches:recheck': { input: z.object({ id }), output: recheckViewSchema },
  'batches:retry': { input: z.object({ id }), output: batchActionResultSchema },
  /** Cancels a pending batch no import will finish (an open one left behind): it never imports. */
  'batches:cancel': { input: z.object({ id }), output: batchActionResultSchema },
  'batches:export-errors': { input: z.object({ id }), output: fileWriteResultSchema },
  /** The batch's audit trail (what was changed before import), one change per line. */
  'batches:export-audit': { input: z.object({ id }), output: fileWriteResultSchema },

  // Issue 11: bulk fixes, parse settings and the audit trail of the open file.
  /** Every spreadsheet row number of a filter, in file order (select all within a filter). */
  'import:row-numbers': {
    input: z.object({ filter: rowFilterSchema }),
    output: z.object({ rows: z.array(z.number().int()) }),
  },
  /** Deletes every row of a filter (one kind of problem, or all errors), or their transactions. */
  'import:delete-filter': {
    input: z.object({
      filter: z.union([z.literal('errors'), errorCode]),
      wholeTransactions: z.boolean(),
    }),
    output: bulkResultSchema,
  },
  'import:leave-out-preview': { input: none, output: leaveOutPreviewSchema },
  /** Leaves out every transaction with an error, so the rest can be imported. */
  'import:leave-out-errors': { input: none, output: bulkResultSchema },
  'import:audit': { input: none, output: auditTrailSchema.nullable() },
  /** What the open file was read with (detected or chosen). */
  'import:parse-settings': { input: none, output: importSettingsSchema.nullable() },
  /** Reads the open file again with other settings (its column mapping is kept). */
  'import:reparse': {
    input: z.object({ options: reparseOptionsSchema }),
    output: openResultSchema,
  },
  /** Names for ids on screen: SKU code and name, member e-mail; unknown ids are left out. */
  'import:id-labels': {
    input: z.object({
      kind: z.enum(['sku', 'user']),
      ids: z.array(z.string().max(100)).max(200),
    }),
    output: z.object({ labels: z.array(idLabelSchema) }),
  },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

export type IpcContract = typeof ipcContract;
export type Channel = keyof IpcContract;
export type ChannelInput<C extends Channel> = z.input<IpcContract[C]['input']>;
export type ChannelOutput<C extends Channel> = z.output<IpcContract[C]['output']>;
export const channels = Object.keys(ipcContract) as Channel[];

// ---------------------------------------------------------------------------------------------
// Pushes from main

export const importProgressSchema = z.object({
  /** reading the bytes; analysing (grouping, file rules, report); checking against the
   *  database; preparing the grid; done. */
  phase: z.enum(['reading', 'analysing', 'checking', 'preparing', 'done']),
  fileName: z.string(),
  bytesRead: z.number().int(),
  totalBytes: z.number().int(),
  rows: z.number().int(),
});
export type ImportProgress = z.infer<typeof importProgressSchema>;

export const commitProgressSchema = z.object({
  phase: z.enum(['beginning', 'staging', 'committing', 'reconciling', 'done']),
  batchId: z.string().nullable(),
  chunksSent: z.number().int(),
  chunks: z.number().int(),
  rowsStaged: z.number().int(),
  totalRows: z.number().int(),
});
export type CommitProgressEvent = z.infer<typeof commitProgressSchema>;

export const menuCommandSchema = z.enum([
  'open',
  'commit',
  'export-errors',
  'save-fixed',
  'find',
  'next-error',
  'undo',
  'redo',
  'history',
  'connection',
  'import',
]);
export type MenuCommand = z.infer<typeof menuCommandSchema>;

export const ipcEvents = {
  'event:import-progress': importProgressSchema,
  'event:commit-progress': commitProgressSchema,
  'event:menu': z.object({ command: menuCommandSchema }),
  'event:connection-changed': connectionStateSchema,
} as const satisfies Record<`event:${string}`, z.ZodType>;

export type IpcEvents = typeof ipcEvents;
export type EventName = keyof IpcEvents;
export type EventPayload<E extends EventName> = z.output<IpcEvents[E]>;
export const eventNames = Object.keys(ipcEvents) as EventName[];
