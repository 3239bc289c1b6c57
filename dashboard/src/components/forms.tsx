import { type FormEvent, type ReactNode, useState } from 'react';
import { Modal } from './Modal';
import { ErrorBanner } from './ui';

/** A modal form: runs `submit`, shows the API's error inside the dialog, closes on success. */
export function FormModal({
  title,
  submitLabel,
  onClose,
  submit,
  children,
  danger = false,
  disabled = false,
  size,
}: {
  title: string;
  submitLabel: string;
  onClose(): void;
  submit(): Promise<void>;
  children: ReactNode;
  danger?: boolean;
  disabled?: boolean;
  size?: 'normal' | 'wide';
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const formId = `form-${title.replace(/\W+/g, '-').toLowerCase()}`;
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await submit();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      size={size}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form={formId}
            className={`button ${danger ? 'button-danger' : 'button-primary'}`}
            disabled={busy || disabled}
          >
            {busy ? 'Working…' : submitLabel}
          </button>
        </>
      }
    >
      <form id={formId} onSubmit={onSubmit} noValidate={false}>
        <ErrorBanner error={error} />
        {children}
      </form>
    </Modal>
  );
}

export function TextInput({
  id,
  label,
  value,
  onChange,
  required,
  hint,
  autoFocus,
  type = 'text',
  placeholder,
  autoComplete,
  maxLength,
  error,
}: {
  id: string;
  label: string;
  value: string;
  onChange(v: string): void;
  required?: boolean;
  hint?: ReactNode;
  autoFocus?: boolean;
  type?: string;
  placeholder?: string;
  autoComplete?: string;
  /** Checked by the browser as the user types (the API's own bound). */
  maxLength?: number;
  /** A plain-language problem with this field, shown under it. */
  error?: string;
}) {
  const describedBy = [hint && `${id}-hint`, error && `${id}-error`].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {!required && <span className="optional"> (optional)</span>}
      </label>
      <input
        id={id}
        type={type}
        value={value}
        required={required}
        data-autofocus={autoFocus || undefined}
        placeholder={placeholder}
        autoComplete={autoComplete ?? 'off'}
        maxLength={maxLength}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => onChange(e.target.value)}
      />
      {error && (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      )}
      {hint && (
        <p className="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
}

export function TextArea({
  id,
  label,
  value,
  onChange,
  maxLength,
}: {
  id: string;
  label: string;
  value: string;
  onChange(v: string): void;
  maxLength?: number;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        <span className="optional"> (optional)</span>
      </label>
      <textarea id={id} rows={3} value={value} maxLength={maxLength} onChange={(e) => onChange(e.target.value)} />
    </div>
  );
}

export function Checkbox({
  label,
  checked,
  onChange,
  hint,
  id,
}: {
  label: ReactNode;
  checked: boolean;
  onChange(v: boolean): void;
  hint?: ReactNode;
  id: string;
}) {
  return (
    <div className="check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChange(e.target.checked)} />
      <label htmlFor={id}>
        {label}
        {hint && <span className="hint">{hint}</span>}
      </label>
    </div>
  );
}

export function ConfirmModal({
  title,
  children,
  confirmLabel,
  onClose,
  onConfirm,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onClose(): void;
  onConfirm(): Promise<void>;
}) {
  return (
    <FormModal title={title} submitLabel={confirmLabel} onClose={onClose} submit={onConfirm} danger>
      {children}
    </FormModal>
  );
}
