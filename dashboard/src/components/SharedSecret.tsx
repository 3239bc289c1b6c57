import { SHARED_SECRET_RESET_CONFIRMATION } from '@keyward/client/management';
import { useState } from 'react';
import { api, isMissingRoute } from '../api';
import { formatTime } from '../format';
import { useAsync } from '../hooks';
import { MissingFeature } from '../pages/Devices';
import { useSession } from '../session';
import { Checkbox, FormModal } from './forms';
import { Modal } from './Modal';
import { toast } from './Toast';
import { ErrorBanner, Loading, Notice, SecretBox } from './ui';

/**
 * The account's shared API access secret (Catenis' API ACCESS page): view it behind Reveal, and
 * reset it knowing beforehand how many devices it touches and afterwards how many it did.
 */
export const CONFIRM_PHRASE = SHARED_SECRET_RESET_CONFIRMATION;

/** "1 device", "3 devices". */
export const devices = (n: number) => `${n} device${n === 1 ? '' : 's'}`;
const verb = (n: number, one: string, many: string) => (n === 1 ? one : many);

/** Shown in the page once a reset is done: what really happened, from the API's answer and a fresh count. */
export function resetSummary(switched: number, usingNow: number | null, all: boolean): string {
  const parts = ['The shared API access secret was reset.'];
  if (all)
    parts.push(
      `${devices(switched)} ${verb(switched, 'was', 'were')} switched from ${verb(switched, 'its', 'their')} own API access secret.`,
    );
  if (usingNow !== null) {
    parts.push(
      usingNow === 0
        ? 'No device uses the shared API access secret now.'
        : `${devices(usingNow)} now ${verb(usingNow, 'uses', 'use')} the new shared API access secret.`,
    );
  }
  return parts.join(' ');
}

export function SharedSecretModal({ onClose, onReset }: { onClose(): void; onReset(): void }) {
  const { account } = useSession();
  const secret = useAsync(() => api.getSharedSecret(account.id), [account.id]);
  const [revealed, setRevealed] = useState(false);
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
      {secret.loading && !secret.data && <Loading lines={2} />}
      {isMissingRoute(secret.error) ? <MissingFeature what="Shared API access secrets" /> : <ErrorBanner error={secret.error} />}
      {secret.data &&
        (revealed ? (
          <SecretBox label="Shared API access secret" value={secret.data.secret} />
        ) : (
          <div className="secret">
            <span className="secret-label">Shared API access secret</span>
            <div className="secret-row">
              <span className="secret-mask mono" aria-hidden="true">
                ••••••••••••••••••••••••
              </span>
              <span className="sr-only">Hidden until you reveal it.</span>
              <button type="button" className="button" data-autofocus onClick={() => setRevealed(true)}>
                Reveal
              </button>
            </div>
          </div>
        ))}
      {secret.data && (
        <p className="hint">
          Last reset {formatTime(secret.data.updatedAt)}. Only devices set to use the shared secret accept it. Anyone who can see your
          screen can read it once revealed.
        </p>
      )}
    </Modal>
  );
}

export function ResetSharedSecretModal({
  onClose,
  onDone,
}: {
  onClose(): void;
  onDone(result: { switched: number; usingNow: number | null; all: boolean }): void;
}) {
  const { account } = useSession();
  const [typed, setTyped] = useState('');
  const [all, setAll] = useState(false);
  const list = useAsync(() => api.listDevices(account.id), [account.id]);
  const devs = list.data?.devices ?? null;
  const shared = devs?.filter((d) => d.secretSource === 'shared').length ?? 0;
  const own = devs?.filter((d) => d.secretSource === 'own').length ?? 0;
  const matches = typed.trim() === CONFIRM_PHRASE;
  return (
    <FormModal
      title="Reset API access secret"
      submitLabel="Confirm"
      danger
      disabled={!matches}
      onClose={onClose}
      submit={async () => {
        const r = await api.resetSharedSecret(account.id, { confirm: typed.trim(), resetAllDevices: all });
        // Count again rather than add up: devices may have changed since the dialog opened.
        const after = await api.listDevices(account.id).then(
          (l) => l.devices.filter((d) => d.secretSource === 'shared').length,
          () => null,
        );
        onDone({ switched: r.devicesReset, usingNow: after, all });
      }}
    >
      <p>The current shared API access secret stops working immediately for every device that uses it.</p>
      <section className="impact" aria-label="Impact" aria-live="polite">
        {devs === null ? (
          list.error ? (
            <p className="muted">The devices could not be counted; the reset still works.</p>
          ) : (
            <Loading label="Counting the devices…" lines={2} />
          )
        ) : (
          <ul className="impact-list">
            <li data-testid="impact-shared">
              {shared === 0
                ? 'No device uses the shared API access secret now.'
                : `${devices(shared)} ${verb(shared, 'uses', 'use')} the shared API access secret now and will need the new one.`}
            </li>
            {all && (
              <li data-testid="impact-own">
                {own === 0
                  ? 'No device has its own API access secret: none will be switched.'
                  : `${devices(own)} will be switched from ${verb(own, 'its', 'their')} own API access secret to the new shared one; ${verb(own, 'its', 'their')} own ${verb(own, 'secret stops', 'secrets stop')} working.`}
              </li>
            )}
          </ul>
        )}
      </section>
      <Checkbox
        id="reset-all"
        label="Use new shared API access secret to reset the API access secret for all devices"
        hint="This only affects devices that exist now. Devices created later use the shared API access secret only if set to when they are created."
        checked={all}
        onChange={setAll}
      />
      <div className="field">
        <label htmlFor="reset-confirm">Type “{CONFIRM_PHRASE}” to confirm</label>
        <input
          id="reset-confirm"
          autoComplete="off"
          data-autofocus
          value={typed}
          maxLength={100}
          aria-describedby="reset-confirm-hint"
          onChange={(e) => setTyped(e.target.value)}
        />
        <p className="hint" id="reset-confirm-hint">
          {matches ? 'Confirmed: the Confirm button is enabled.' : 'The Confirm button is enabled once the words match.'}
        </p>
      </div>
    </FormModal>
  );
}

/** The card, the two dialogs and the outcome notice: what the API ACCESS page (and any other page) shows. */
export function SharedSecretSection() {
  const [view, setView] = useState<'secret' | 'reset' | null>(null);
  const [done, setDone] = useState<string | null>(null);
  return (
    <>
      {done && <Notice tone="success">{done} Click “Shared API access secret” to see the new secret.</Notice>}
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
        <ResetSharedSecretModal
          onClose={() => setView(null)}
          onDone={({ switched, usingNow, all }) => {
            setView(null);
            setDone(resetSummary(switched, usingNow, all));
            toast('Shared API access secret reset');
          }}
        />
      )}
    </>
  );
}
