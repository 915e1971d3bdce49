import { useEffect, useState } from 'react';
import type { PickOption } from '../../../../../shared/ipc/contract';
import { api, errorMessage } from '../../../lib/api';
import { Modal } from '../../../lib/Modal';
import { useImportStore } from '../store';

/** Replace one value in every row; for users and SKUs, pick from the merchant's own. */
export function ReplaceDialog(): React.JSX.Element | null {
  const replace = useImportStore((s) => s.replace);
  const busy = useImportStore((s) => s.busy);
  const replaceClosed = useImportStore((s) => s.replaceClosed);
  const valueReplaced = useImportStore((s) => s.valueReplaced);
  const column = replace?.column;
  const kind =
    column === 'sku_id' || column === 'sku_code'
      ? 'sku'
      : column === 'user_id' || column === 'user_email'
        ? 'user'
        : null;
  // A natural-key column (issue 13) gets the chosen member's e-mail or SKU's code, not its UUID.
  const byKey = column === 'user_email' || column === 'sku_code';
  const valueOf = (o: PickOption): string | null => (byKey ? o.detail : o.id);
  const [search, setSearch] = useState('');
  const [options, setOptions] = useState<PickOption[]>([]);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [to, setTo] = useState('');

  useEffect(() => {
    if (!kind) return;
    let live = true;
    const timer = setTimeout(() => {
      api()
        .importPickList({ kind, search })
        .then((r) => {
          if (!live) return;
          setOptions(r.options);
          setLoadError(null);
        })
        .catch((error: unknown) => live && setLoadError(errorMessage(error)));
    }, 150);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [kind, search]);

  if (!replace) return null;
  const noun = kind === 'sku' ? 'SKU' : kind === 'user' ? 'member' : 'value';

  return (
    <Modal labelledBy="replace-title" onClose={replaceClosed}>
      <h2 id="replace-title">Replace everywhere</h2>
      <p>
        Every row whose <code>{replace.column}</code> is{' '}
        <code className="value">{replace.from || '(empty)'}</code> gets the {noun} you choose. Undo
        reverts all of them at once.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (to.trim() !== '' || replace.column === 'notes' || replace.column === 'store_code') {
            void valueReplaced(replace.column, replace.from, to);
          }
        }}
      >
        {kind ? (
          <>
            <label className="field">
              <span className="field-label">
                Search the merchant’s {kind === 'sku' ? 'SKUs' : 'members'}
              </span>
              <input
                autoFocus
                type="search"
                value={search}
                onChange={(e) => setSearch(e.target.value)}
                placeholder={kind === 'sku' ? 'Name or code' : 'E-mail or name'}
              />
            </label>
            {loadError && <p className="field-error">{loadError}</p>}
            <div className="pick-list" role="radiogroup" aria-label={`${noun} to use`}>
              {options.length === 0 && !loadError && (
                <p className="muted">Nothing matches “{search}”.</p>
              )}
              {options.map((o) => {
                const value = valueOf(o);
                return (
                  <label
                    key={o.id}
                    className={`pick ${value !== null && to === value ? 'pick--chosen' : ''}`}
                  >
                    <input
                      type="radio"
                      name="pick"
                      value={value ?? ''}
                      disabled={value === null}
                      checked={value !== null && to === value}
                      onChange={() => value !== null && setTo(value)}
                    />
                    <span className="pick-label">{o.label}</span>
                    {o.detail && <span className="pick-detail">{o.detail}</span>}
                    <code className="pick-id">{o.id}</code>
                  </label>
                );
              })}
            </div>
          </>
        ) : (
          <label className="field">
            <span className="field-label">New value</span>
            <input autoFocus value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
        )}
        <div className="actions">
          <button type="button" className="button" onClick={replaceClosed}>
            Cancel
          </button>
          <button
            type="submit"
            className="button button--primary"
            disabled={busy || (kind !== null && to === '')}
          >
            Replace everywhere
          </button>
        </div>
      </form>
    </Modal>
  );
}
