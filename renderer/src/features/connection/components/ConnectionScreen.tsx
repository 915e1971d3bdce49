import { useState } from 'react';
import type { Profile } from '../../../../../shared/ipc/contract';
import { roleLabel, useConnectionStore } from '../store';
import { ProfileForm } from './ProfileForm';
import { SignInForm } from './SignInForm';

const KIND_LABEL: Record<Profile['kind'], string> = {
  sandbox: 'Sandbox',
  environment: 'PostgreSQL (environment)',
  postgres: 'PostgreSQL',
  supabase: 'Supabase',
};

export function ConnectionScreen(): React.JSX.Element {
  const state = useConnectionStore((s) => s.state);
  const profiles = useConnectionStore((s) => s.profiles);
  const busy = useConnectionStore((s) => s.busy);
  const error = useConnectionStore((s) => s.error);
  const profileChosen = useConnectionStore((s) => s.profileChosen);
  const profileDeleted = useConnectionStore((s) => s.profileDeleted);
  const merchantChosen = useConnectionStore((s) => s.merchantChosen);
  const signOutRequested = useConnectionStore((s) => s.signOutRequested);
  const [form, setForm] = useState<{
    kind: 'postgres' | 'supabase';
    profile: Profile | null;
  } | null>(null);

  const connected = state?.status === 'connected';
  const activeId = state?.profileId ?? null;

  return (
    <div className="screen connection-screen">
      <section className="panel" aria-labelledby="current-heading">
        <h1 id="current-heading" className="panel-title">
          Connection
        </h1>
        {state?.status === 'connecting' && (
          <p className="status-line" role="status">
            <span className="spinner" aria-hidden="true" /> Connecting to {state.profileName}… The
            sandbox takes a few seconds on its first start.
          </p>
        )}
        {state?.status === 'failed' && (
          <div className="callout callout--error" role="alert">
            <strong>Could not connect to {state.profileName}.</strong> {state.error}
          </div>
        )}
        {state?.status === 'needs-sign-in' && <SignInForm />}
        {connected && state && (
          <div className="connection-summary">
            <dl className="facts">
              <div>
                <dt>Database</dt>
                <dd>
                  {state.profileName} <span className="muted">({state.label})</span>
                </dd>
              </div>
              <div>
                <dt>Signed in as</dt>
                <dd>{state.who}</dd>
              </div>
              <div>
                <dt>Role</dt>
                <dd>{roleLabel(state) || '—'}</dd>
              </div>
            </dl>
            <label className="field">
              <span className="field-label">Merchant</span>
              <select
                id="merchant-select"
                value={state.merchantId ?? ''}
                onChange={(e) => void merchantChosen(e.target.value)}
                disabled={busy || state.merchants.length === 0}
              >
                {state.merchants.length === 0 && <option value="">No merchants available</option>}
                {state.merchants.map((m) => (
                  <option key={m.id} value={m.id}>
                    {m.name}
                    {m.role ? ` (${m.role})` : ''}
                  </option>
                ))}
              </select>
              <span className="field-hint">
                Imports, previews and history always belong to the merchant chosen here.
              </span>
            </label>
            {state.error && <p className="callout callout--warning">{state.error}</p>}
            {state.kind === 'supabase' && (
              <button type="button" className="button" onClick={() => void signOutRequested()}>
                Sign out
              </button>
            )}
          </div>
        )}
        {error && (
          <div className="callout callout--error" role="alert">
            {error}
          </div>
        )}
      </section>

      <section className="panel" aria-labelledby="profiles-heading">
        <div className="panel-head">
          <h2 id="profiles-heading" className="panel-title">
            Profiles
          </h2>
          <div className="actions">
            <button
              type="button"
              className="button"
              onClick={() => setForm({ kind: 'postgres', profile: null })}
            >
              Add PostgreSQL…
            </button>
            <button
              type="button"
              className="button"
              onClick={() => setForm({ kind: 'supabase', profile: null })}
            >
              Add Supabase…
            </button>
          </div>
        </div>
        <ul className="profile-list">
          {profiles.map((p) => (
            <li key={p.id} className={`profile ${p.id === activeId ? 'profile--active' : ''}`}>
              <div className="profile-main">
                <span className="profile-name">{p.name}</span>
                <span className="profile-kind">{KIND_LABEL[p.kind]}</span>
                <span className="muted profile-label">{p.label}</span>
                {p.kind === 'postgres' && !p.hasSecret && (
                  <span className="tag tag--warning">connection string not stored</span>
                )}
                {p.warning && (
                  <span className="tag tag--warning" role="note" title={p.warning}>
                    {p.warning}
                  </span>
                )}
              </div>
              <div className="actions">
                {(p.kind === 'postgres' || p.kind === 'supabase') && (
                  <>
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() =>
                        setForm({ kind: p.kind as 'postgres' | 'supabase', profile: p })
                      }
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className="button button--quiet"
                      onClick={() => {
                        if (window.confirm(`Delete the profile “${p.name}”?`))
                          void profileDeleted(p.id);
                      }}
                    >
                      Delete
                    </button>
                  </>
                )}
                <button
                  type="button"
                  className={p.id === activeId && connected ? 'button' : 'button button--primary'}
                  disabled={busy}
                  onClick={() => void profileChosen(p.id)}
                >
                  {p.id === activeId && connected ? 'Reconnect' : 'Connect'}
                </button>
              </div>
            </li>
          ))}
        </ul>
        {form && (
          <ProfileForm kind={form.kind} profile={form.profile} onDone={() => setForm(null)} />
        )}
      </section>
    </div>
  );
}
