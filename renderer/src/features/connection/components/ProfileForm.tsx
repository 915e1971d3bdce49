import { useState } from 'react';
import type { Profile } from '../../../../../shared/ipc/contract';
import { useConnectionStore } from '../store';

interface Props {
  kind: 'postgres' | 'supabase';
  profile: Profile | null;
  onDone(): void;
}

/** Add or edit a PostgreSQL or Supabase profile. Secrets go to main and never come back. */
export function ProfileForm({ kind, profile, onDone }: Props): React.JSX.Element {
  const profileSaved = useConnectionStore((s) => s.profileSaved);
  const busy = useConnectionStore((s) => s.busy);
  const [name, setName] = useState(
    profile?.name ?? (kind === 'postgres' ? 'PostgreSQL' : 'Supabase'),
  );
  const [connectionString, setConnectionString] = useState('');
  const [url, setUrl] = useState(profile?.supabaseUrl ?? '');
  const [anonKey, setAnonKey] = useState(profile?.supabaseAnonKey ?? '');

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const saved =
      kind === 'postgres'
        ? await profileSaved({
            kind,
            name,
            ...(profile ? { id: profile.id } : {}),
            ...(connectionString.trim() ? { connectionString } : {}),
          })
        : await profileSaved({ kind, name, url, anonKey, ...(profile ? { id: profile.id } : {}) });
    if (saved) onDone();
  };

  return (
    <form
      className="profile-form"
      onSubmit={(e) => void submit(e)}
      aria-label={`${kind === 'postgres' ? 'PostgreSQL' : 'Supabase'} profile`}
    >
      <h3 className="form-title">
        {profile ? 'Edit' : 'New'} {kind === 'postgres' ? 'PostgreSQL' : 'Supabase'} profile
      </h3>
      <label className="field">
        <span className="field-label">Name</span>
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
      </label>
      {kind === 'postgres' ? (
        <label className="field">
          <span className="field-label">Connection string</span>
          <input
            type="password"
            autoComplete="off"
            value={connectionString}
            onChange={(e) => setConnectionString(e.target.value)}
            placeholder={
              profile
                ? 'Leave empty to keep the stored one'
                : 'postgresql://user:password@host:5432/database?sslmode=verify-full'
            }
            required={!profile}
          />
          <span className="field-hint">
            Kept encrypted by the operating system’s keychain, in the main process only. Without a
            keychain it is kept until the app quits. A database on another computer is reached over
            TLS with its certificate verified (sslmode=verify-full) unless the string sets its own
            sslmode; add sslrootcert=/path/to/ca.pem for a private certificate authority.
          </span>
        </label>
      ) : (
        <>
          <label className="field">
            <span className="field-label">Project URL</span>
            <input
              type="url"
              value={url}
              onChange={(e) => setUrl(e.target.value)}
              placeholder="https://your-project.supabase.co"
              required
            />
            <span className="field-hint">
              https:// only (http:// for a Supabase on this computer). Changing the URL or the key
              signs you out of this profile.
            </span>
          </label>
          <label className="field">
            <span className="field-label">Publishable (anon) key</span>
            <input
              value={anonKey}
              onChange={(e) => setAnonKey(e.target.value)}
              required
              minLength={20}
            />
            <span className="field-hint">
              The public key only: it grants nothing until a staff member signs in. Never enter a
              service-role key here.
            </span>
          </label>
        </>
      )}
      <div className="actions">
        <button type="button" className="button" onClick={onDone}>
          Cancel
        </button>
        <button type="submit" className="button button--primary" disabled={busy}>
          Save profile
        </button>
      </div>
    </form>
  );
}
