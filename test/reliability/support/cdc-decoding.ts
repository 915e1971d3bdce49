import pg from 'pg';
import { z } from 'zod';

// Reading the server's logical decoding the way a change-data-capture consumer does: a slot of
// the suite's own, its changes grouped into transactions by their BEGIN/COMMIT frames, each row
// parsed from the plugin's own format (test_decoding text, or pgoutput's binary protocol 1).

/** One column value as decoded: its text form, or null for SQL null. */
export interface Cell {
  /** test_decoding: the type's name (format_type); pgoutput: the type's oid. */
  type: string;
  value: string | null;
  /** A TOASTed value the change did not touch: the plugin sends a marker, not the value. */
  unchanged: boolean;
}

export type Tuple = Readonly<Record<string, Cell>>;

export type Action = 'INSERT' | 'UPDATE' | 'DELETE' | 'TRUNCATE';

export interface Change {
  schema: string;
  table: string;
  action: Action;
  /** The new row (INSERT, UPDATE) or the old key/row (DELETE); null when none was sent. */
  tuple: Tuple | null;
  /** UPDATE only: the old key or row, when the replica identity made the plugin send one. */
  oldKey: Tuple | null;
}

export interface Transaction {
  xid: string;
  changes: Change[];
}

export type DecodedLine =
  | { kind: 'begin'; xid: string }
  | { kind: 'commit'; xid: string }
  | { kind: 'change'; change: Change }
  | { kind: 'other'; text: string };

// ---------------------------------------------------------------------------------------------
// test_decoding

/**
 * Parses one line of test_decoding's output:
 *   BEGIN 123 | COMMIT 123
 *   table public.purchases: INSERT: id[uuid]:'…' total_amount[numeric]:12.50 notes[text]:null
 *   table s.t: UPDATE: old-key: id[integer]:1 new-tuple: id[integer]:2 …
 *   table s.t: DELETE: (no-tuple-data)
 * Names are quote_identifier'd ("a ""b"""), types are format_type names (may hold spaces and
 * brackets), and values are unquoted for numbers and booleans, B'…' for bits, null,
 * unchanged-toast-datum, or a literal in single quotes with quotes doubled.
 */
export function parseTestDecodingLine(line: string): DecodedLine {
  const frame = /^(BEGIN|COMMIT) (\d+)$/.exec(line);
  if (frame) {
    const xid = frame[2] ?? '';
    return frame[1] === 'BEGIN' ? { kind: 'begin', xid } : { kind: 'commit', xid };
  }
  if (!line.startsWith('table ')) return { kind: 'other', text: line };
  const cursor = new Cursor(line, 'table '.length);
  const schema = cursor.identifier();
  cursor.expect('.');
  const table = cursor.identifier();
  cursor.expect(': ');
  const action = cursor.until(':');
  if (action !== 'INSERT' && action !== 'UPDATE' && action !== 'DELETE' && action !== 'TRUNCATE') {
    throw new Error(`test_decoding: unknown action ${action} in ${line}`);
  }
  cursor.expect(':');
  if (action === 'TRUNCATE') {
    return { kind: 'change', change: { schema, table, action, tuple: null, oldKey: null } };
  }
  let oldKey: Tuple | null = null;
  if (cursor.consume(' old-key:')) oldKey = cursor.tuple(' new-tuple:');
  if (oldKey !== null) cursor.expect(' new-tuple:');
  const tuple = cursor.consume(' (no-tuple-data)') ? null : cursor.tuple(null);
  if (!cursor.done()) throw new Error(`test_decoding: trailing text at ${cursor.at} in ${line}`);
  return { kind: 'change', change: { schema, table, action, tuple, oldKey } };
}

class Cursor {
  constructor(
    private readonly text: string,
    public at: number,
  ) {}

  done(): boolean {
    return this.at >= this.text.length;
  }

  consume(literal: string): boolean {
    if (!this.text.startsWith(literal, this.at)) return false;
    this.at += literal.length;
    return true;
  }

  expect(literal: string): void {
    if (!this.consume(literal)) {
      throw new Error(`test_decoding: expected ${JSON.stringify(literal)} at ${this.at}`);
    }
  }

  until(stop: string): string {
    const end = this.text.indexOf(stop, this.at);
    if (end < 0) throw new Error(`test_decoding: no ${JSON.stringify(stop)} after ${this.at}`);
    const token = this.text.slice(this.at, end);
    this.at = end;
    return token;
  }

  /** A quote_identifier'd name: bare, or in double quotes with inner quotes doubled. */
  identifier(): string {
    if (this.text[this.at] !== '"') {
      const match = /^[^.:[\s"]+/.exec(this.text.slice(this.at));
      if (!match) throw new Error(`test_decoding: expected a name at ${this.at}`);
      this.at += match[0].length;
      return match[0];
    }
    return this.quoted('"');
  }

  /** Text in `quote` characters, the quote doubled inside. */
  quoted(quote: string): string {
    this.expect(quote);
    let out = '';
    for (;;) {
      const end = this.text.indexOf(quote, this.at);
      if (end < 0) throw new Error(`test_decoding: unterminated ${quote} at ${this.at}`);
      out += this.text.slice(this.at, end);
      this.at = end + 1;
      if (this.text[this.at] !== quote) return out;
      out += quote;
      this.at += 1;
    }
  }

  /** The type in name[type]: up to the bracket that closes it (array types nest brackets). */
  typeName(): string {
    this.expect('[');
    let depth = 1;
    let out = '';
    while (!this.done()) {
      const ch = this.text[this.at] ?? '';
      if (ch === '"') {
        out += `"${this.quoted('"').replaceAll('"', '""')}"`;
        continue;
      }
      this.at += 1;
      if (ch === '[') depth += 1;
      if (ch === ']') {
        depth -= 1;
        if (depth === 0) return out;
      }
      out += ch;
    }
    throw new Error('test_decoding: unterminated type name');
  }

  /** ` name[type]:value` pairs until the end of the line or `stop`. */
  tuple(stop: string | null): Tuple {
    const columns: Record<string, Cell> = {};
    while (!this.done() && !(stop !== null && this.text.startsWith(stop, this.at))) {
      this.expect(' ');
      const name = this.identifier();
      const type = this.typeName();
      this.expect(':');
      if (Object.hasOwn(columns, name)) throw new Error(`test_decoding: column ${name} twice`);
      columns[name] = this.value(type);
    }
    return columns;
  }

  value(type: string): Cell {
    if (this.text[this.at] === "'") return { type, value: this.quoted("'"), unchanged: false };
    if (this.text.startsWith("B'", this.at)) {
      this.at += 1;
      return { type, value: this.quoted("'"), unchanged: false };
    }
    const match = /^[^\s]+/.exec(this.text.slice(this.at));
    if (!match) throw new Error(`test_decoding: expected a value at ${this.at}`);
    this.at += match[0].length;
    if (match[0] === 'null') return { type, value: null, unchanged: false };
    if (match[0] === 'unchanged-toast-datum') return { type, value: null, unchanged: true };
    return { type, value: match[0], unchanged: false };
  }
}

/**
 * Groups decoded lines into transactions as a consumer does: every change must sit between a
 * BEGIN and the COMMIT of the same xid, and the row's own xid column must agree.
 */
export function framedTransactions(rows: readonly { xid: string; data: string }[]): Transaction[] {
  const done: Transaction[] = [];
  let open: Transaction | null = null;
  for (const row of rows) {
    const line = parseTestDecodingLine(row.data);
    if (line.kind === 'begin') {
      if (open) throw new Error(`BEGIN ${line.xid} inside transaction ${open.xid}`);
      if (line.xid !== row.xid) throw new Error(`BEGIN ${line.xid} on a row of xid ${row.xid}`);
      open = { xid: line.xid, changes: [] };
    } else if (line.kind === 'commit') {
      if (!open || open.xid !== line.xid) throw new Error(`COMMIT ${line.xid} without its BEGIN`);
      done.push(open);
      open = null;
    } else if (line.kind === 'change') {
      if (!open || open.xid !== row.xid) {
        throw new Error(`a change of xid ${row.xid} outside its transaction: ${row.data}`);
      }
      open.changes.push(line.change);
    }
  }
  if (open) throw new Error(`transaction ${open.xid} has no COMMIT`);
  return done;
}

// ---------------------------------------------------------------------------------------------
// pgoutput, protocol version 1

interface RelationInfo {
  schema: string;
  table: string;
  columns: { name: string; typeOid: number }[];
}

/**
 * Decodes pgoutput messages (one per row of pg_logical_slot_get_binary_changes) into
 * transactions. Relation messages describe a table before its first change in a session; tuple
 * values arrive in text form ('t'), as null ('n') or as unchanged TOAST ('u').
 */
export function pgoutputTransactions(messages: readonly Buffer[]): Transaction[] {
  const relations = new Map<number, RelationInfo>();
  const done: Transaction[] = [];
  let open: Transaction | null = null;
  for (const message of messages) {
    const reader = new BinaryReader(message);
    const tag = String.fromCharCode(reader.byte());
    switch (tag) {
      case 'B': {
        reader.int64(); // final LSN
        reader.int64(); // commit timestamp
        if (open) throw new Error('pgoutput: Begin inside a transaction');
        open = { xid: String(reader.uint32()), changes: [] };
        break;
      }
      case 'C': {
        if (!open) throw new Error('pgoutput: Commit without Begin');
        done.push(open);
        open = null;
        break;
      }
      case 'R': {
        const oid = reader.uint32();
        const schema = reader.cstring();
        const table = reader.cstring();
        reader.byte(); // replica identity setting
        const count = reader.int16();
        const columns = Array.from({ length: count }, () => {
          reader.byte(); // flags (1: part of the key)
          const name = reader.cstring();
          const typeOid = reader.uint32();
          reader.int32(); // type modifier
          return { name, typeOid };
        });
        relations.set(oid, { schema, table, columns });
        break;
      }
      case 'I':
      case 'U':
      case 'D': {
        if (!open) throw new Error(`pgoutput: ${tag} outside a transaction`);
        const relation = relations.get(reader.uint32());
        if (!relation) throw new Error('pgoutput: a change before its Relation message');
        let oldKey: Tuple | null = null;
        let kind = String.fromCharCode(reader.byte());
        if (tag !== 'I' && (kind === 'K' || kind === 'O')) {
          oldKey = readTuple(reader, relation);
          if (tag === 'U') kind = String.fromCharCode(reader.byte());
        }
        const tuple = tag === 'D' ? oldKey : kind === 'N' ? readTuple(reader, relation) : null;
        const action: Action = tag === 'I' ? 'INSERT' : tag === 'U' ? 'UPDATE' : 'DELETE';
        open.changes.push({
          schema: relation.schema,
          table: relation.table,
          action,
          tuple,
          oldKey: tag === 'U' ? oldKey : null,
        });
        break;
      }
      case 'T':
      case 'Y':
      case 'O':
      case 'M':
        // Truncate, type, origin and logical messages carry nothing this suite reads.
        break;
      default:
        throw new Error(`pgoutput: unknown message ${tag}`);
    }
  }
  if (open) throw new Error(`pgoutput: transaction ${open.xid} has no Commit`);
  return done;
}

function readTuple(reader: BinaryReader, relation: RelationInfo): Tuple {
  const count = reader.int16();
  const columns: Record<string, Cell> = {};
  for (let i = 0; i < count; i++) {
    const column = relation.columns[i];
    if (!column) throw new Error('pgoutput: more values than the relation has columns');
    const type = String(column.typeOid);
    const kind = String.fromCharCode(reader.byte());
    if (kind === 'n') columns[column.name] = { type, value: null, unchanged: false };
    else if (kind === 'u') columns[column.name] = { type, value: null, unchanged: true };
    else if (kind === 't') {
      columns[column.name] = { type, value: reader.text(reader.int32()), unchanged: false };
    } else throw new Error(`pgoutput: unknown tuple value kind ${kind}`);
  }
  return columns;
}

class BinaryReader {
  private at = 0;
  constructor(private readonly buffer: Buffer) {}
  byte(): number {
    const value = this.buffer.readUInt8(this.at);
    this.at += 1;
    return value;
  }
  int16(): number {
    const value = this.buffer.readInt16BE(this.at);
    this.at += 2;
    return value;
  }
  int32(): number {
    const value = this.buffer.readInt32BE(this.at);
    this.at += 4;
    return value;
  }
  uint32(): number {
    const value = this.buffer.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }
  int64(): bigint {
    const value = this.buffer.readBigInt64BE(this.at);
    this.at += 8;
    return value;
  }
  cstring(): string {
    const end = this.buffer.indexOf(0, this.at);
    if (end < 0) throw new Error('pgoutput: unterminated string');
    const value = this.buffer.toString('utf8', this.at, end);
    this.at = end + 1;
    return value;
  }
  text(length: number): string {
    const value = this.buffer.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }
}

// ---------------------------------------------------------------------------------------------
// The slot

export type Plugin = 'test_decoding' | 'pgoutput';

export interface Consumed {
  transactions: Transaction[];
  /** Rows the slot decoded for the whole server in this call (all files' traffic). */
  decodedRows: number;
  /** Rows kept: the complete transactions that touched a watched id. */
  keptRows: number;
  ms: number;
}

const textRows = z.array(z.tuple([z.string(), z.string()]));

/**
 * A temporary logical slot on a connection of its own: the server drops it when that session
 * ends, so even a crashed run cannot leave a slot retaining WAL. Only that session can read it.
 */
export class LogicalSlot {
  private constructor(
    private readonly client: pg.Client,
    readonly name: string,
    readonly plugin: Plugin,
    private readonly publication: string | null,
  ) {}

  static async create(
    url: string,
    plugin: Plugin,
    publication: string | null = null,
  ): Promise<LogicalSlot> {
    const name = `cdc_suite_${plugin === 'pgoutput' ? 'pgo' : 'td'}_${process.pid}_${Date.now()}`;
    const client = new pg.Client({ connectionString: url, application_name: 'cdc-suite-slot' });
    client.on('error', () => undefined);
    await client.connect();
    try {
      // Creation waits until every transaction running now has ended (a consistent snapshot).
      await client.query(`select pg_create_logical_replication_slot($1, $2, true)`, [name, plugin]);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    return new LogicalSlot(client, name, plugin, publication);
  }

  /**
   * Consumes everything decoded so far and keeps the complete transactions (every row, BEGIN
   * and COMMIT included) in which some change of purchases, purchase_items, bulk_import_batches
   * or bulk_import_staged_chunks (a staging call writes no batch row) mentions one of `watched`
   * (merchant, SKU or batch ids): the slot sees the whole server, and other files import in
   * parallel. The filter picks transactions, never rows, so a kept transaction is seen whole.
   */
  async consume(watched: readonly string[]): Promise<Consumed> {
    const started = performance.now();
    if (this.plugin === 'test_decoding') {
      const result = await this.client.query(
        `with c as materialized (
           select n, xid::text as xid, data
           from pg_logical_slot_get_changes($1, null, null,
                  'include-xids', '1', 'skip-empty-xacts', '1') with ordinality as d(lsn, xid, data, n)
         ),
         hit as materialized (
           select distinct xid from c
           where (data like 'table public.purchases: %'
                  or data like 'table public.purchase\\_items: %'
                  or data like 'table public.bulk\\_import\\_batches: %'
                  or data like 'table public.bulk\\_import\\_staged\\_chunks: %')
             and exists (select 1 from unnest($2::text[]) w where strpos(c.data, w) > 0)
         )
         select (select count(*) from c)::int as decoded,
                coalesce((select json_agg(json_build_array(c.xid, c.data) order by c.n)
                          from c where c.xid in (select xid from hit)), '[]'::json) as kept`,
        [this.name, watched],
      );
      const row = z.object({ decoded: z.number(), kept: textRows }).parse(result.rows[0]);
      const rows = row.kept.map(([xid, data]) => ({ xid, data }));
      return {
        transactions: framedTransactions(rows),
        decodedRows: row.decoded,
        keptRows: rows.length,
        ms: performance.now() - started,
      };
    }
    if (this.publication === null) throw new Error('pgoutput needs a publication');
    // Changes are binary here; a watched id appears in a tuple as its text form.
    const result = await this.client.query(
      `with c as materialized (
         select n, xid::text as xid, data
         from pg_logical_slot_get_binary_changes($1, null, null,
                'proto_version', '1', 'publication_names', $2) with ordinality as d(lsn, xid, data, n)
       ),
       hit as materialized (
         select distinct xid from c
         where get_byte(data, 0) in (73, 85, 68)
           and exists (
             select 1 from unnest($3::text[]) w where position(convert_to(w, 'UTF8') in c.data) > 0
           )
       )
       select (select count(*) from c)::int as decoded,
              coalesce((select array_agg(c.data order by c.n) from c
                        where c.xid in (select xid from hit) or get_byte(c.data, 0) = 82),
                       '{}') as kept`,
      [this.name, this.publication, watched],
    );
    const row = z
      .object({ decoded: z.number(), kept: z.array(z.instanceof(Buffer)) })
      .parse(result.rows[0]);
    return {
      // Relation messages were kept for every transaction; transactions left without changes
      // (Begin and Commit of other files' work were filtered out with their rows) drop here.
      transactions: pgoutputTransactions(row.kept),
      decodedRows: row.decoded,
      keptRows: row.kept.length,
      ms: performance.now() - started,
    };
  }

  async drop(): Promise<void> {
    try {
      await this.client.query('select pg_drop_replication_slot($1)', [this.name]);
    } finally {
      await this.client.end().catch(() => undefined);
    }
  }
}
