import type { AccessKey, CreatedKey, CreateKeyInput } from '@keyward/client/management';
import { useState } from 'react';
import { api } from '../api';
import { formatDate, formatTime, permissionLabel, relative } from '../format';
import { useSession } from '../session';
import { Checkbox, ConfirmModal, FormModal, TextArea, TextInput } from './forms';
import { FormCheckError, keyLimits, LimitsFields, limitsPatch, limitsSummary, readDraft, useLimitsDraft } from './limits';
import { Modal } from './Modal';
import { CopyId, Notice, SecretBox } from './ui';

const MGMT = 'keyward:';

/** What the signed-in user may put on a key of this kind: only scopes they hold (Pelion), by key kind (Senet). */
function useGrantable(kind: AccessKey['kind']) {
  const { me, catalogue } = useSession();
  const held = new Set(me.grantableScopes);
  const scopes = catalogue.scopes.filter((s) => held.has(s.name) && s.keyKinds.includes(kind));
  const kindScopes = new Set(scopes.map((s) => s.name));
  const roles = catalogue.roles.filter((r) => r.scopes.length > 0 && r.scopes.every((s) => kindScopes.has(s)));
  const management = me.grantableScopes.filter((s) => s.startsWith(MGMT));
  return { scopes, roles, management };
}

export function NewAccessKeyModal({
  kind,
  title,
  onClose,
  create,
}: {
  kind: AccessKey['kind'];
  title: string;
  onClose(): void;
  create(body: CreateKeyInput): Promise<CreatedKey>;
}) {
  const { scopes, roles, management } = useGrantable(kind);
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [expiry, setExpiry] = useState('');
  const [created, setCreated] = useState<CreatedKey | null>(null);
  const limits = useLimitsDraft(null);
  const toggle = (s: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(s);
    else next.delete(s);
    setChosen(next);
  };
  if (created) return <KeyCreatedModal created={created} onClose={onClose} />;
  const nothingToGrant = scopes.length === 0 && management.length === 0;
  return (
    <FormModal
      title={title}
      submitLabel="Create"
      onClose={onClose}
      size="wide"
      submit={async () => {
        // A date input gives a calendar day: the key works until the end of that day, local time.
        const expiresAt = expiry ? new Date(`${expiry}T23:59:59`).getTime() : undefined;
        const read = readDraft('new-key', limits.draft);
        if ('errors' in read) {
          limits.setErrors(read.errors);
          throw new FormCheckError();
        }
        const { ratelimits, quota } = read.value;
        setCreated(
          await create({
            name: name.trim(),
            description,
            scopes: [...chosen],
            ...(expiresAt !== undefined && { expiresAt }),
            ...(ratelimits.length > 0 && { ratelimits }),
            ...(quota && { quota }),
          }),
        );
      }}
    >
      <TextInput id="key-name" label="Name" value={name} onChange={setName} required autoFocus maxLength={100} />
      <TextArea id="key-description" label="Description" value={description} onChange={setDescription} maxLength={1000} />
      <fieldset className="scopes">
        <legend>Scopes</legend>
        <p className="hint">
          You can only grant scopes that your user holds. Scopes are fixed when the key is created and can never be edited.
        </p>
        {nothingToGrant && <Notice tone="warning">Your user holds no scopes that can be granted to this kind of key.</Notice>}
        {roles.length > 0 && (
          <div className="scope-group">
            <h3>Roles</h3>
            {roles.map((r) => (
              <Checkbox
                key={r.name}
                id={`scope-${r.name}`}
                label={r.description}
                hint={<code>{r.name}</code>}
                checked={chosen.has(r.name)}
                onChange={(on) => toggle(r.name, on)}
              />
            ))}
          </div>
        )}
        {scopes.length > 0 && (
          <div className="scope-group">
            <h3>API scopes</h3>
            {scopes.map((s) => (
              <Checkbox
                key={s.name}
                id={`scope-${s.name}`}
                label={s.description}
                hint={<code>{s.name}</code>}
                checked={chosen.has(s.name)}
                onChange={(on) => toggle(s.name, on)}
              />
            ))}
          </div>
        )}
        {management.length > 0 && (
          <details className="scope-group">
            <summary>Management API permissions ({management.length})</summary>
            {management.map((s) => (
              <Checkbox
                key={s}
                id={`scope-${s}`}
                label={permissionLabel(s.slice(MGMT.length))}
                hint={<code>{s}</code>}
                checked={chosen.has(s)}
                onChange={(on) => toggle(s, on)}
              />
            ))}
          </details>
        )}
      </fieldset>
      <TextInput
        id="key-expiry"
        label="Expires on"
        type="date"
        value={expiry}
        onChange={setExpiry}
        hint="Leave empty for a key that does not expire. An expired key is rejected and does not count towards your limit."
      />
      <details className="limits-section">
        <summary>
          Rate limits and quota <span className="optional">(optional)</span>
        </summary>
        <p className="hint">Unlike scopes, limits can be changed after the key is created. The account's own limits apply as well.</p>
        <LimitsFields prefix="new-key" draft={limits.draft} onChange={limits.onChange} errors={limits.errors} />
      </details>
    </FormModal>
  );
}

/** The one and only time a key is displayed. */
export function KeyCreatedModal({ created, onClose }: { created: CreatedKey; onClose(): void }) {
  const k = created.accessKey;
  const scopeNames = useScopeNames(k);
  const scopeLabel = useScopeLabel();
  return (
    <Modal
      title="Access key created"
      onClose={onClose}
      dismissible={false}
      size="wide"
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          I have copied my access key - Close
        </button>
      }
    >
      <Notice tone="warning">
        Securely record your access key now. This is the only time it is shown: Keyward stores only a hash of it.
      </Notice>
      <SecretBox label="Access key" value={created.key} />
      <table className="table table-compact">
        <caption>Access key created</caption>
        <tbody>
          <tr>
            <th scope="row">Name</th>
            <td>{k.name}</td>
          </tr>
          <tr>
            <th scope="row">Key ID</th>
            <td>
              <CopyId value={k.id} label="key ID" />
            </td>
          </tr>
          <tr>
            <th scope="row">Scopes</th>
            <td>{scopeNames.map(scopeLabel).join(', ') || 'None'}</td>
          </tr>
          <tr>
            <th scope="row">Expires</th>
            <td>{k.expiresAt ? formatTime(k.expiresAt) : 'Never'}</td>
          </tr>
          <tr>
            <th scope="row">Limits</th>
            <td>{limitsSummary(keyLimits(k)) ?? 'None'}</td>
          </tr>
        </tbody>
      </table>
      <p className="hint">
        Callers send it as <code>Authorization: Bearer &lt;access key&gt;</code>.
      </p>
    </Modal>
  );
}

export function EditKeyModal({ k, onClose, onSaved }: { k: AccessKey; onClose(): void; onSaved(): void }) {
  const { account } = useSession();
  const [name, setName] = useState(k.name);
  const [description, setDescription] = useState(k.description);
  const [nameError, setNameError] = useState('');
  const limits = useLimitsDraft(keyLimits(k));
  const hasLimits = k.ratelimits.length > 0 || k.quota !== null;
  return (
    <FormModal
      title="Edit access key"
      submitLabel="Save"
      onClose={onClose}
      size="wide"
      submit={async () => {
        const read = readDraft('edit-key', limits.draft);
        const badName = name.trim() === '' ? 'Give the key a name.' : '';
        setNameError(badName);
        if ('errors' in read || badName) {
          if ('errors' in read) limits.setErrors(read.errors);
          throw new FormCheckError();
        }
        const patch = limitsPatch(keyLimits(k), read.value);
        const names = name.trim() !== k.name || description !== k.description;
        await api.updateKey(account.id, k.id, {
          ...((names || Object.keys(patch).length === 0) && { name: name.trim(), description }),
          ...patch,
        });
        onSaved();
      }}
    >
      <TextInput id="key-name" label="Name" value={name} onChange={setName} required autoFocus maxLength={100} error={nameError} />
      <TextArea id="key-description" label="Description" value={description} onChange={setDescription} maxLength={1000} />
      <details className="limits-section" open={hasLimits || undefined}>
        <summary>
          Rate limits and quota <span className="optional">(optional)</span>
        </summary>
        <LimitsFields
          prefix="edit-key"
          draft={limits.draft}
          onChange={limits.onChange}
          errors={limits.errors}
          quotaHint="Changing the credits or the refill starts a new count; leaving them as they are keeps the credits left."
        />
      </details>
      <p className="hint">A key's scopes and expiry cannot be edited: create a new key instead.</p>
    </FormModal>
  );
}

export function RevokeKeyModal({ k, onClose, onRevoked }: { k: AccessKey; onClose(): void; onRevoked(): void }) {
  const { account } = useSession();
  return (
    <ConfirmModal
      title="Revoke access key"
      confirmLabel="Revoke access key"
      onClose={onClose}
      onConfirm={async () => {
        await api.revokeKey(account.id, k.id);
        onRevoked();
      }}
    >
      <p>
        Revoke <strong>{k.name}</strong> (<code>{k.start}…</code>)? API calls made using a revoked key are rejected immediately. This cannot
        be undone.
      </p>
      <p className="muted">Last used: {relative(k.lastUsedAt)}</p>
    </ConfirmModal>
  );
}

/** Roles first, then the scopes no listed role already covers. */
export function useScopeNames(k: AccessKey): string[] {
  const { catalogue } = useSession();
  const covered = new Set(catalogue.roles.filter((r) => k.roles.includes(r.name)).flatMap((r) => r.scopes));
  return [...k.roles, ...k.scopes.filter((s) => !covered.has(s))];
}

/**
 * One way to show a scope everywhere: the catalogue's words ("Device: Full Access"), with the
 * name callers and the API use (`device:full-access`) on hover and for screen readers in the title.
 * Management permissions a key carries (`keyward:devices.view`) read "Manage: View devices".
 */
export function useScopeLabel(): (name: string) => string {
  const { catalogue } = useSession();
  const described = new Map<string, string>([
    ...catalogue.scopes.map((s) => [s.name, s.description] as const),
    ...catalogue.roles.map((r) => [r.name, r.description] as const),
  ]);
  return (name) => {
    if (name.startsWith(MGMT)) return `Management: ${permissionLabel(name.slice(MGMT.length))}`;
    return described.get(name) || name;
  };
}

/** Scope chips on one line (wrapping within a max width); past `max`, a "+N more" button shows the rest. */
export function ScopeChips({ names, max = 2 }: { names: string[]; max?: number }) {
  const label = useScopeLabel();
  const [open, setOpen] = useState(false);
  if (names.length === 0) return <span className="muted">None</span>;
  const shown = open || names.length <= max ? names : names.slice(0, max - 1);
  const hidden = names.length - shown.length;
  return (
    <ul className={`chips${open ? ' chips-open' : ''}`} aria-label="Scopes">
      {shown.map((s) => (
        <li key={s} className="chip" title={s}>
          {label(s)}
        </li>
      ))}
      {hidden > 0 && (
        <li>
          <button
            type="button"
            className="chip-more"
            title={names.slice(shown.length).map(label).join(', ')}
            aria-label={`Show ${hidden} more scope${hidden === 1 ? '' : 's'}`}
            onClick={() => setOpen(true)}
          >
            +{hidden} more
          </button>
        </li>
      )}
    </ul>
  );
}

export function ScopeList({ k, max }: { k: AccessKey; max?: number }) {
  return <ScopeChips names={useScopeNames(k)} max={max} />;
}

export const expiryText = (k: AccessKey) => (k.expiresAt ? formatDate(k.expiresAt) : 'Never');
