import { describe, expect, expectTypeOf, it } from 'vitest';
import { analyseCsvText } from '../domain/analyse';
import { rpcCallArgs, rpcContract, type RpcArgs, type RpcResult } from './rpc-contract';
import { createSupabaseTransport } from './supabase-transport';
import { toStagedChunk, toStagedRows } from './staging';

const M = '0b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b01';
const B = '1b7e4f7a-3c1d-4e8b-9a55-2f0d6c1e9b02';

describe('rpcCallArgs', () => {
  it('sends the arguments in the order of the SQL signature, whatever order the call names them', () => {
    const call = rpcCallArgs('import_list_batches', {
      p_offset: 0,
      p_limit: 20,
      p_search: null,
      p_status: 'failed',
      p_merchant_id: M,
    });
    expect(call.map((a) => [a.name, a.sql, a.value])).toEqual([
      ['p_merchant_id', 'uuid', M],
      ['p_status', 'text', 'failed'],
      ['p_search', 'text', null],
      ['p_limit', 'integer', 20],
      ['p_offset', 'integer', 0],
    ]);
  });

  it('leaves out an argument with an SQL default only when the call leaves it out', () => {
    expect(rpcCallArgs('import_get_batch', { p_batch_id: B }).map((a) => a.name)).toEqual([
      'p_batch_id',
    ]);
    expect(
      rpcCallArgs('import_get_batch', { p_batch_id: B, p_errors_offset: 50 }).map((a) => [
        a.name,
        a.value,
      ]),
    ).toEqual([
      ['p_batch_id', B],
      ['p_errors_offset', 50],
    ]);
    // An explicit null is sent: it is not "left out".
    expect(
      rpcCallArgs('import_begin_batch', {
        p_merchant_id: M,
        p_idempotency_key: 'k',
        p_name: null,
        p_file_name: null,
        p_file_sha256: null,
        p_total_rows: 1,
        p_chunk_count: 1,
        p_audit: null,
      }).at(-1),
    ).toEqual({ name: 'p_audit', sql: 'jsonb', value: null });
  });

  it('never sends a key the table does not name', () => {
    const args = { p_batch_id: B, p_extra: 'x' } as RpcArgs['import_commit_batch'];
    expect(rpcCallArgs('import_commit_batch', args).map((a) => a.name)).toEqual(['p_batch_id']);
  });
});

describe('the argument schemas', () => {
  it("accept the chunk the commit sends, and rows as an older client sends them (p_rows' schema is the real shape)", () => {
    const csv = [
      'transaction_number,user_email,purchased_at,sku_id,quantity,unit_price,currency',
      `T1,a@example.com,2026-03-04T10:15:00Z,${B},2,12.50,EUR`,
    ].join('\n');
    const { purchases } = analyseCsvText(csv, {}, 'k.csv');
    const chunk = toStagedChunk(purchases);
    expect(rpcContract.import_stage_chunk.args.p_rows.schema.parse(chunk)).toEqual(chunk);
    const rows = toStagedRows(purchases);
    expect(rows).toHaveLength(1);
    expect(rpcContract.import_stage_chunk.args.p_rows.schema.parse(rows)).toEqual(rows);
  });

  it('refuse a value of the wrong kind', () => {
    const { p_status } = rpcContract.import_list_batches.args;
    expect(p_status.schema.safeParse('done').success).toBe(false);
    expect(p_status.schema.safeParse(null).success).toBe(true);
  });
});

describe('the types derived from the table', () => {
  it('make arguments with an SQL default optional and the others required', () => {
    expectTypeOf<RpcArgs['import_get_batch']>().toEqualTypeOf<{
      p_batch_id: string;
      p_errors_limit?: number;
      p_errors_offset?: number;
    }>();
    expectTypeOf<RpcArgs['import_whoami']>().toEqualTypeOf<Record<string, never>>();
    expectTypeOf<RpcResult<'import_remove_operator'>>().toEqualTypeOf<{ removed: boolean }>();
  });
});

describe('the Supabase transport', () => {
  it('sends the same named arguments as the table, defaults left out, unknown functions refused', async () => {
    const sent: unknown[] = [];
    const transport = createSupabaseTransport({
      rpc: ((fn: string, args: unknown) => {
        sent.push([fn, args]);
        return Promise.resolve({ data: { removed: true }, error: null, status: 200 });
      }) as never,
    });
    await transport.call('import_get_batch', { p_batch_id: B });
    expect(sent).toEqual([['import_get_batch', { p_batch_id: B }]]);
    await expect(
      transport.call('import_nope' as 'import_whoami', {} as RpcArgs['import_whoami']),
    ).rejects.toMatchObject({ code: 'unknown_function' });
  });
});
