export * from './management.js';
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
