import { useToastStore } from '../../../lib/toasts';

export function Toasts(): React.JSX.Element {
  const toasts = useToastStore((s) => s.toasts);
  const dismissed = useToastStore((s) => s.toastDismissed);
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((t) => (
        <div
          key={t.id}
          className={`toast toast--${t.kind}`}
          role={t.kind === 'error' ? 'alert' : 'status'}
        >
          <span>{t.text}</span>
          <button
            type="button"
            className="toast-close"
            aria-label="Dismiss"
            onClick={() => dismissed(t.id)}
          >
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
