import { useEffect, useState } from 'react';

/**
 * Toasts: a short confirmation after every create, edit, revoke, delete, rename and reset.
 * Call `toast('Access key revoked')` from anywhere (no hook needed); <Toaster /> (mounted once in
 * the app shell) shows them in a polite live region and drops each after a few seconds.
 */
export type ToastTone = 'success' | 'error' | 'info';

interface ToastItem {
  id: number;
  message: string;
  tone: ToastTone;
}

type Listener = (items: ToastItem[]) => void;

let items: ToastItem[] = [];
let nextId = 1;
const listeners = new Set<Listener>();
const SHOW_MS = 5000;

function emit() {
  for (const l of listeners) l(items);
}

export function dismissToast(id: number) {
  items = items.filter((t) => t.id !== id);
  emit();
}

export function toast(message: string, tone: ToastTone = 'success'): void {
  const id = nextId++;
  items = [...items.slice(-3), { id, message, tone }];
  emit();
  setTimeout(() => dismissToast(id), SHOW_MS);
}

export function Toaster() {
  const [shown, setShown] = useState<ToastItem[]>(items);
  useEffect(() => {
    listeners.add(setShown);
    return () => {
      listeners.delete(setShown);
    };
  }, []);
  return (
    <div className="toaster" role="status" aria-live="polite">
      {shown.map((t) => (
        <div key={t.id} className={`toast toast-${t.tone}`} data-testid="toast">
          <span>{t.message}</span>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
