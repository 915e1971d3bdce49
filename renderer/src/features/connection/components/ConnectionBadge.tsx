import { roleLabel, useConnectionStore } from '../store';

/** Where the app is connected, always visible in the header; a click opens the Connection screen. */
export function ConnectionBadge({
  onOpen,
}: {
  /** Shows the Connection screen (the app's navigation). */
  onOpen(): void;
}): React.JSX.Element {
  const state = useConnectionStore((s) => s.state);
  const status = state?.status ?? 'disconnected';
  const merchant = state?.merchants.find((m) => m.id === state.merchantId);
  const text =
    status === 'connected'
      ? `${state?.profileName ?? ''} · ${merchant?.name ?? 'no merchant'}`
      : status === 'connecting'
        ? `Connecting to ${state?.profileName ?? '…'}`
        : status === 'needs-sign-in'
          ? 'Sign in needed'
          : status === 'failed'
            ? 'Not connected'
            : 'Not connected';
  return (
    <button
      type="button"
      className={`badge badge--${status}`}
      onClick={onOpen}
      title="Connection and merchant"
    >
      <span className="badge-dot" aria-hidden="true" />
      <span className="badge-text">{text}</span>
      {status === 'connected' && <span className="badge-role">{roleLabel(state)}</span>}
    </button>
  );
}
