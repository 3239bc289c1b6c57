import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { Checkbox, FormModal } from '../components/forms';
import { Modal } from '../components/Modal';
import { ErrorBanner, Loading, Notice, PageHeader, SecretBox } from '../components/ui';
import { formatTime } from '../format';
import { useAsync } from '../hooks';
import { Link } from '../router';
import { useSession } from '../session';
import { MissingFeature } from './Devices';

export const CONFIRM_PHRASE = 'Yes, I do confirm it';

function SharedSecretModal({ onClose, onReset }: { onClose(): void; onReset(): void }) {
  const { account } = useSession();
  const secret = useAsync(() => api.getSharedSecret(account.id), [account.id]);
  return (
    <Modal
      title="Shared API access secret"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button type="button" className="button button-danger" onClick={onReset} disabled={!secret.data}>
            Reset API access secret
          </button>
        </>
      }
    >
      {secret.loading && !secret.data && <Loading />}
      {isMissingRoute(secret.error) ? <MissingFeature what="Shared API access secrets" /> : <ErrorBanner error={secret.error} />}
      {secret.data && (
        <>
          <SecretBox label="Shared API access secret" value={secret.data.secret} />
          <p className="hint">Last reset {formatTime(secret.data.updatedAt)}. Only devices set to use the shared secret accept it.</p>
        </>
      )}
    </Modal>
  );
}

function ResetModal({ onClose, onDone }: { onClose(): void; onDone(devicesReset: number, all: boolean): void }) {
  const { account } = useSession();
  const [typed, setTyped] = useState('');
  const [all, setAll] = useState(false);
  return (
    <FormModal
      title="Reset API access secret"
      submitLabel="Confirm"
      danger
      onClose={onClose}
      submit={async () => {
        const r = await api.resetSharedSecret(account.id, { confirm: typed, resetAllDevices: all });
        onDone(r.devicesReset, all);
      }}
    >
      <p>
        The current shared API access secret stops working immediately for every device that uses it. Confirm the request by typing the
        words <strong>{CONFIRM_PHRASE}</strong>.
      </p>
      <div className="field">
        <label htmlFor="reset-confirm">Type “{CONFIRM_PHRASE}” to confirm</label>
        <input id="reset-confirm" autoComplete="off" data-autofocus value={typed} onChange={(e) => setTyped(e.target.value)} />
      </div>
      <Checkbox
        id="reset-all"
        label="Use new shared API access secret to reset the API access secret for all devices"
        hint="This only affects devices that exist now. Devices created later use the shared API access secret only if set to when they are created."
        checked={all}
        onChange={setAll}
      />
    </FormModal>
  );
}

export function ApiAccessPage() {
  const [view, setView] = useState<'secret' | 'reset' | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="API ACCESS" subtitle="Manage how your devices authenticate with the API." />
      {done && <Notice tone="success">{done}</Notice>}
      <div className="option-grid">
        <section className="card option">
          <h2>Shared API access secret</h2>
          <p className="muted">
            One account-level secret that devices can be set to use instead of their own. View it, or reset it for every device that shares
            it.
          </p>
          <button type="button" className="button button-primary" onClick={() => setView('secret')}>
            Shared API access secret
          </button>
        </section>
        <section className="card option">
          <h2>Device API access secrets</h2>
          <p className="muted">
            By default every device gets its own unique API access secret. Open a device to see which secret it uses or to reset its own.
          </p>
          <Link to="/devices" className="button">
            Go to Devices
          </Link>
        </section>
      </div>
      {view === 'secret' && (
        <SharedSecretModal
          onClose={() => setView(null)}
          onReset={() => {
            setDone(null);
            setView('reset');
          }}
        />
      )}
      {view === 'reset' && (
        <ResetModal
          onClose={() => setView(null)}
          onDone={(n, all) => {
            setView(null);
            setDone(
              `The shared API access secret was reset${all ? `; ${n} device${n === 1 ? '' : 's'} now use the new shared API access secret` : ''}. Click “Shared API access secret” to see the new secret.`,
            );
          }}
        />
      )}
    </>
  );
}
