// The construct library's public API: the package's main entry and its jsii assembly. Only constructs and their
// props structs are exported here; App and the rest of CDK for Terraform come from cdktf itself.
export {
  EncryptionCertificateRenewal,
  type EncryptionCertificateRenewalProps,
  type GateOverride,
} from './encryption-certificate-renewal';
export type { GateRequirement } from './gate-requirement';
export { IntegrationFlowDeployment, type IntegrationFlowDeploymentProps } from './integration-flow-deployment';
export type { ReceiverBackendSettings } from './receiver-backend-settings';
export {
  ReceiverDecryptionKey,
  type ExistingReceiverDecryptionKeyProps,
  type ReceiverDecryptionKeyProps,
} from './receiver-decryption-key';
export { RecordedKeyFingerprint, type RecordedKeyFingerprintProps } from './recorded-key-fingerprint';
export { RenewalGate, type ConfirmationSignerTexts, type RenewalGateProps } from './renewal-gate';
export { RenewalRollback, type RenewalRollbackProps, type RolledBackRenewal } from './renewal-rollback';
export {
  RenewalStateBackend,
  type IRenewalStateBackend,
  type PgRenewalStateProps,
  type S3RenewalStateProps,
} from './renewal-state-backend';
export type { DowntimeWindow, NewKeySpec, TenantConnectionProps } from './renewal-settings';
export type { RenewalGateSpec, RenewalStage } from './renewal-stage';
export { TenantKeystoreCertificate, type TenantKeystoreCertificateProps } from './tenant-keystore-certificate';
export * as bindings from './bindings';
