-- Sending a batch: begin (idempotent per merchant + key) → stage chunks (idempotent per chunk
-- number) → commit (one transaction: all purchases of the batch land, or none) or cancel. Every
-- step can be resent after a lost answer without doing anything twice.
--
-- A batch begun with the file's totals (rows, chunks) is sealed from the start. One begun without
-- them is open (migrations/0012): staging overlaps the parse, so chunks arrive while the file is
-- still being read; seal_batch then gives the totals and SHA-256 once it is read, after checking
-- that exactly those rows and chunks are staged, and only a sealed batch commits. A file refused on
-- its own rows after staging began is discarded (discard_batch): nothing of it stays.

-- The bounds on a file's totals, given at begin or at the seal, so a forged call cannot declare a
-- batch no file could fill (files are ~1M rows). Null and null: an open batch (asked by the caller).
-- 10,000,000 is also what an open batch may stage in all (stage_chunk).
create or replace function import_private.assert_batch_totals(
  p_total_rows integer,
  p_chunk_count integer
)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_total_rows is null and p_chunk_count is null then
    return;
  end if;
  if p_total_rows is null or p_total_rows < 0 or p_total_rows > 10000000 then
    raise exception using
      errcode = '22023',
      message = format('Total rows must be between 0 and 10000000 (got %s).',
        coalesce(p_total_rows::text, 'none'));
  end if;
  if p_chunk_count is null or p_chunk_count < 0 or p_chunk_count > greatest(p_total_rows, 1) then
    raise exception using
      errcode = '22023',
      message = format(
        'Chunk count must be between 0 and the number of rows (got %s for %s rows).',
        coalesce(p_chunk_count::text, 'none'), p_total_rows
      );
  end if;
end;
$$;
revoke all on function import_private.assert_batch_totals(integer, integer)
  from public, anon, authenticated;

-- Deletes an open batch and everything that hangs off it, as if it had never been begun (its
-- caller checked who may, and holds the batch row for update). Staged rows hold no foreign key
-- (migrations/0002); the rest cascade from the batch row.
create or replace function import_private.delete_open_batch(p_batch_id uuid)
returns void
language sql
volatile
set search_path = ''
as $$
  delete from public.bulk_import_staged_rows s where s.batch_id = p_batch_id;
  delete from public.bulk_import_batches b where b.id = p_batch_id;
$$;
revoke all on function import_private.delete_open_batch(uuid) from public, anon, authenticated;

-- Open batches their creator's process left behind at a merchant (it died while reading the file,
-- or the app could not reach the database as it quit): their staged rows will never be sealed.
-- Each open batch its creator begins there discards those begun over a day ago, up to a million
-- staged rows per call, which keeps a begin well within the 8 s the API gives a statement (1M
-- staged rows go in ~1.6 s); one with more is left to import_cancel_batch. Someone else's are never
-- touched (only the creator may discard: discard_batch).
create or replace function import_private.discard_stale_open_batches(p_merchant_id uuid)
returns void
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_batch record;
  v_budget bigint := 1000000;
begin
  for v_batch in
    select b.id,
      (select coalesce(sum(c.row_count), 0) from public.bulk_import_staged_chunks c
       where c.batch_id = b.id) as staged
    from public.bulk_import_batches b
    where b.merchant_id = p_merchant_id
      and b.status = 'pending'
      and b.total_rows is null
      and b.created_by = import_private.current_actor()
      and b.created_at < now() - interval '1 day'
    order by b.created_at
    for update of b skip locked
  loop
    continue when v_batch.staged > v_budget;
    v_budget := v_budget - v_batch.staged;
    perform import_private.delete_open_batch(v_batch.id);
  end loop;
end;
$$;
revoke all on function import_private.discard_stale_open_batches(uuid)
  from public, anon, authenticated;

create or replace function import_private.begin_batch(
  p_merchant_id uuid,
  p_idempotency_key text,
  p_name text,
  p_file_name text,
  p_file_sha256 text,
  p_total_rows integer,
  p_chunk_count integer,
  p_audit jsonb default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
begin
  perform import_private.assert_access(p_merchant_id, 'import');

  if p_idempotency_key is null or btrim(p_idempotency_key) = '' then
    raise exception 'An idempotency key is required to begin an import batch.';
  end if;
  -- Both totals, or neither (an open batch: the file is still being read; seal_batch gives them).
  if (p_total_rows is null) <> (p_chunk_count is null) then
    raise exception using
      errcode = '22023',
      message = format(
        'Give both the total rows and the chunk count, or neither to begin an open batch '
        '(got %s rows, %s chunks).',
        coalesce(p_total_rows::text, 'no'), coalesce(p_chunk_count::text, 'no')
      );
  end if;
  perform import_private.assert_batch_totals(p_total_rows, p_chunk_count);
  -- The audit trail rides on begin: a bound on its size, like a chunk's (the app sends KBs).
  if p_audit is not null and (
    jsonb_typeof(p_audit) <> 'object' or pg_catalog.pg_column_size(p_audit) > 4 * 1024 * 1024
  ) then
    raise exception using
      errcode = '22023',
      message = 'The audit trail must be a JSON object of at most 4 MB.';
  end if;
  if not exists (select 1 from public.merchants m where m.id = p_merchant_id) then
    raise exception using
      errcode = 'P0002',
      message = format('Merchant %s does not exist.', coalesce(p_merchant_id::text, 'null'));
  end if;

  if p_total_rows is null then
    perform import_private.discard_stale_open_batches(p_merchant_id);
  end if;

  insert into public.bulk_import_batches as b (
    merchant_id, idempotency_key, batch_name, file_name, file_sha256, total_rows, chunk_count,
    created_by, started_at, audit
  )
  values (
    p_merchant_id, p_idempotency_key, p_name, p_file_name, p_file_sha256, p_total_rows,
    p_chunk_count, import_private.current_actor(), clock_timestamp(), p_audit
  )
  on conflict (merchant_id, idempotency_key) do nothing
  returning b.* into v_batch;

  if not found then
    -- A resend (or a resumed run): answer with the batch the key already names, but never let
    -- one key stand for two different files. A value counts only where both sides know it: an
    -- open begin resent after the seal, or a begin with totals that finds the open batch its key
    -- names, answers with that batch (the client seals an open one).
    select b.* into v_batch
    from public.bulk_import_batches b
    where b.merchant_id = p_merchant_id and b.idempotency_key = p_idempotency_key;
    if v_batch.total_rows <> p_total_rows or v_batch.file_sha256 <> p_file_sha256 then
      raise exception using
        message = format(
          'Idempotency key %s was already used for batch %s with a different file '
          '(%s rows, SHA-256 %s).',
          p_idempotency_key, v_batch.id, coalesce(v_batch.total_rows::text, 'not yet known'),
          coalesce(v_batch.file_sha256, 'none')
        ),
        hint = 'Use a new idempotency key for a new import.';
    end if;
  end if;

  return import_private.batch_json(v_batch, null, null);
end;
$$;
call import_private.expose(
  'import_private.begin_batch(uuid, text, text, text, text, integer, integer, jsonb)'
);

-- A chunk's payload as one typed array per column. The app sends a JSON object of columns
-- (shared/db/staging.ts, toStagedChunk), each a PostgreSQL array literal in a JSON string:
--   per row:      "row", "purchase" (1-based: which entry of the purchase columns the row takes),
--                 "sku_id", "quantity", "unit_price", "notes", "sku_code"
--   per purchase: "transaction_number", "user_id", "purchased_at", "currency", "total_amount",
--                 "store_code", "user_email"
-- A column left out is null on every row. Each purchase's fields travel once, not once per item,
-- and the literals are read by array_in instead of json_to_recordset's per-object work: for 5,000
-- rows (1,442 purchases) 0.46 MB instead of 1.48 MB, decoded in 10-11 ms instead of 20-22 ms, the
-- hash of the text and json's own check of it shrinking with it (issue 14, measured on one
-- server; columns as JSON arrays, json_to_record's populate_array, took 23-25 ms).
-- Rows as an array of objects, one per row with the same names (the shape before; what an older
-- client sends), still read: each row is then its own purchase entry.
-- Refused: another shape, more than 50,000 rows, columns of unequal length, a row without a
-- purchase entry; a value its column's type cannot read is refused by that type (as before).
create or replace function import_private.chunk_columns(p_rows json)
returns table (
  c_row int[], c_purchase int[], c_sku_id uuid[], c_quantity int[], c_unit_price numeric[],
  c_notes text[], c_sku_code text[], c_transaction_number text[], c_user_id uuid[],
  c_purchased_at timestamptz[], c_currency text[], c_total_amount numeric[], c_store_code text[],
  c_user_email text[]
)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_count int;
  v_purchases int;
  v_lengths int[];
  v_min int;
  v_max int;
  v_nulls int;
begin
  if p_rows is null or json_typeof(p_rows) not in ('object', 'array') then
    raise exception 'The rows of a chunk must be a JSON object of columns (or an array of rows).';
  end if;
  if json_typeof(p_rows) = 'array' then
    v_count := json_array_length(p_rows);
  else
    select c."row"::int[], c.purchase::int[], c.sku_id::uuid[], c.quantity::int[],
      c.unit_price::numeric[], c.notes::text[], c.sku_code::text[], c.transaction_number::text[],
      c.user_id::uuid[], c.purchased_at::timestamptz[], c.currency::text[],
      c.total_amount::numeric[], c.store_code::text[], c.user_email::text[]
    into c_row, c_purchase, c_sku_id, c_quantity, c_unit_price, c_notes, c_sku_code,
      c_transaction_number, c_user_id, c_purchased_at, c_currency, c_total_amount, c_store_code,
      c_user_email
    from json_to_record(p_rows) as c(
      "row" text, purchase text, sku_id text, quantity text, unit_price text, notes text,
      sku_code text, transaction_number text, user_id text, purchased_at text, currency text,
      total_amount text, store_code text, user_email text
    );
    v_count := coalesce(cardinality(c_row), 0);
  end if;
  -- A bound on one call's work (the app sends about 5,000 rows): a bigger chunk is refused whole.
  if v_count > 50000 then
    raise exception using
      errcode = '22023',
      message = format('A chunk holds at most 50000 rows (got %s): send the batch in smaller chunks.', v_count);
  end if;

  if json_typeof(p_rows) = 'array' then
    select coalesce(array_agg(r."row" order by r.n), '{}'), array_agg(r.n::int order by r.n),
      array_agg(r.sku_id order by r.n), array_agg(r.quantity order by r.n),
      array_agg(r.unit_price order by r.n), array_agg(r.notes order by r.n),
      array_agg(r.sku_code order by r.n), array_agg(r.transaction_number order by r.n),
      array_agg(r.user_id order by r.n), array_agg(r.purchased_at order by r.n),
      array_agg(r.currency order by r.n), array_agg(r.total_amount order by r.n),
      array_agg(r.store_code order by r.n), array_agg(r.user_email order by r.n)
    into c_row, c_purchase, c_sku_id, c_quantity, c_unit_price, c_notes, c_sku_code,
      c_transaction_number, c_user_id, c_purchased_at, c_currency, c_total_amount, c_store_code,
      c_user_email
    from rows from (
      json_to_recordset(p_rows) as (
        "row" int, transaction_number text, user_id uuid, purchased_at timestamptz, sku_id uuid,
        quantity int, unit_price numeric, currency text, total_amount numeric, store_code text,
        notes text, user_email text, sku_code text
      )
    ) with ordinality as r(
      "row", transaction_number, user_id, purchased_at, sku_id, quantity, unit_price, currency,
      total_amount, store_code, notes, user_email, sku_code, n
    );
    return next;
    return;
  end if;

  -- unnest pads a shorter array with nulls: unequal lengths are refused, not read as nulls.
  v_lengths := array[
    cardinality(c_purchase), cardinality(c_sku_id), cardinality(c_quantity),
    cardinality(c_unit_price), cardinality(c_notes), cardinality(c_sku_code)
  ];
  if exists (select 1 from unnest(v_lengths) as l(n) where l.n <> v_count) then
    raise exception using
      errcode = '22023',
      message = format(
        'The per-row columns of a chunk must all have one value per row (%s rows; purchase, '
        'sku_id, quantity, unit_price, notes, sku_code have %s).',
        v_count, array_to_string(v_lengths, ', ', 'none')
      );
  end if;
  v_lengths := array[
    cardinality(c_transaction_number), cardinality(c_user_id), cardinality(c_purchased_at),
    cardinality(c_currency), cardinality(c_total_amount), cardinality(c_store_code),
    cardinality(c_user_email)
  ];
  select max(l.n) into v_purchases from unnest(v_lengths) as l(n);
  v_purchases := coalesce(v_purchases, 0);
  if exists (select 1 from unnest(v_lengths) as l(n) where l.n <> v_purchases) then
    raise exception using
      errcode = '22023',
      message = format(
        'The purchase columns of a chunk must all have one value per purchase (transaction_number, '
        'user_id, purchased_at, currency, total_amount, store_code, user_email have %s).',
        array_to_string(v_lengths, ', ', 'none')
      );
  end if;
  select min(p.n), max(p.n), count(*) - count(p.n)
  into v_min, v_max, v_nulls
  from unnest(c_purchase) as p(n);
  if v_count > 0 and (c_purchase is null or v_nulls > 0 or v_min < 1 or v_max > v_purchases) then
    raise exception using
      errcode = '22023',
      message = format(
        'Every row of a chunk must name one of its %s purchases (1 to %s) in "purchase".',
        v_purchases, v_purchases
      );
  end if;
  return next;
end;
$$;
revoke all on function import_private.chunk_columns(json) from public, anon, authenticated;

-- A chunk's payload as rows (either shape: chunk_columns), each with its purchase's fields.
create or replace function import_private.chunk_rows(p_rows json)
returns table (
  "row" int, transaction_number text, user_id uuid, purchased_at timestamptz, sku_id uuid,
  quantity int, unit_price numeric, currency text, total_amount numeric, store_code text,
  notes text, user_email text, sku_code text
)
language sql
stable
set search_path = ''
as $$
  select i."row", p.transaction_number, p.user_id, p.purchased_at, i.sku_id, i.quantity,
    i.unit_price, p.currency, p.total_amount, p.store_code, i.notes, p.user_email, i.sku_code
  from import_private.chunk_columns(p_rows) as c
  cross join lateral unnest(
    c.c_row, c.c_purchase, c.c_sku_id, c.c_quantity, c.c_unit_price, c.c_notes, c.c_sku_code
  ) as i("row", purchase, sku_id, quantity, unit_price, notes, sku_code)
  join lateral unnest(
    c.c_transaction_number, c.c_user_id, c.c_purchased_at, c.c_currency, c.c_total_amount,
    c.c_store_code, c.c_user_email
  ) with ordinality as p(
    transaction_number, user_id, purchased_at, currency, total_amount, store_code, user_email, n
  ) on p.n = i.purchase
$$;
revoke all on function import_private.chunk_rows(json) from public, anon, authenticated;

-- Whether a chunk's payload holds the rows staged under its number, however it was spelled
-- (key order, spacing, "12.5" for 12.50, rows as objects or as columns): asked only when a
-- resend's text hashes differently (another client's serialiser, or a chunk staged before the
-- hash was of the text as sent).
create or replace function import_private.same_staged_rows(
  p_batch_id uuid,
  p_chunk_no integer,
  p_rows json
)
returns boolean
language sql
stable
set search_path = ''
as $$
  with sent as (
    select r."row", r.transaction_number, r.user_id, r.purchased_at, r.sku_id, r.quantity,
      r.unit_price, r.currency, r.total_amount, r.store_code, r.notes, r.user_email, r.sku_code
    from import_private.chunk_rows(p_rows) as r
  ),
  staged as (
    select s.row_number, s.transaction_number, s.user_id, s.purchased_at, s.sku_id, s.quantity,
      s.unit_price, s.currency, s.total_amount, s.store_code, s.notes, s.user_email, s.sku_code
    from public.bulk_import_staged_rows s
    where s.batch_id = p_batch_id and s.chunk_no = p_chunk_no
  )
  select not exists (select * from sent except all select * from staged)
    and not exists (select * from staged except all select * from sent)
$$;
revoke all on function import_private.same_staged_rows(uuid, integer, json)
  from public, anon, authenticated;

-- The bound on a batch's staged rows: the total it was begun (or sealed) with, and for an open
-- batch the 10,000,000 rows any batch may hold (assert_batch_totals). p_rows: the rows staged with
-- this chunk.
create or replace function import_private.assert_chunk_fits(
  p_batch public.bulk_import_batches,
  p_chunk_no integer,
  p_rows integer
)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_batch.total_rows is null and p_rows > 10000000 then
    raise exception using
      errcode = '22023',
      message = format(
        'Chunk %s would bring open batch %s to %s rows, more than the 10000000 a batch may hold.',
        p_chunk_no, p_batch.id, p_rows
      );
  elsif p_rows > p_batch.total_rows then
    raise exception 'Chunk % would bring batch % to % rows, more than the % it was begun with.',
      p_chunk_no, p_batch.id, p_rows, p_batch.total_rows;
  end if;
end;
$$;
revoke all on function import_private.assert_chunk_fits(public.bulk_import_batches, integer, integer)
  from public, anon, authenticated;

-- The rows arrive as json, not jsonb: json keeps the text as sent, so the chunk's hash is of that
-- text (a resend from the same client is the same text) and it is read once (chunk_columns). As
-- jsonb they were parsed into jsonb, printed again to hash, then read: 13 % more of the server's
-- time per chunk (measured: 1.73 vs 1.51 s of backend CPU for 100k rows in 21 chunks).
create or replace function import_private.stage_chunk(
  p_batch_id uuid,
  p_chunk_no integer,
  p_rows json
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_chunk public.bulk_import_staged_chunks;
  v_cols record;
  v_count int;
  v_staged int;
  v_errors jsonb;
  v_hash text;
  v_detail text;
  v_first_row int;
  v_last_row int;
  v_suspect boolean;
  v_inexact boolean;
  v_transactions text[];
  v_user_ids uuid[];
  v_sku_ids uuid[];
  v_user_keys text[];
  v_user_key_ids uuid[];
  v_sku_keys text[];
  v_sku_key_ids uuid[];
  v_ms bigint := floor(extract(epoch from clock_timestamp()) * 1000);
  -- The random half of this chunk's ids (see the ids below): 16 hex digits of a random UUID's
  -- second half, its variant bits included; one for purchases, one for items.
  v_purchase_tail text := substring(replace(gen_random_uuid()::text, '-', '') from 17);
  v_item_tail text := substring(replace(gen_random_uuid()::text, '-', '') from 17);
begin
  v_batch := import_private.find_batch(p_batch_id);
  perform import_private.assert_access(v_batch.merchant_id, 'import');

  -- One typed array per column (either shape; the bound on a chunk's rows is asked there).
  select c.* into v_cols from import_private.chunk_columns(p_rows) as c;
  v_count := coalesce(cardinality(v_cols.c_row), 0);
  -- The text as sent: an identical resend hashes the same (same_staged_rows answers for a resend
  -- spelled differently).
  v_hash := encode(sha256(convert_to(p_rows::text, 'UTF8')), 'hex');

  -- A resend of this chunk (after a lost answer, possibly while the first call still runs on the
  -- server) waits here for the first, then finds its record below and answers duplicate.
  perform pg_advisory_xact_lock(
    hashtextextended('public.import_stage_chunk:' || p_batch_id::text || ':' || p_chunk_no, 0)
  );
  -- Serialises with the commit, the cancel, the seal and the discard (which lock the same row for
  -- update): no rows arrive mid-commit, none after a cancel, a seal counts every chunk in flight
  -- before it and a chunk after it meets the sealed totals. A share lock, so the chunks of one batch stage side by
  -- side (for update made the two chunks in flight wait for each other: one server core idled).
  -- Hence nothing here updates the batch row (two share holders upgrading would deadlock): its
  -- staged rows are the sum of its chunk records (batch_json), written to the row when the batch
  -- leaves pending.
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id for share;
  if not found then
    -- Discarded (discard_batch) since find_batch read it.
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', p_batch_id);
  end if;

  select c.* into v_chunk
  from public.bulk_import_staged_chunks c
  where c.batch_id = p_batch_id and c.chunk_no = p_chunk_no;
  if found then
    if v_chunk.payload_sha256 = v_hash
      or import_private.same_staged_rows(p_batch_id, p_chunk_no, p_rows) then
      return jsonb_build_object(
        'batchId', v_batch.id, 'chunkNo', p_chunk_no, 'rowCount', v_chunk.row_count,
        'duplicate', true, 'stagedRows', import_private.staged_row_count(p_batch_id)
      );
    end if;
    raise exception using
      message = format(
        'Chunk %s of batch %s was already staged with different rows (%s rows then, %s now).',
        p_chunk_no, p_batch_id, v_chunk.row_count, v_count
      ),
      hint = 'A chunk number cannot be reused for other data; begin a new batch.';
  end if;

  if v_batch.status = 'completed' then
    raise exception 'Batch % is already completed: it accepts no more rows.', p_batch_id;
  elsif v_batch.status = 'failed' then
    raise exception using
      message = format('Batch %s has failed: its staged rows are kept as they are.', p_batch_id),
      hint = 'Commit it again to retry after fixing the data, or import the file as a new batch.';
  elsif v_batch.status <> 'pending' then
    raise exception 'Batch % is %: it accepts no rows.', p_batch_id, v_batch.status;
  end if;
  -- An open batch has no chunk count yet: any number from 0 (the seal wants exactly 0 to n - 1).
  if p_chunk_no is null or p_chunk_no < 0
    or (v_batch.chunk_count is not null and p_chunk_no >= v_batch.chunk_count) then
    if v_batch.chunk_count is null then
      raise exception 'Chunk number % is out of range: the chunks of batch % are numbered from 0.',
        coalesce(p_chunk_no::text, 'null'), p_batch_id;
    end if;
    raise exception 'Chunk number % is out of range: batch % has chunks 0 to %.',
      coalesce(p_chunk_no::text, 'null'), p_batch_id, v_batch.chunk_count - 1;
  end if;
  if v_count = 0 then
    raise exception 'Chunk % has no rows.', p_chunk_no;
  end if;
  -- Asked again below, where it is exact; here it spares the insert of a chunk refused anyway.
  v_staged := import_private.staged_row_count(p_batch_id);
  perform import_private.assert_chunk_fits(v_batch, p_chunk_no, v_staged + v_count);

  begin
    -- One pass over the payload, one sort, one window: each row gets its line number in file
    -- order within its transaction (line 1 carries the purchase and the items' sum), its
    -- transaction's first row (the purchase id is made from it) and whether it might break a rule
    -- on the chunk's own rows: it differs from its transaction's first row, its total from the
    -- items' sum, or a value is out of range. Only then does the chunk need
    -- import_check_staged_rows (the one place the rules and their messages are written); a clean
    -- chunk records no errors without it. The commit then inserts purchases and items with two
    -- plain selects. (Was: a grouping for the purchase ids and sums, joined back to the rows, then
    -- the window. With the ids below, a 5,000-row chunk's server time went from ~66 to ~55 ms.)
    --
    -- The ids are time-ordered (UUID version 7: 48 bits of staging time in milliseconds, the
    -- version 7, the spreadsheet row (for a purchase: its first row) as a 12-bit counter whose
    -- overflow carries into the time, then the variant and 62 random bits), so the commit appends
    -- to the right-hand end of the purchases' and items' id indexes, and to the
    -- (purchase_id, line_number) index, instead of touching a random page per row. Time and row
    -- make the ids of one chunk distinct; the random bits, drawn once per chunk (v_purchase_tail,
    -- v_item_tail), keep them apart from other chunks' and batches': a gen_random_uuid() per row
    -- and per purchase, formatted through bytea, cost ~6-8 ms of a 5,000-row chunk. Spelled out
    -- rather than uuidv7(), which PostgreSQL has only from version 18.
    with l as materialized (
      select
        r."row", r.transaction_number, r.user_id, r.purchased_at, r.sku_id, r.quantity,
        r.unit_price, r.currency, r.total_amount, r.store_code, r.notes, r.user_email, r.sku_code,
        row_number() over w as line_number,
        first_value(r."row") over w as first_row,
        sum(r.quantity::numeric * r.unit_price::numeric(12, 2)) over w as items_sum,
        (
          r.user_id is distinct from first_value(r.user_id) over w
          or r.purchased_at is distinct from first_value(r.purchased_at) over w
          or r.currency is distinct from first_value(r.currency) over w
          or r.total_amount is distinct from first_value(r.total_amount) over w
          or r.store_code is distinct from first_value(r.store_code) over w
          or abs(r.total_amount - sum(r.quantity::numeric * r.unit_price::numeric(12, 2)) over w) > 0.01
          or r.quantity < 1
          or r.unit_price < 0
          or r.currency !~ '^[A-Z]{3}$'
        ) as suspect
      from (
        -- Each row with its purchase's fields (chunk_rows spells the same join out for
        -- same_staged_rows; here the arrays are read once, above).
        select i."row", p.transaction_number, p.user_id, p.purchased_at, i.sku_id, i.quantity,
          i.unit_price, p.currency, p.total_amount, p.store_code, i.notes, p.user_email,
          i.sku_code
        from unnest(
          v_cols.c_row, v_cols.c_purchase, v_cols.c_sku_id, v_cols.c_quantity,
          v_cols.c_unit_price, v_cols.c_notes, v_cols.c_sku_code
        ) as i("row", purchase, sku_id, quantity, unit_price, notes, sku_code)
        join unnest(
          v_cols.c_transaction_number, v_cols.c_user_id, v_cols.c_purchased_at, v_cols.c_currency,
          v_cols.c_total_amount, v_cols.c_store_code, v_cols.c_user_email
        ) with ordinality as p(
          transaction_number, user_id, purchased_at, currency, total_amount, store_code,
          user_email, n
        ) on p.n = i.purchase
      ) as r
      -- The whole transaction is the frame: first_value is its first row, sum its items' sum.
      window w as (
        partition by r.transaction_number collate "C" order by r."row"
        rows between unbounded preceding and unbounded following
      )
    ),
    staged as (
      insert into public.bulk_import_staged_rows (
        batch_id, chunk_no, row_number, transaction_number, user_id, purchased_at, sku_id,
        quantity, unit_price, currency, total_amount, store_code, notes,
        purchase_id, item_id, line_number, items_sum, user_email, sku_code
      )
      select
        p_batch_id, p_chunk_no, l."row", l.transaction_number, l.user_id, l.purchased_at,
        l.sku_id, l.quantity, l.unit_price, l.currency, l.total_amount, l.store_code, l.notes,
        (lpad(to_hex((v_ms + (l.first_row >> 12)) * 65536 + 28672 + (l.first_row & 4095)), 16, '0')
          || v_purchase_tail)::uuid,
        (lpad(to_hex((v_ms + (l."row" >> 12)) * 65536 + 28672 + (l."row" & 4095)), 16, '0')
          || v_item_tail)::uuid,
        l.line_number,
        case when l.line_number = 1 then l.items_sum end,
        l.user_email, l.sku_code
      from l
    )
    -- With the chunk's distinct values for the commit's check (migrations/0011): its transactions
    -- (one line 1 each in a chunk), the ids of rows that gave ids, and each key as spelled with
    -- the id the preview resolved it to. Sorted here, two chunks side by side, they spare the
    -- commit a grouping of every staged row of the batch on one core.
    -- (select distinct hashes; array_agg(distinct) sorted: ~0.3 ms more per list and chunk.)
    select a.*, u.ids, k.ids, uk.keys, uk.ids, sk.keys, sk.ids
    into v_first_row, v_last_row, v_suspect, v_inexact, v_transactions, v_user_ids, v_sku_ids,
      v_user_keys, v_user_key_ids, v_sku_keys, v_sku_key_ids
    from (
      select min(l."row"), max(l."row"), coalesce(bool_or(l.suspect), false),
        coalesce(bool_or(scale(l.unit_price) > 2 or scale(l.total_amount) > 2), false),
        array_agg(l.transaction_number) filter (where l.line_number = 1)
      from l
    ) as a,
    (
      select coalesce(array_agg(d.user_id), '{}')
      from (select distinct l.user_id from l where l.user_email is null) as d
    ) as u(ids),
    (
      select coalesce(array_agg(d.sku_id), '{}')
      from (select distinct l.sku_id from l where l.sku_code is null) as d
    ) as k(ids),
    -- Two aggregates over one scan of the pairs: aligned by position.
    (
      select coalesce(array_agg(d.user_email), '{}'), coalesce(array_agg(d.user_id), '{}')
      from (select distinct l.user_email, l.user_id from l where l.user_email is not null) as d
    ) as uk(keys, ids),
    (
      select coalesce(array_agg(d.sku_code), '{}'), coalesce(array_agg(d.sku_id), '{}')
      from (select distinct l.sku_code, l.sku_id from l where l.sku_code is not null) as d
    ) as sk(keys, ids);
  exception when unique_violation then
    get stacked diagnostics v_detail = pg_exception_detail;
    raise exception using
      errcode = 'unique_violation',
      message = format(
        'Chunk %s repeats a spreadsheet row already staged in batch %s.', p_chunk_no, p_batch_id
      ),
      detail = v_detail;
  end;

  -- numeric(12,2) would round a third decimal silently; money must arrive exact. Asked in the
  -- same pass over the payload as the insert (a second reading cost ~10 % of a chunk's call): the
  -- exception undoes the insert.
  if v_inexact then
    raise exception 'Chunk % has amounts with more than two decimals.', p_chunk_no;
  end if;

  -- The chunk's own rule violations (whole purchases per chunk: its rows are all there is).
  v_errors := case
    when v_suspect
      then import_private.check_staged_rows(p_batch_id, p_chunk_no, v_first_row, v_last_row)
    else '[]'::jsonb
  end;

  -- The bound on the batch's rows, exact: chunks staging side by side take this lock in turn
  -- for their last two statements, so each counts every chunk staged before it (held until the
  -- commit of its transaction; a statement's snapshot is taken after the lock is granted).
  perform pg_advisory_xact_lock(hashtextextended('public.import_stage_chunk:' || p_batch_id::text, 0));
  v_staged := import_private.staged_row_count(p_batch_id);
  perform import_private.assert_chunk_fits(v_batch, p_chunk_no, v_staged + v_count);
  insert into public.bulk_import_staged_chunks (
    batch_id, chunk_no, row_count, payload_sha256, errors, transaction_numbers, user_ids, sku_ids,
    user_keys, user_key_ids, sku_keys, sku_key_ids
  )
  values (
    p_batch_id, p_chunk_no, v_count, v_hash, v_errors, v_transactions, v_user_ids, v_sku_ids,
    v_user_keys, v_user_key_ids, v_sku_keys, v_sku_key_ids
  );

  return jsonb_build_object(
    'batchId', v_batch.id, 'chunkNo', p_chunk_no, 'rowCount', v_count,
    'duplicate', false, 'stagedRows', v_staged + v_count
  );
end;
$$;
call import_private.expose('import_private.stage_chunk(uuid, integer, json)');

-- The distinct values of a batch's staged rows as they were staged, in one pass over them: user and
-- SKU ids of rows that gave ids, transaction numbers, and for rows that named the member or SKU by
-- a natural key (migration 0006) each key as the file spelled it with the id the preview resolved
-- it to (resolved_id, null when unresolved then), each with its row count, first row and
-- purchase-carrying lines. failing_values reads its keys and their preview answers from here, so
-- a commit reads the keyed rows once, not once for the values and again for the keys; grouping on
-- the spelling leaves an e-mail's lower(btrim()) to one call per spelling instead of one per row.
-- A refused batch answers from its recorded values (e-mails as compared, no resolved_id).
create or replace function import_private.batch_value_pairs(p_batch_id uuid)
returns table (
  column_name text, value text, resolved_id uuid, row_count int, first_row int, first_lines int
)
language plpgsql
stable
set search_path = ''
-- One hash table per column over one scan; the transactions' holds one entry per purchase.
set work_mem = '64MB'
as $$
#variable_conflict use_column
begin
  if exists (select 1 from public.bulk_import_batch_values v where v.batch_id = p_batch_id) then
    return query
    select v.column_name::text, u.value::text, null::uuid, u.row_count, u.first_row, u.first_lines
    from public.bulk_import_batch_values v
    cross join lateral unnest(v.distinct_values, v.row_counts, v.first_rows, v.first_lines)
      as u(value, row_count, first_row, first_lines)
    where v.batch_id = p_batch_id;
    return;
  end if;
  return query
  select g.* from (
    select
      case
        when grouping(s.user_id) = 0 then 'user_id'
        when grouping(s.sku_id) = 0 then 'sku_id'
        when grouping(s.user_email, s.key_user_id) = 0 then 'user_email'
        when grouping(s.sku_code, s.key_sku_id) = 0 then 'sku_code'
        else 'transaction_number'
      end,
      coalesce(s.user_id::text, s.sku_id::text, s.user_email, s.sku_code, s.transaction_number)
        as value,
      coalesce(s.key_user_id, s.key_sku_id),
      count(*)::int,
      min(s.row_number),
      (count(*) filter (where s.line_number = 1))::int
    from (
      -- A row counts under its id or under its key, never both.
      select
        r.row_number, r.line_number, r.transaction_number,
        case when r.user_email is null then r.user_id end as user_id,
        case when r.sku_code is null then r.sku_id end as sku_id,
        r.user_email,
        case when r.user_email is not null then r.user_id end as key_user_id,
        r.sku_code,
        case when r.sku_code is not null then r.sku_id end as key_sku_id
      from public.bulk_import_staged_rows r
      where r.batch_id = p_batch_id
    ) as s
    group by grouping sets (
      (s.user_id), (s.sku_id), (s.transaction_number), (s.user_email, s.key_user_id),
      (s.sku_code, s.key_sku_id)
    )
  ) as g
  where g.value is not null;
end;
$$;
revoke all on function import_private.batch_value_pairs(uuid) from public, anon, authenticated;

-- The distinct values failing_values asks today's tables about, as batch_value_pairs gives them
-- but without counts: for a batch whose every chunk recorded its values at staging
-- (migrations/0011), the union of those lists, without reading a staged row (at 1M rows the
-- grouping of every row took ~2.7 s of the commit call; the lists ~0.2 s); else, and for a refused
-- batch's recorded values, batch_value_pairs. p_complete is chunks_complete's answer: no
-- transaction is in two chunks' lists, so theirs need no grouping.
-- Keys as spelled with the id the preview resolved them to: the commit's resolve_staged_keys may
-- since have given an unresolved key's rows today's id, where the list keeps null; failing_values
-- compares a key's preview id only when there was one, and today's answer is the one that was
-- written, so both give the same verdict.
create or replace function import_private.batch_distinct_values(
  p_batch_id uuid,
  p_complete boolean
)
returns table (column_name text, value text, resolved_id uuid)
language plpgsql
stable
set search_path = ''
set work_mem = '64MB'
as $$
#variable_conflict use_column
begin
  if exists (select 1 from public.bulk_import_batch_values v where v.batch_id = p_batch_id)
    or exists (
      select 1 from public.bulk_import_staged_chunks c
      where c.batch_id = p_batch_id and c.transaction_numbers is null
    )
  then
    return query
    select p.column_name, p.value, p.resolved_id
    from import_private.batch_value_pairs(p_batch_id) as p;
    return;
  end if;
  return query
  select 'transaction_number'::text, t.value, null::uuid
  from public.bulk_import_staged_chunks c
  cross join lateral unnest(c.transaction_numbers) as t(value)
  where c.batch_id = p_batch_id and p_complete
  union all
  select distinct 'transaction_number'::text, t.value, null::uuid
  from public.bulk_import_staged_chunks c
  cross join lateral unnest(c.transaction_numbers) as t(value)
  where c.batch_id = p_batch_id and not p_complete
  union all
  select distinct 'user_id'::text, u.value::text, null::uuid
  from public.bulk_import_staged_chunks c
  cross join lateral unnest(c.user_ids) as u(value)
  where c.batch_id = p_batch_id
  union all
  select distinct 'sku_id'::text, u.value::text, null::uuid
  from public.bulk_import_staged_chunks c
  cross join lateral unnest(c.sku_ids) as u(value)
  where c.batch_id = p_batch_id
  union all
  select distinct 'user_email'::text, k.value, k.id
  from public.bulk_import_staged_chunks c
  cross join lateral unnest(c.user_keys, c.user_key_ids) as k(value, id)
  where c.batch_id = p_batch_id
  union all
  select distinct 'sku_code'::text, k.value, k.id
  from public.bulk_import_staged_chunks c
  cross join lateral unnest(c.sku_keys, c.sku_key_ids) as k(value, id)
  where c.batch_id = p_batch_id;
end;
$$;
revoke all on function import_private.batch_distinct_values(uuid, boolean)
  from public, anon, authenticated;

-- The distinct values of a batch's staged rows (user and SKU ids, transaction numbers, keys), each
-- with its row count, first row and purchase-carrying lines: recorded for a refused batch
-- (bulk_import_batch_values, migrations/0007 and 0008), else counted from the staged rows in one
-- pass (batch_value_pairs).
-- What the reference check of failing_values and a re-check start from.
create or replace function import_private.batch_values(p_batch_id uuid)
returns table (column_name text, value text, row_count int, first_row int, first_lines int)
language sql
stable
set search_path = ''
set work_mem = '64MB'
as $$
  -- Natural keys: a row that named the member or SKU by its key counts under its key (e-mails as
  -- compared: trimmed, lower case), not under the id it resolved to, which may be null
  -- (unresolved at preview): what failing_values and staged_errors check per row. The spellings
  -- and preview answers of one key fold into one value here (recorded values are folded already:
  -- folding them again changes nothing).
  with p as materialized (
    select bp.* from import_private.batch_value_pairs(p_batch_id) as bp
  )
  select p.column_name, p.value, p.row_count, p.first_row, p.first_lines
  from p
  where p.column_name not in ('user_email', 'sku_code')
  union all
  select k.column_name, k.value, sum(k.row_count)::int, min(k.first_row),
    sum(k.first_lines)::int
  from (
    select p.column_name,
      case when p.column_name = 'user_email' then lower(btrim(p.value)) else p.value end as value,
      p.row_count, p.first_row, p.first_lines
    from p
    where p.column_name in ('user_email', 'sku_code')
  ) as k
  group by k.column_name, k.value
$$;
revoke all on function import_private.batch_values(uuid) from public, anon, authenticated;

-- Records a refused batch's distinct values, one row per column (once: the values a row holds
-- never change after a refusal; a retry re-resolves keyed rows' ids, but they count by key).
create or replace function import_private.record_batch_values(p_batch_id uuid)
returns void
language sql
volatile
set search_path = ''
as $$
  insert into public.bulk_import_batch_values (
    batch_id, column_name, distinct_values, row_counts, first_rows, first_lines
  )
  -- One pass over the values, so the four arrays take them in the same order.
  select p_batch_id, v.column_name, array_agg(v.value), array_agg(v.row_count),
    array_agg(v.first_row), array_agg(v.first_lines)
  from import_private.batch_values(p_batch_id) as v
  where not exists (select 1 from public.bulk_import_batch_values o where o.batch_id = p_batch_id)
  group by v.column_name
  on conflict do nothing
$$;
revoke all on function import_private.record_batch_values(uuid) from public, anon, authenticated;

create or replace function import_private.commit_batch(p_batch_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
-- The usual commit reads the staged rows in file order and inserts them as they are. When it must
-- number a batch as a whole (a transaction spanning chunks), 100k staged rows are grouped in
-- memory instead of spilling to disk and joined by hash: the staged rows' estimates are guesses,
-- and a nested loop over 100k x 30k rows would run for minutes.
-- The usual inserts read the batch's staged rows in file order, the order of their primary key
-- (batch_id, row_number): with sorting off the planner walks that index instead of collecting the
-- rows by bitmap and sorting them, which at 1M rows spilled ~90 MB to disk (issue 14: the 100k
-- commit 3 % faster; a sort it cannot avoid, the whole-batch numbering below, still runs).
set work_mem = '64MB'
set enable_nestloop = off
set enable_sort = off
as $$
declare
  v_batch public.bulk_import_batches;
  v_staged int;
  v_complete boolean;
  v_errors int;
  v_report jsonb;
  v_purchases int;
  v_items int;
  v_state text;
  v_message text;
  v_detail text;
begin
  v_batch := import_private.find_batch(p_batch_id);
  -- Committing a failed batch again is a retry, which support staff may do; committing a new
  -- batch is part of importing.
  perform import_private.assert_access(
    v_batch.merchant_id,
    case when v_batch.status = 'failed' then 'retry' else 'commit' end
  );

  -- Concurrent commits of this batch queue here; the later ones then find it completed.
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id for update;
  if not found then
    -- Discarded (discard_batch) since find_batch read it.
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', p_batch_id);
  end if;
  if v_batch.status = 'completed' then
    return import_private.batch_json(v_batch, 100, 0);
  end if;
  if v_batch.status = 'cancelled' then
    raise exception using
      message = format('Batch %s was cancelled before its commit step: it imports nothing.',
        p_batch_id),
      hint = 'Open the file again and start a new import.';
  end if;
  -- An open batch (migrations/0012) has not been sealed: its file was not read to the end, or its
  -- totals never arrived, so nothing says its staged rows are the whole file.
  if v_batch.total_rows is null then
    raise exception using
      message = format(
        'Batch %s is still open: its file was not read to the end (it was never sealed with the '
        'file''s totals), so it cannot be committed. Nothing was imported.', p_batch_id
      ),
      hint = 'Import the file again, or cancel this batch.';
  end if;

  -- Every chunk's record is written with its rows, in one transaction. Staging counts into the
  -- chunk records only (it holds the batch row in share mode): the count is written to the batch
  -- row with the verdict below.
  v_staged := import_private.staged_row_count(p_batch_id);
  if v_staged <> v_batch.total_rows then
    raise exception using
      message = format('batch incomplete: %s of %s rows staged', v_staged, v_batch.total_rows),
      hint = 'Stage the missing chunks, then commit again.';
  end if;

  -- Two batches of one merchant may share a transaction number: serialise their commits per
  -- merchant, so the later one's check sees what the earlier one inserted (lock, then check).
  perform pg_advisory_xact_lock(
    hashtextextended('public.import_commit_batch:' || v_batch.merchant_id::text, 0)
  );

  -- Natural keys (sql/schema/03): under the lock, keys the preview left unresolved take today's
  -- answer; a retry re-resolves every key.
  perform import_private.resolve_staged_keys(
    p_batch_id, v_batch.merchant_id, v_batch.status = 'failed'
  );

  -- Whether staging's per-chunk ids and checks stand for the batch: asked once (the chunks'
  -- transaction lists; a scan of the batch's first lines if a chunk has none), for the check and
  -- the insert below.
  v_complete := import_private.chunks_complete(p_batch_id);

  -- The verdict of this commit replaces any earlier one (a retry of a failed batch).
  delete from public.bulk_import_batch_errors e where e.batch_id = p_batch_id;
  insert into public.bulk_import_batch_errors (
    batch_id, row_number, column_name, code, message, value
  )
  select p_batch_id, e.row_number, e.column_name, e.code, e.message, e.value
  from import_private.staged_errors(p_batch_id, v_complete) as e
  on conflict do nothing;
  get diagnostics v_errors = row_count;
  if v_errors > 0 then
    perform import_private.record_batch_values(p_batch_id);
    v_report := import_private.error_report(p_batch_id, false, 0, 0);
    update public.bulk_import_batches b
    set status = 'failed',
        staged_rows = v_staged,
        error_message = v_report ->> 'summary',
        error_summary = v_report -> 'causes',
        error_count = v_errors,
        imported_purchases = 0,
        imported_items = 0,
        completed_at = clock_timestamp()
    where b.id = p_batch_id
    returning b.* into v_batch;
    return import_private.batch_json(v_batch, 100, 0);
  end if;

  -- The block is a subtransaction: if the database refuses anything (a constraint, a trigger,
  -- a unique violation from a writer outside the import), every purchase of this batch is rolled
  -- back while the failed status below still commits.
  begin
    if v_complete then
      -- Ids, line numbers and sums were assigned per chunk at staging. File order, so
      -- change-data-capture consumers see purchases and items as the file lists them.
      insert into public.purchases (
        id, merchant_id, user_id, transaction_number, purchased_at, currency, total_amount,
        store_code, notes, import_batch_id
      )
      select
        s.purchase_id, v_batch.merchant_id, s.user_id, s.transaction_number, s.purchased_at,
        s.currency, coalesce(s.total_amount, s.items_sum), s.store_code, s.notes, p_batch_id
      from public.bulk_import_staged_rows s
      where s.batch_id = p_batch_id and s.line_number = 1
      order by s.row_number;
      get diagnostics v_purchases = row_count;

      insert into public.purchase_items (
        id, purchase_id, line_number, sku_id, quantity, unit_price, import_batch_id
      )
      select
        s.item_id, s.purchase_id, s.line_number, s.sku_id, s.quantity, s.unit_price, p_batch_id
      from public.bulk_import_staged_rows s
      where s.batch_id = p_batch_id
      order by s.row_number;
      get diagnostics v_items = row_count;
    else
      -- A transaction spans chunks (or rows were staged before ids were assigned there):
      -- number the batch as a whole. Each purchase takes its first row's id.
      with tx as materialized (
        select
          s.transaction_number,
          min(s.row_number) as first_row,
          sum(s.quantity::numeric * s.unit_price) as items_sum,
          coalesce(
            (array_agg(s.purchase_id order by s.row_number))[1], gen_random_uuid()
          ) as purchase_id
        from public.bulk_import_staged_rows s
        where s.batch_id = p_batch_id
        group by s.transaction_number
      ),
      new_purchases as (
        insert into public.purchases (
          id, merchant_id, user_id, transaction_number, purchased_at, currency, total_amount,
          store_code, notes, import_batch_id
        )
        select
          t.purchase_id, v_batch.merchant_id, f.user_id, f.transaction_number, f.purchased_at,
          f.currency, coalesce(f.total_amount, t.items_sum), f.store_code, f.notes, p_batch_id
        from tx t
        join public.bulk_import_staged_rows f
          on f.batch_id = p_batch_id and f.row_number = t.first_row
        order by t.first_row
        returning 1
      ),
      new_items as (
        insert into public.purchase_items (
          id, purchase_id, line_number, sku_id, quantity, unit_price, import_batch_id
        )
        select
          coalesce(s.item_id, gen_random_uuid()), t.purchase_id,
          row_number() over (
            partition by s.transaction_number collate "C" order by s.row_number
          ),
          s.sku_id, s.quantity, s.unit_price, p_batch_id
        from public.bulk_import_staged_rows s
        join tx t on t.transaction_number = s.transaction_number
        where s.batch_id = p_batch_id
        order by s.row_number
        returning 1
      )
      select (select count(*) from new_purchases)::int, (select count(*) from new_items)::int
      into v_purchases, v_items;
    end if;
  exception when others then
    get stacked diagnostics
      v_state = returned_sqlstate, v_message = message_text, v_detail = pg_exception_detail;
    insert into public.bulk_import_batch_errors (batch_id, row_number, code, message)
    values (
      p_batch_id, 0, 'conflict',
      format(
        'The database refused the batch: %s (SQLSTATE %s)%s',
        v_message, v_state, coalesce(' ' || nullif(v_detail, ''), '')
      )
    );
    perform import_private.record_batch_values(p_batch_id);
    update public.bulk_import_batches b
    set status = 'failed',
        staged_rows = v_staged,
        error_message = format('%s (SQLSTATE %s)', v_message, v_state),
        error_summary = import_private.error_report(p_batch_id, false, 0, 0) -> 'causes',
        error_count = 1,
        imported_purchases = 0,
        imported_items = 0,
        completed_at = clock_timestamp()
    where b.id = p_batch_id
    returning b.* into v_batch;
    return import_private.batch_json(v_batch, 100, 0);
  end;

  update public.bulk_import_batches b
  set status = 'completed',
      staged_rows = v_staged,
      error_message = null,
      error_summary = '[]'::jsonb,
      error_count = 0,
      imported_purchases = v_purchases,
      imported_items = v_items,
      completed_at = clock_timestamp()
  where b.id = p_batch_id
  returning b.* into v_batch;
  return import_private.batch_json(v_batch, 100, 0);
end;
$$;
-- One statement for the whole batch: through the API it must not stop at the 8 s Supabase gives
-- `authenticated`. PostgREST (12.2 and later) hoists this setting into the request's
-- transaction; 60 s is also the most Supabase's API lets one request run.
call import_private.expose('import_private.commit_batch(uuid)', p_statement_timeout => '60s');

-- Cancelling an import before its commit step. A cancelled batch is final: its staged rows are
-- dropped, it accepts no rows, and committing it is refused (History never offers to retry what
-- the user abandoned). A batch that already completed or failed is returned as it is, so the
-- caller learns what really happened.
create or replace function import_private.cancel_batch(p_batch_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_staged int;
begin
  v_batch := import_private.find_batch(p_batch_id);
  -- Whoever may start an import may abandon one; support retries failed batches but starts none.
  perform import_private.assert_access(v_batch.merchant_id, 'import');

  -- Staging and committing lock the batch too: a cancel waits for a running commit and then
  -- reports it completed, and a chunk that arrives after the cancel is refused.
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id for update;
  if not found then
    -- Discarded (discard_batch) since find_batch read it.
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', p_batch_id);
  end if;
  if v_batch.status <> 'pending' then
    return import_private.batch_json(v_batch, null, null);
  end if;

  -- What was staged, counted before the chunks' delete trigger removes their rows.
  v_staged := import_private.staged_row_count(p_batch_id);
  delete from public.bulk_import_staged_chunks c where c.batch_id = p_batch_id;
  update public.bulk_import_batches b
  set status = 'cancelled',
      staged_rows = v_staged,
      completed_at = clock_timestamp(),
      error_message = format(
        'Cancelled by %s before the commit step (%s); nothing was imported.',
        coalesce(import_private.current_actor(), 'the importer'),
        case
          when v_batch.total_rows is null then format(
            '%s rows staged, the file not read to the end', to_char(v_staged, 'FM999,999,999,990')
          )
          else format('%s of %s rows staged', to_char(v_staged, 'FM999,999,999,990'),
            to_char(v_batch.total_rows, 'FM999,999,999,990'))
        end
      )
  where b.id = p_batch_id
  returning b.* into v_batch;
  return import_private.batch_json(v_batch, null, null);
end;
$$;
call import_private.expose('import_private.cancel_batch(uuid)');

-- Sealing an open batch once its file has been read (migrations/0012): the file's totals and
-- SHA-256, accepted only when exactly that is staged — p_total_rows rows in p_chunk_count chunk
-- records numbered 0 to p_chunk_count - 1 — so a chunk lost on the way (or one too many) is refused
-- here instead of committing a short or padded file. Locks the batch row like the commit and the
-- cancel (staging holds it in share mode): the seal waits for chunks in flight, and a chunk
-- arriving after it meets the sealed totals. A resend of the same seal (a lost answer) returns the
-- batch as it is, whatever became of it since; a seal naming another file is refused as begin
-- refuses one key for two files.
-- p_name: the batch's name, when it is known only once the file is read (the app stages a file
-- while its admin reviews it, and the name is typed at Import); null keeps the name given at begin.
-- It is written by the seal that gives the totals; a resent seal changes nothing.
create or replace function import_private.seal_batch(
  p_batch_id uuid,
  p_total_rows integer,
  p_chunk_count integer,
  p_file_sha256 text,
  p_name text default null
)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_rows int;
  v_chunks int;
  v_first int;
  v_last int;
begin
  v_batch := import_private.find_batch(p_batch_id);
  perform import_private.assert_access(v_batch.merchant_id, 'import');
  if p_total_rows is null or p_chunk_count is null then
    raise exception using
      errcode = '22023',
      message = format('Sealing batch %s needs the total rows and the chunk count (got %s, %s).',
        p_batch_id, coalesce(p_total_rows::text, 'none'), coalesce(p_chunk_count::text, 'none'));
  end if;
  perform import_private.assert_batch_totals(p_total_rows, p_chunk_count);

  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id for update;
  if not found then
    -- Discarded since find_batch read it.
    raise exception using
      errcode = 'P0002',
      message = format('Import batch %s does not exist.', p_batch_id);
  end if;

  if v_batch.total_rows is not null then
    -- Sealed already (or begun with its totals): a resend, or another file. A value counts only
    -- where both sides know it, as at begin.
    if v_batch.total_rows <> p_total_rows or v_batch.chunk_count <> p_chunk_count
      or v_batch.file_sha256 <> p_file_sha256 then
      raise exception using
        message = format(
          'Batch %s was already sealed with a different file (%s rows in %s chunks, SHA-256 %s).',
          p_batch_id, v_batch.total_rows, coalesce(v_batch.chunk_count::text, 'unknown'),
          coalesce(v_batch.file_sha256, 'none')
        ),
        hint = 'A batch holds one file: import another file as a new batch.';
    end if;
    return import_private.batch_json(v_batch, null, null);
  end if;

  if v_batch.status <> 'pending' then
    raise exception using
      message = format('Batch %s is %s: only a pending batch can be sealed.',
        p_batch_id, v_batch.status),
      hint = 'Import the file again as a new batch.';
  end if;
  if v_batch.file_sha256 <> p_file_sha256 then
    raise exception using
      message = format(
        'Batch %s was begun for the file with SHA-256 %s, not %s: it cannot be sealed with '
        'another file.', p_batch_id, v_batch.file_sha256, p_file_sha256
      ),
      hint = 'Import the file again as a new batch.';
  end if;

  -- What is staged. The batch row's lock keeps it still: chunks stage under a share lock of it.
  select coalesce(sum(c.row_count), 0)::int, count(*)::int, min(c.chunk_no), max(c.chunk_no)
  into v_rows, v_chunks, v_first, v_last
  from public.bulk_import_staged_chunks c
  where c.batch_id = p_batch_id;
  if v_rows <> p_total_rows then
    raise exception using
      message = format(
        'Batch %s cannot be sealed: %s rows are staged, but the file has %s.',
        p_batch_id, v_rows, p_total_rows
      ),
      hint = 'Stage the missing chunks, then seal again; or import the file again.';
  end if;
  -- Chunk numbers are distinct (the chunks' key): n of them lie in 0 to n - 1 only if they are
  -- exactly those.
  if v_chunks <> p_chunk_count or (v_chunks > 0 and (v_first <> 0 or v_last <> v_chunks - 1)) then
    raise exception using
      message = format(
        'Batch %s cannot be sealed: %s chunks are staged (numbers %s), but the file has %s '
        '(numbers 0 to %s).',
        p_batch_id, v_chunks,
        case when v_chunks = 0 then 'none' else format('%s to %s', v_first, v_last) end,
        p_chunk_count, p_chunk_count - 1
      ),
      hint = 'Stage the missing chunks, then seal again; or import the file again.';
  end if;

  update public.bulk_import_batches b
  set total_rows = p_total_rows,
      chunk_count = p_chunk_count,
      file_sha256 = coalesce(p_file_sha256, b.file_sha256),
      batch_name = coalesce(p_name, b.batch_name)
  where b.id = p_batch_id
  returning b.* into v_batch;
  return import_private.batch_json(v_batch, null, null);
end;
$$;
call import_private.expose('import_private.seal_batch(uuid, integer, integer, text, text)');

-- Discarding an open batch as if it had never been begun: its file was refused on its own rows
-- after staging had started (staging overlaps the parse), and a refused file writes nothing. The
-- batch row goes with everything that hangs off it: staged rows, chunk records, errors and
-- recorded values (every table with a batch_id; an open batch was never committed, so no purchase
-- names it), and its idempotency key is free again. Only its creator may (a colleague's import is
-- cancelled, which History keeps); a sealed batch is cancelled instead. A resend after the
-- batch is gone answers discarded false, as does any id the caller cannot see: another merchant's
-- batch ids stay unprobeable.
create or replace function import_private.discard_batch(p_batch_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
  v_gone jsonb := jsonb_build_object('discarded', false, 'batchId', p_batch_id);
begin
  begin
    v_batch := import_private.find_batch(p_batch_id);
  exception when no_data_found then
    -- Gone, or not the caller's to see: the same answer. Still only for a signed-in caller (or a
    -- trusted one): anon and claims from other sessions are refused here.
    perform import_private.assert_access(null, 'list_merchants');
    return v_gone;
  end;
  perform import_private.assert_access(v_batch.merchant_id, 'import');

  -- Serialises with staging (share), the seal, the commit and the cancel (for update); a second
  -- discard waiting here finds the row gone.
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id for update;
  if not found then
    return v_gone;
  end if;
  if v_batch.created_by is distinct from import_private.current_actor() then
    raise exception using
      errcode = '42501',
      message = format('Only %s, who began batch %s, may discard it.',
        coalesce(v_batch.created_by, 'its creator'), p_batch_id),
      hint = 'Cancel it instead (import_cancel_batch): History keeps a cancelled batch.';
  end if;
  if v_batch.status <> 'pending' then
    raise exception using
      message = format('Batch %s is %s: only an open pending batch can be discarded.',
        p_batch_id, v_batch.status);
  end if;
  if v_batch.total_rows is not null then
    raise exception using
      message = format('Batch %s is sealed: it is cancelled, not discarded.', p_batch_id),
      hint = 'Cancel it with import_cancel_batch.';
  end if;

  perform import_private.delete_open_batch(p_batch_id);
  return jsonb_build_object('discarded', true, 'batchId', p_batch_id);
end;
$$;
call import_private.expose('import_private.discard_batch(uuid)');

-- A chunk's rows go with it (they hold no foreign key to it: see migrations/0002).
create or replace function import_private.delete_staged_chunk_rows()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  delete from public.bulk_import_staged_rows s
  using gone g
  where s.batch_id = g.batch_id and s.chunk_no = g.chunk_no;
  return null;
end;
$$;

drop trigger if exists bulk_import_staged_chunks_delete_rows on public.bulk_import_staged_chunks;
create trigger bulk_import_staged_chunks_delete_rows
  after delete on public.bulk_import_staged_chunks
  referencing old table as gone
  for each statement
  execute function import_private.delete_staged_chunk_rows();
revoke all on function import_private.delete_staged_chunk_rows() from public, anon, authenticated;

-- import_commit_batch serves both a new import (operator, admin) and a retry of a failed batch
-- (support, admin); which one it is shows only once the batch is locked. This guard checks the
-- status change itself, so whichever function moves a batch out of pending or failed, the
-- caller must hold the matching permission; a refusal rolls the whole commit back.
create or replace function import_private.guard_batch_status()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  perform import_private.assert_access(
    new.merchant_id,
    case when old.status = 'failed' then 'retry' else 'commit_pending' end
  );
  return new;
end;
$$;

drop trigger if exists bulk_import_batches_guard_status on public.bulk_import_batches;
create trigger bulk_import_batches_guard_status
  before update on public.bulk_import_batches
  for each row
  -- also a failed batch that fails again (its errors are rewritten): that is a retry too
  when (old.status is distinct from new.status or old.status = 'failed')
  execute function import_private.guard_batch_status();

revoke all on function import_private.guard_batch_status() from public, anon, authenticated;
