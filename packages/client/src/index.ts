export {
  type AccessKey,
  type Application,
  type Device,
  type KeyVerification,
  KeywardApiError,
  KeywardClient,
  type KeywardClientOptions,
  SHARED_SECRET_RESET_CONFIRMATION,
  type SignatureCode,
  type SignatureVerification,
  type SignedRequestInput,
} from './management.js';
export {
  type DeviceCredentials,
  deviceFetch,
  formatTimestamp,
  type SignableBody,
  type SignatureHeaders,
  type SignRequestInput,
  signatureHeaders,
  signRequest,
} from './signing.js';
