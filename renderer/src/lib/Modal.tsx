import { useEffect, useRef, useState } from 'react';

// A modal dialog that keeps the keyboard inside it (Tab and Shift+Tab cycle through its
// controls), closes on Escape, and gives the focus back when it closes: to the control that
// opened it, or, when that control is gone (the fix removed it), to `fallbackFocus`.

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

export function Modal({
  labelledBy,
  describedBy,
  onClose,
  fallbackFocus = '#grid, .grid-empty button, #row-filter',
  className = '',
  children,
}: {
  labelledBy: string;
  describedBy?: string;
  onClose(): void;
  /** A selector to focus when the opener is no longer on the page. */
  fallbackFocus?: string;
  className?: string;
  children: React.ReactNode;
}): React.JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  // Read while rendering, before autoFocus inside the dialog moves the focus.
  const [opener] = useState(() => document.activeElement as HTMLElement | null);

  useEffect(() => {
    const dialog = ref.current;
    // autoFocus inside the dialog wins; otherwise the first control gets the focus.
    if (dialog && !dialog.contains(document.activeElement)) {
      dialog.querySelector<HTMLElement>(FOCUSABLE)?.focus();
    }
    return () => {
      // After React removed the dialog: the opener may have been re-rendered away meanwhile.
      const restore = (): void => {
        if (opener && opener.isConnected && opener !== document.body) opener.focus();
        else document.querySelector<HTMLElement>(fallbackFocus)?.focus();
      };
      setTimeout(restore, 0);
      // The fix may re-render the screen a moment later (the grid gives way to its empty
      // state): if the focus fell to the page, put it back once more.
      setTimeout(() => {
        if (document.activeElement === document.body || document.activeElement === null) restore();
      }, 300);
    };
  }, [fallbackFocus, opener]);

  const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>): void => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onClose();
      return;
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => el.offsetParent !== null || el === document.activeElement,
    );
    if (items.length === 0) {
      event.preventDefault();
      return;
    }
    const first = items[0] as HTMLElement;
    const last = items.at(-1) as HTMLElement;
    const index = items.indexOf(document.activeElement as HTMLElement);
    if (event.shiftKey && (index <= 0 || document.activeElement === first)) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && (index === -1 || document.activeElement === last)) {
      event.preventDefault();
      first.focus();
    }
  };

  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        className={`modal ${className}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={labelledBy}
        aria-describedby={describedBy}
        onKeyDown={onKeyDown}
      >
        {children}
      </div>
    </div>
  );
}
