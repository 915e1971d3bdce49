-- The one place every import function asks "may the caller do this for this merchant?".
-- For now it allows everything; operator roles come later and only this function changes.
-- p_action: 'check' | 'import' | 'commit' | 'retry' (commit of a failed batch) | 'read' |
-- 'list_merchants'. p_merchant_id is null
-- for actions that are not about one merchant. Safe to re-run.

create or replace function public.import_assert_access(p_merchant_id uuid, p_action text)
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if p_action is null then
    raise exception 'import_assert_access: an action is required';
  end if;
  -- Intentionally permissive until operator authorization lands.
  perform p_merchant_id;
end;
$$;
