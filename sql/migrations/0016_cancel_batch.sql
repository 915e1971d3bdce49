-- Cancelling an import before its commit step. Without this, a cancelled run left its batch
-- pending with every chunk staged, and History offered to retry it: one click would import what
-- the user had cancelled. A cancelled batch is final: its staged rows are dropped, it accepts no
-- rows, and committing it is refused. Safe to re-run.

do $$
begin
  if not exists (
    select 1
    from pg_catalog.pg_constraint c
    where c.conname = 'bulk_import_batches_status_check'
      and c.conrelid = 'public.bulk_import_batches'::regclass
      and pg_catalog.pg_get_constraintdef(c.oid) like '%cancelled%'
  ) then
    alter table public.bulk_import_batches
      drop constraint if exists bulk_import_batches_status_check;
    alter table public.bulk_import_batches
      add constraint bulk_import_batches_status_check
      check (status in ('pending', 'validating', 'processing', 'completed', 'failed', 'cancelled'));
  end if;
end;
$$;

-- Cancels a pending batch; a batch that already completed or failed is returned as it is, so the
-- caller learns what really happened (the commit won the race, or the batch is support's now).
create or replace function public.import_cancel_batch(p_batch_id uuid)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_batch public.bulk_import_batches;
begin
  v_batch := public.import_find_batch(p_batch_id);
  -- Whoever may start an import may abandon one; support retries failed batches but starts none.
  perform public.import_assert_access(v_batch.merchant_id, 'import');

  -- Staging and committing lock the batch too: a cancel waits for a running commit and then
  -- reports it completed, and a chunk that arrives after the cancel is refused.
  select b.* into v_batch from public.bulk_import_batches b where b.id = p_batch_id for update;
  if v_batch.status <> 'pending' then
    return public.import_batch_json(v_batch, false);
  end if;

  -- The chunks' delete trigger removes their rows.
  delete from public.bulk_import_staged_chunks c where c.batch_id = p_batch_id;
  update public.bulk_import_batches b
  set status = 'cancelled',
      completed_at = now(),
      error_message = format(
        'Cancelled by %s before the commit step (%s of %s rows staged); nothing was imported.',
        coalesce(public.import_current_actor(), 'the importer'),
        to_char(v_batch.staged_rows, 'FM999,999,999,990'),
        to_char(v_batch.total_rows, 'FM999,999,999,990')
      )
  where b.id = p_batch_id
  returning b.* into v_batch;
  return public.import_batch_json(v_batch, false);
end;
$$;

do $$
declare
  v_role text;
begin
  revoke all on function public.import_cancel_batch(uuid) from public;
  foreach v_role in array array['anon', 'authenticated', 'service_role'] loop
    if exists (select 1 from pg_catalog.pg_roles r where r.rolname = v_role) then
      if v_role = 'anon' then
        execute format('revoke all on function public.import_cancel_batch(uuid) from %I', v_role);
      else
        execute format('grant execute on function public.import_cancel_batch(uuid) to %I', v_role);
      end if;
    end if;
  end loop;
end;
$$;
