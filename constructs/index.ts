// The construct library's public API.
export * from './encryption-certificate-renewal';
export * from './integration-flow-deployment';
export * from './receiver-backend-settings';
export * from './receiver-decryption-key';
export * from './recorded-key-fingerprint';
export * from './renewal-gate';
export {
  RenewalStateBackend,
  type IRenewalStateBackend,
  type PgRenewalStateProps,
  type S3RenewalStateProps,
} from './renewal-state-backend';
export * from './tenant-keystore-certificate';
export * as bindings from './bindings';
export { App } from './cdktf';
