import { type ReactNode, useEffect, useId, useRef } from 'react';

interface Props {
  title: string;
  onClose(): void;
  children: ReactNode;
  /** Buttons, right-aligned under the body. */
  footer?: ReactNode;
  /** Esc and the backdrop do not close it (the one-time secret must be acknowledged explicitly). */
  dismissible?: boolean;
  size?: 'normal' | 'wide';
}

/**
 * A modal built on <dialog>: the browser traps focus and makes the page inert; Esc closes it.
 * Focus goes back to whatever opened it.
 */
export function Modal({ title, onClose, children, footer, dismissible = true, size = 'normal' }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const closeRef = useRef(onClose);
  closeRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    const opener = document.activeElement as HTMLElement | null;
    if (dialog && !dialog.open) dialog.showModal();
    // Start in the first field rather than on the header's Close button.
    dialog?.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    return () => {
      dialog?.close();
      opener?.focus?.();
    };
  }, []);

  return (
    <dialog
      ref={ref}
      className={`modal modal-${size}`}
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        if (dismissible) closeRef.current();
      }}
    >
      <div className="modal-head">
        <h2 id={titleId}>{title}</h2>
        {dismissible && (
          <button type="button" className="icon-button" aria-label="Close" onClick={() => closeRef.current()}>
            ×
          </button>
        )}
      </div>
      <div className="modal-body">{children}</div>
      {footer && <div className="modal-foot">{footer}</div>}
    </dialog>
  );
}
