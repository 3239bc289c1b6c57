import { Modal } from './Modal';
import { Notice, SecretBox } from './ui';

/** A device's new own secret, shown once. */
export function DeviceSecretModal({
  title,
  deviceId,
  secret,
  onClose,
}: {
  title: string;
  deviceId: string;
  secret: string;
  onClose(): void;
}) {
  return (
    <Modal
      title={title}
      onClose={onClose}
      dismissible={false}
      footer={
        <button type="button" className="button button-primary" onClick={onClose}>
          I have copied the API access secret - Close
        </button>
      }
    >
      <Notice tone="warning">Securely record this API access secret now. It is shown only once.</Notice>
      <dl className="details">
        <dt>Device ID</dt>
        <dd>
          <code className="mono id">{deviceId}</code>
        </dd>
      </dl>
      <SecretBox label="API access secret" value={secret} />
    </Modal>
  );
}
