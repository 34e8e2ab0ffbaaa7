// The public face of the tenant emulator: start it, and read its configuration file.
export {
  startTenantEmulator,
  type EmulatorCredentials,
  type EmulatorKeystoreEntry,
  type EmulatorRuntimeArtifact,
  type TenantEmulator,
  type TenantEmulatorOptions,
} from './tenant-emulator';
export {
  loadEmulatorConfig,
  resolveEmulatorConfig,
  type EmulatorConfig,
  type IflowSeed,
  type KeyIdentifier,
} from './emulator-config';
export { CHANNEL_PARAMETER_KEYS } from './channel-parameters';
export type { FaultSettings } from './faults';
