import { useState } from 'react';
import { useConnectionStore } from '../store';

export function SignInForm(): React.JSX.Element {
  const state = useConnectionStore((s) => s.state);
  const busy = useConnectionStore((s) => s.busy);
  const signInSubmitted = useConnectionStore((s) => s.signInSubmitted);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  return (
    <form
      className="sign-in"
      aria-label="Sign in"
      onSubmit={(e) => {
        e.preventDefault();
        void signInSubmitted(email, password).then(() => setPassword(''));
      }}
    >
      <p>
        Sign in to <strong>{state?.label}</strong> with your staff e-mail and password. Your role
        per merchant decides what you can do.
      </p>
      {state?.error && (
        <p className="callout callout--error" role="alert">
          {state.error}
        </p>
      )}
      <label className="field">
        <span className="field-label">E-mail</span>
        <input
          type="email"
          autoComplete="username"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          required
        />
      </label>
      <label className="field">
        <span className="field-label">Password</span>
        <input
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </label>
      <button type="submit" className="button button--primary" disabled={busy}>
        Sign in
      </button>
    </form>
  );
}
