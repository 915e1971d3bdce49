// Deliberate bugs for test/MUTATIONS.md: each is applied to a scratch copy of the project and the
// listed test files are run there; every mutation must make at least two tests fail. `find` is
// matched with any run of whitespace standing for any other (files get re-indented), and must
// occur exactly once in `file`.

export interface Mutation {
  id: string;
  title: string;
  file: string;
  find: string;
  replace: string;
  /** Test files of the vitest `unit` project to run. */
  unit: string[];
  /** Test files of the vitest `db` project to run (each run starts its own PostgreSQL). */
  db: string[];
}

export const MUTATIONS: Mutation[] = [
  {
    id: 'M01',
    title:
      'Commit atomicity: items inserted in their own subtransaction; a refused item marks the batch failed but its purchases stay',
    file: 'sql/schema/05_batch_lifecycle.sql',
    find: '      insert into public.purchase_items (\n        id, purchase_id, line_number, sku_id, quantity, unit_price, import_batch_id\n      )\n      select\n        s.item_id, s.purchase_id, s.line_number, s.sku_id, s.quantity, s.unit_price, p_batch_id\n      from public.bulk_import_staged_rows s\n      where s.batch_id = p_batch_id\n      order by s.row_number;\n      get diagnostics v_items = row_count;\n',
    replace:
      "      begin\n      insert into public.purchase_items (\n        id, purchase_id, line_number, sku_id, quantity, unit_price, import_batch_id\n      )\n      select\n        s.item_id, s.purchase_id, s.line_number, s.sku_id, s.quantity, s.unit_price, p_batch_id\n      from public.bulk_import_staged_rows s\n      where s.batch_id = p_batch_id\n      order by s.row_number;\n      get diagnostics v_items = row_count;\n      exception when others then\n        get stacked diagnostics v_state = returned_sqlstate, v_message = message_text;\n        update public.bulk_import_batches b\n        set status = 'failed', error_message = format('%s (SQLSTATE %s)', v_message, v_state),\n            errors = jsonb_build_array(jsonb_build_object('row', 0, 'column', null,\n              'code', 'conflict', 'message', 'The database refused the batch: ' || v_message,\n              'value', null)),\n            imported_purchases = 0, imported_items = 0, completed_at = now()\n        where b.id = p_batch_id returning b.* into v_batch;\n        return import_private.batch_json(v_batch, true);\n      end;\n",
    unit: [],
    db: [
      'test/db/commit-failures.test.ts',
      'test/db/batch-lifecycle.test.ts',
      'test/db/commit-import.test.ts',
      'test/reliability/cdc.test.ts',
    ],
  },
  {
    id: 'M02',
    title:
      "Export neutralisation off in the open file's error export (exportErrors writes verbatim)",
    file: 'electron/main/services/session/session-service.ts',
    find: "              issues.map((e) => `${e.code}: ${e.message}`).join('; '),\n            ];\n          }\n        })(),\n      );",
    replace:
      "              issues.map((e) => `${e.code}: ${e.message}`).join('; '),\n            ];\n          }\n        })(),\n        { neutralise: false },\n      );",
    unit: ['electron/core/files/csv-write.test.ts'],
    db: ['test/db/export-errors.test.ts', 'test/reliability/security.test.ts'],
  },
  {
    id: 'M03',
    title:
      "Export neutralisation off in a failed batch's error export (exportBatchErrors writes verbatim)",
    file: 'electron/core/use-cases/export-batch-errors.ts',
    find: "return writeCsv(path, ['row', 'column', 'code', 'message', 'value'], rows());",
    replace:
      "return writeCsv(path, ['row', 'column', 'code', 'message', 'value'], rows(), { neutralise: false });",
    unit: ['electron/core/files/csv-write.test.ts'],
    db: ['test/db/export-errors.test.ts', 'test/reliability/security.test.ts'],
  },
  {
    id: 'M04',
    title: 'Row numbers: each staged row sent to the database one off (row + 1)',
    file: 'shared/db/staging.ts',
    find: '      columns.item(\n        item.row,\n',
    replace: '      columns.item(\n        item.row + 1,\n',
    unit: ['shared/db/staging.test.ts'],
    db: [
      'test/db/commit-import.test.ts',
      'test/db/commit-failures.test.ts',
      'test/db/cli.test.ts',
      'test/db/history.test.ts',
    ],
  },
  {
    id: 'M05',
    title: 'Supabase transport no longer classifies SQLSTATE 57014 (or its message) as a timeout',
    file: 'shared/db/supabase-transport.ts',
    find: "  if (code === '57014' || STATEMENT_TIMEOUT.test(failure.message)) return 'timeout';\n",
    replace: '',
    unit: [],
    db: [
      'test/db/supabase-timeout.test.ts',
      'test/db/supabase-engine.test.ts',
      'test/reliability/security.test.ts',
    ],
  },
  {
    id: 'M06',
    title: 'fastCents accepts three decimals (and drops the third)',
    file: 'shared/domain/money.ts',
    find: '  if (decimals < 1 || decimals > 2) return -1;',
    replace: '  if (decimals < 1 || decimals > 3) return -1;',
    unit: [
      'shared/domain/money.test.ts',
      'shared/domain/validate-row.test.ts',
      'shared/domain/analyse.test.ts',
    ],
    db: [],
  },
  {
    id: 'M07',
    title: 'fastCents reads one decimal as cents ("12.5" -> 1205)',
    file: 'shared/domain/money.ts',
    find: '  if (decimals === 1) return whole * 100 + d1 * 10;',
    replace: '  if (decimals === 1) return whole * 100 + d1;',
    unit: [
      'shared/domain/money.test.ts',
      'shared/domain/validate-row.test.ts',
      'shared/domain/analyse.test.ts',
    ],
    db: [],
  },
  {
    id: 'M08',
    title: 'Per-merchant access: an operator of any merchant passes the check for every merchant',
    file: 'sql/schema/02_access.sql',
    find: '  where o.user_id = v_uid and o.merchant_id = p_merchant_id;\n  if v_role is null then',
    replace: '  where o.user_id = v_uid limit 1;\n  if v_role is null then',
    unit: [],
    db: [
      'test/db/supabase-authorization.test.ts',
      'test/db/privileges.test.ts',
      'test/reliability/security.test.ts',
    ],
  },
  {
    id: 'M09',
    title:
      'Idempotent chunks: a resent identical chunk is no longer recognised (refused as different rows)',
    file: 'sql/schema/05_batch_lifecycle.sql',
    find: '    if v_chunk.payload_sha256 = v_hash\n      or import_private.same_staged_rows(p_batch_id, p_chunk_no, p_rows) then',
    replace: '    if false then',
    unit: [],
    db: [
      'test/db/batch-lifecycle.test.ts',
      'test/db/staging-concurrency.test.ts',
      'test/db/commit-import.test.ts',
      'test/db/supabase-large.test.ts',
      'test/reliability/cdc.test.ts',
      'test/reliability/faults.test.ts',
    ],
  },
  {
    id: 'M10',
    title:
      'A commit cut by the statement timeout is retried until the attempts run out (no guidance after two cuts)',
    file: 'shared/db/commit-import.ts',
    find: 'const MAX_TIMEOUTS = 2;',
    replace: 'const MAX_TIMEOUTS = 99;',
    unit: [],
    db: ['test/db/pg-transport.test.ts', 'test/db/supabase-timeout.test.ts'],
  },
  {
    id: 'M11',
    title: "Row validation's fast path keeps a UUID's case (not lowercased)",
    file: 'shared/domain/validate-row.ts',
    find: '      const value = raw.toLowerCase();\n      if (ids.size > 1_000_000) ids.clear();',
    replace: '      const value = raw;\n      if (ids.size > 1_000_000) ids.clear();',
    unit: ['shared/domain/validate-row.test.ts', 'shared/domain/analyse.test.ts'],
    db: [],
  },
  {
    id: 'M12',
    title: 'Length limits count UTF-16 units instead of characters',
    file: 'shared/domain/validate-row.ts',
    find: '    if (c < 0xd800 || c > 0xdbff) count++;',
    replace: '    count++;',
    unit: ['shared/domain/validate-row.test.ts', 'shared/domain/analyse.test.ts'],
    db: [],
  },
  {
    id: 'M13',
    title: 'A UTC offset is applied with the wrong sign (+01:00 read as -01:00)',
    file: 'shared/domain/timestamp.ts',
    find: "    const offset = (oh * 60 + om) * 60_000 * (p.sign === '-' ? -1 : 1);",
    replace: "    const offset = (oh * 60 + om) * 60_000 * (p.sign === '-' ? 1 : -1);",
    unit: [
      'shared/domain/timestamp.test.ts',
      'shared/domain/validate-row.test.ts',
      'shared/domain/analyse.test.ts',
    ],
    db: [],
  },
  {
    id: 'M14',
    title: 'Rows of one transaction that disagree (user, date, ...) are no longer flagged',
    file: 'shared/domain/group-purchases.ts',
    find: "    this.errors.push({\n      row: row.row,\n      column,\n      code: 'inconsistent_purchase',",
    replace:
      "    if (column !== column) this.errors.push({\n      row: row.row,\n      column,\n      code: 'inconsistent_purchase',",
    unit: ['shared/domain/group-purchases.test.ts', 'shared/domain/analyse.test.ts'],
    db: ['test/reliability/fuzz.test.ts'],
  },
  {
    id: 'M15',
    title:
      'An unknown SKU found by the reference check is not reported (the purchase stays importable)',
    file: 'shared/domain/reference-check.ts',
    find: '        : this.unknownSkus.has(skuId)',
    replace: "        : this.unknownSkus.has(skuId) && skuId === ''",
    unit: [
      'shared/domain/reference-check.test.ts',
      'electron/main/services/session/import-session.test.ts',
    ],
    db: ['test/db/cli.test.ts', 'test/db/samples.test.ts'],
  },
  {
    id: 'M16',
    title: 'The last chunk of purchases is never sent',
    file: 'shared/domain/purchase-list.ts',
    find: '    starts.push(this.length);\n    return {',
    replace: '    return {',
    unit: ['shared/db/staging.test.ts', 'shared/domain/purchase-list.test.ts'],
    db: ['test/db/commit-import.test.ts', 'test/db/cli.test.ts'],
  },
  {
    id: 'M17',
    title: 'The pg transport no longer classifies SQLSTATE 57014 as a timeout',
    file: 'electron/core/db/pg-transport.ts',
    find: "  if (sqlState === '57014') return 'timeout';",
    replace: '',
    unit: [],
    db: ['test/db/pg-transport.test.ts'],
  },
  {
    id: 'M18',
    title:
      "The commit's own check takes another merchant's SKU for a known one (only existence is checked)",
    file: 'sql/schema/03_validation.sql',
    find: '  where (select k.merchant_id from public.skus k where k.id = d.sku_id)\n    is distinct from v_merchant_id',
    replace: '  where not exists (select 1 from public.skus k where k.id = d.sku_id)',
    unit: [],
    db: [
      'test/db/commit-failures.test.ts',
      'test/db/supabase-authorization.test.ts',
      'test/reliability/security.test.ts',
      'test/db/cli.test.ts',
    ],
  },
  {
    id: 'M19',
    title:
      'A file refused on its own rows after staging began keeps its open batch and what it staged (no discard)',
    file: 'electron/core/use-cases/import-file.ts',
    find: '  if (refusal) {\n    await streamed?.staging.discard();\n    return refusal;',
    replace: '  if (refusal) {\n    return refusal;',
    unit: ['electron/core/use-cases/import-streamed.test.ts'],
    db: ['test/db/import-streamed.test.ts', 'test/reliability/fuzz.test.ts'],
  },
  {
    id: 'M20',
    title:
      "The seal takes the client's totals for what is staged (a chunk lost on the way is not seen there)",
    file: 'sql/schema/05_batch_lifecycle.sql',
    find: '  where c.batch_id = p_batch_id;\n  if v_rows <> p_total_rows then',
    replace:
      '  where c.batch_id = p_batch_id;\n  v_rows := p_total_rows; v_chunks := p_chunk_count; v_first := 0; v_last := p_chunk_count - 1;\n  if v_rows <> p_total_rows then',
    unit: [],
    db: ['test/db/open-batch.test.ts', 'test/db/import-streamed.test.ts'],
  },
  {
    id: 'M21',
    title:
      "An edit leaves the app's rows staged while the file was read in their open batch (no discard until Import)",
    file: 'electron/main/services/session/import-session.ts',
    find: '    // Staged rows stand for the file as read only: any change (even one undone later) lets them go.\n    void this.releaseStaged();\n',
    replace: '',
    unit: ['electron/main/services/session/import-session.test.ts'],
    db: ['test/db/app-staged-while-read.test.ts'],
  },
];
