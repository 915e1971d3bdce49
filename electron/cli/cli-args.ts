import { parseArgs } from 'node:util';
import { z } from 'zod';
import { batchStatusSchema } from '../../shared/db/rpc-contract';
import { FILE_ENCODINGS, type ParseOptions } from '../../shared/domain/types';

// The command line, parsed with node's parseArgs and checked with zod. Other tooling depends on
// exactly this interface: add options, never rename them.

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `Usage: purchase-import <command> [options]

Commands:
  migrate  --db URL [--with-reference-schema]
  check    FILE --merchant UUID [--db URL] [--json] [--skip-existing]
           [--template NAME|FILE] [--fill-order-fields]
  import   FILE --merchant UUID [--name TEXT] [--db URL] [--json] [--skip-existing]
           [--template NAME|FILE] [--fill-order-fields]
           [--record-failure]
  batches  --merchant UUID [--status STATUS] [--limit N] [--db URL] [--json]
  batch    ID [--errors-limit N] [--errors-offset N] [--errors-csv FILE] [--db URL] [--json]
  recheck  ID [--errors-limit N] [--errors-offset N] [--db URL] [--json]
  retry    ID [--db URL] [--json]
  cancel   ID [--db URL] [--json]     a pending batch no import will finish: it never imports

Reading the file (never guessed; say it when the file needs it):
  --encoding utf-8 | windows-1252 | iso-8859-1 | utf-16le | utf-16be
                                    default: by byte order mark, else UTF-8
  --delimiter , | ; | tab | "|"     default: detected
  --sheet NAME                      the sheet of an .xlsx workbook (default: its only visible sheet)
  --decimal-comma                   12,50 means 12.50 (default only for ;-delimited files)
  --date-format iso | dmy | mdy     dmy/mdy accept 03/04/2026 (default iso)
  --time-zone ZONE                  IANA zone for date-times without an offset, e.g. Europe/Paris
  --chunk-rows N                    rows per staged chunk (default 5000)
  --template NAME|FILE              the column mapping: a preset (shopify-orders) or a JSON file
                                    {"transaction_number": "Order", …} ("" = not in this file)
  --fill-order-fields               the order's fields (customer, time, currency…) are given on
                                    the first row of each order only: fill them down

Members may be named by user_email instead of user_id, SKUs by sku_code instead of sku_id
(e-mails compared trimmed and case-insensitively, codes exactly, per merchant).

A batch's row errors are shown by cause first, then a page of rows:
  --errors-limit N                  rows per page (default 50, at most 5000)
  --errors-offset N                 rows to skip, in row order (default 0)
  --errors-csv FILE                 batch: also write all its row errors to FILE (as History's
                                    Export errors does)

When most user or SKU ids of a file are unknown to the merchant, import stops before writing
anything (the wrong merchant, most likely); --record-failure records it as a failed batch for
support instead.

--db defaults to the environment variable PURCHASE_IMPORT_DB, else the built-in sandbox.
Through Supabase's API instead (every command but migrate): --supabase-url URL (or SUPABASE_URL)
with SUPABASE_ANON_KEY and a user's SUPABASE_EMAIL / SUPABASE_PASSWORD; for server automation
only, SUPABASE_SERVICE_ROLE_KEY instead of the user. Keys are read from the environment only.
Exit codes: 0 success / file valid, 1 data refused, 2 usage error or unreadable file,
3 database unreachable or other system failure.`;

const uuid = z.guid({ message: 'must be a UUID' });
const dbUrl = z
  .string()
  .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' });
const delimiterSchema = z
  .enum([',', ';', 'tab', '\t', '|'])
  .transform((value) => (value === 'tab' ? '\t' : value) as ',' | ';' | '\t' | '|');

const supabaseUrl = z
  .string()
  .regex(/^https?:\/\/[^\s]+$/, { message: 'must be an https:// project URL' });

const common = {
  db: dbUrl.optional(),
  'supabase-url': supabaseUrl.optional(),
  json: z.boolean().default(false),
};
const fileOptions = {
  ...common,
  file: z.string().min(1, { message: 'a FILE to read is required' }),
  merchant: uuid,
  'skip-existing': z.boolean().default(false),
  encoding: z.enum(FILE_ENCODINGS).optional(),
  delimiter: delimiterSchema.optional(),
  sheet: z.string().min(1).max(31).optional(),
  'decimal-comma': z.boolean().optional(),
  'date-format': z.enum(['iso', 'dmy', 'mdy']).optional(),
  'time-zone': z
    .string()
    .refine(isTimeZone, { message: 'is not an IANA time zone such as Europe/Paris' })
    .optional(),
  'chunk-rows': z.coerce.number().int().min(1).max(100_000).optional(),
  template: z.string().min(1).optional(),
  'fill-order-fields': z.boolean().optional(),
};

const errorPaging = {
  'errors-limit': z.coerce.number().int().min(0).max(5000).default(50),
  'errors-offset': z.coerce.number().int().min(0).default(0),
};

const commandSchemas = {
  migrate: z.object({
    db: dbUrl.optional(),
    'with-reference-schema': z.boolean().default(false),
    json: z.boolean().default(false),
  }),
  check: z.object(fileOptions),
  import: z.object({
    ...fileOptions,
    name: z.string().max(200).optional(),
    'record-failure': z.boolean().default(false),
  }),
  batches: z.object({
    ...common,
    merchant: uuid,
    status: batchStatusSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(20),
  }),
  batch: z.object({
    ...common,
    ...errorPaging,
    id: uuid,
    'errors-csv': z.string().min(1).optional(),
  }),
  recheck: z.object({ ...common, ...errorPaging, id: uuid }),
  retry: z.object({ ...common, id: uuid }),
  cancel: z.object({ ...common, id: uuid }),
} as const;

export type CommandName = keyof typeof commandSchemas;
export type CommandArgs = {
  [K in CommandName]: { command: K } & z.infer<(typeof commandSchemas)[K]>;
}[CommandName];

const POSITIONAL: Partial<Record<CommandName, 'file' | 'id'>> = {
  check: 'file',
  import: 'file',
  batch: 'id',
  recheck: 'id',
  retry: 'id',
  cancel: 'id',
};

export function parseCliArgs(argv: readonly string[]): CommandArgs | 'help' {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    return 'help';
  }
  if (!isCommand(command)) throw new UsageError(`Unknown command "${command}".`);
  let parsed: ReturnType<typeof parseRaw>;
  try {
    parsed = parseRaw(rest);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help) return 'help';
  const positionalName = POSITIONAL[command];
  if (!positionalName && parsed.positionals.length > 0) {
    throw new UsageError(`"${command}" takes no argument "${parsed.positionals[0] ?? ''}".`);
  }
  if (parsed.positionals.length > 1) {
    throw new UsageError(`"${command}" takes one ${positionalName?.toUpperCase() ?? ''}.`);
  }
  const candidate: Record<string, unknown> = { ...parsed.values };
  delete candidate['help'];
  if (positionalName) candidate[positionalName] = parsed.positionals[0] ?? '';
  const result = commandSchemas[command].strict().safeParse(candidate);
  if (!result.success) {
    const issue = result.error.issues[0];
    const option = issue?.path.join('.') ?? '';
    const label = option === 'file' || option === 'id' ? option.toUpperCase() : `--${option}`;
    const message =
      issue?.code === 'unrecognized_keys'
        ? `"${command}" does not take --${issue.keys.join(', --')}`
        : `${label} ${issue?.message ?? 'is invalid'}`;
    throw new UsageError(message);
  }
  return { command, ...result.data } as CommandArgs;
}

function parseRaw(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      db: { type: 'string' },
      'supabase-url': { type: 'string' },
      json: { type: 'boolean' },
      merchant: { type: 'string' },
      name: { type: 'string' },
      status: { type: 'string' },
      limit: { type: 'string' },
      'skip-existing': { type: 'boolean' },
      'record-failure': { type: 'boolean' },
      'with-reference-schema': { type: 'boolean' },
      encoding: { type: 'string' },
      delimiter: { type: 'string' },
      sheet: { type: 'string' },
      'decimal-comma': { type: 'boolean' },
      'date-format': { type: 'string' },
      'time-zone': { type: 'string' },
      'chunk-rows': { type: 'string' },
      template: { type: 'string' },
      'fill-order-fields': { type: 'boolean' },
      'errors-limit': { type: 'string' },
      'errors-offset': { type: 'string' },
      'errors-csv': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export function parseOptionsOf(
  args: Extract<CommandArgs, { command: 'check' | 'import' }>,
): ParseOptions {
  return {
    ...(args.encoding || args.delimiter
      ? {
          csv: {
            ...(args.encoding ? { encoding: args.encoding } : {}),
            ...(args.delimiter ? { delimiter: args.delimiter } : {}),
          },
        }
      : {}),
    ...(args.sheet ? { xlsx: { sheet: args.sheet } } : {}),
    ...(args['decimal-comma'] !== undefined ? { decimalComma: args['decimal-comma'] } : {}),
    ...(args['date-format'] ? { dateFormat: args['date-format'] } : {}),
    ...(args['time-zone'] ? { timeZone: args['time-zone'] } : {}),
    ...(args['fill-order-fields'] ? { fillOrderFields: true } : {}),
  };
}

function isCommand(value: string): value is CommandName {
  return Object.hasOwn(commandSchemas, value);
}

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
