import { createContext, type FormEvent, type ReactNode, useContext, useRef, useState } from 'react';
import { Modal } from './Modal';
import { ErrorBanner, validationIssues } from './ui';

/**
 * The limits the API checks (src/http/schemas.ts), by body field: inputs get them as
 * maxLength/minLength so the browser stops the user before the server refuses.
 */
export const API_LIMITS: Record<string, { min?: number; max: number }> = {
  name: { max: 100 },
  description: { max: 1000 },
  email: { max: 254 },
  password: { min: 10, max: 200 },
  url: { max: 2048 },
};

/** The body field an input stands for: its `field` prop, or the last part of its id (`user-password` → `password`). */
const fieldOf = (id: string, field?: string) => field ?? id.split('-').pop() ?? id;

interface FieldErrorsState {
  errors: Record<string, string>;
  clear(field: string): void;
}
const FieldErrors = createContext<FieldErrorsState>({ errors: {}, clear() {} });

/** Shown in the banner when every problem is already told next to its field. */
class FieldsNeedAttention extends Error {
  constructor() {
    super('Some fields need attention: see the messages next to them.');
    this.name = 'FormCheckError';
  }
}

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
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const formRef = useRef<HTMLFormElement>(null);
  const formId = `form-${title.replace(/\W+/g, '-').toLowerCase()}`;
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      await submit();
    } catch (err) {
      // The API's VALIDATION_FAILED issues go next to their fields when the form has them.
      const form = formRef.current;
      const issues = validationIssues(err);
      const placed: Record<string, string> = {};
      for (const i of issues) {
        if (!placed[i.field] && form?.querySelector(`[data-field="${CSS.escape(i.field)}"]`)) placed[i.field] = i.message;
      }
      const all = issues.length > 0 && issues.every((i) => placed[i.field]);
      setFieldErrors(placed);
      setError(all ? new FieldsNeedAttention() : err);
      setBusy(false);
      const first = Object.keys(placed)[0];
      if (first) requestAnimationFrame(() => form?.querySelector<HTMLElement>(`[data-field="${CSS.escape(first)}"]`)?.focus());
    }
  };
  const fields: FieldErrorsState = {
    errors: fieldErrors,
    clear: (field) => {
      if (fieldErrors[field]) setFieldErrors(({ [field]: _, ...rest }) => rest);
    },
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
      <form id={formId} ref={formRef} onSubmit={onSubmit} noValidate={false}>
        <ErrorBanner error={error} />
        <FieldErrors.Provider value={fields}>{children}</FieldErrors.Provider>
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
  minLength,
  error,
  field,
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
  /** Checked by the browser as the user types (default: the API's own bound for this field, API_LIMITS). */
  maxLength?: number;
  minLength?: number;
  /** A plain-language problem with this field, shown under it. */
  error?: string;
  /** The API body field it fills, when the id's last part is not it (for the API's field errors). */
  field?: string;
}) {
  const name = fieldOf(id, field);
  const ctx = useContext(FieldErrors);
  const shown = error || ctx.errors[name];
  const limits = type === 'date' ? undefined : API_LIMITS[name];
  const describedBy = [shown && `${id}-error`, hint && `${id}-hint`].filter(Boolean).join(' ') || undefined;
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
        data-field={name}
        placeholder={placeholder}
        autoComplete={autoComplete ?? 'off'}
        maxLength={maxLength ?? limits?.max}
        minLength={minLength ?? limits?.min}
        aria-invalid={shown ? true : undefined}
        aria-describedby={describedBy}
        onChange={(e) => {
          ctx.clear(name);
          onChange(e.target.value);
        }}
      />
      {shown && (
        <p className="field-error" id={`${id}-error`}>
          {shown}
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
  field,
}: {
  id: string;
  label: string;
  value: string;
  onChange(v: string): void;
  maxLength?: number;
  field?: string;
}) {
  const name = fieldOf(id, field);
  const ctx = useContext(FieldErrors);
  const shown = ctx.errors[name];
  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        <span className="optional"> (optional)</span>
      </label>
      <textarea
        id={id}
        rows={3}
        value={value}
        data-field={name}
        maxLength={maxLength ?? API_LIMITS[name]?.max}
        aria-invalid={shown ? true : undefined}
        aria-describedby={shown ? `${id}-error` : undefined}
        onChange={(e) => {
          ctx.clear(name);
          onChange(e.target.value);
        }}
      />
      {shown && (
        <p className="field-error" id={`${id}-error`}>
          {shown}
        </p>
      )}
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
