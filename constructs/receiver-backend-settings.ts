// The receiver backend as construct props: the camelCase form of the provider's shared `receiver` block
// (src/provider/receiver-settings.ts). Secrets are named by environment variable, never given as values.
import type { ReceiverKeyReceiver } from './bindings/receiver-key';
import type { ManifestReceiver } from '../src/renewal/manifest';
import {
  invalidProp,
  isLiteral,
  requireNonEmpty,
  requireReceiverSecretEnvName,
  requireSecretBearingUrl,
} from './validation';

/**
 * Which receiver backend holds the decryption keys: `embedded` (the embedded receiver's admin API: `url`,
 * `adminTokenEnv`) or `pkcs12` (a PKCS#12 keystore pair as a Java receiver on Apache WSS4J/CXF reads it:
 * `keystorePath`, `archivePath`, `passwordEnv`).
 */
export interface ReceiverBackendSettings {
  /** `embedded` or `pkcs12`. */
  readonly kind: string;
  /**
   * Base URL of the embedded receiver, e.g. `http://127.0.0.1:8081`.
   * @default - none; required for `embedded`
   */
  readonly url?: string;
  /**
   * Environment variable that holds the embedded receiver's admin token.
   * @default 'CPI_RECEIVER_ADMIN_TOKEN'
   */
  readonly adminTokenEnv?: string;
  /**
   * Path of the active keystore (the keys the receiver decrypts with), as the provider process sees it.
   * @default - none; required for `pkcs12`
   */
  readonly keystorePath?: string;
  /**
   * Path of the archive keystore (retired keys kept for the retention period).
   * @default - none; required for `pkcs12`
   */
  readonly archivePath?: string;
  /**
   * Environment variable that holds the keystore password.
   * @default 'CPI_RECEIVER_KEYSTORE_PASSWORD'
   */
  readonly passwordEnv?: string;
}

/**
 * The settings once checked, by kind (what the constructs read back, e.g. for the runbook and the manifest).
 * @internal
 */
export type ReceiverBackend = ManifestReceiver;

/**
 * Checks the settings and returns them by kind.
 * @internal
 */
export function receiverBackend(construct: string, settings: ReceiverBackendSettings): ReceiverBackend {
  const block = receiverBlockFrom(construct, settings);
  return block.kind === 'embedded'
    ? { kind: 'embedded', url: block.url!, ...(block.adminTokenEnv ? { adminTokenEnv: block.adminTokenEnv } : {}) }
    : {
        kind: 'pkcs12',
        keystorePath: block.keystorePath!,
        archivePath: block.archivePath!,
        ...(block.passwordEnv ? { passwordEnv: block.passwordEnv } : {}),
      };
}

/**
 * Checks the settings and turns them into the binding's `receiver` block.
 * @internal
 */
export function receiverBlockFrom(construct: string, settings: ReceiverBackendSettings): ReceiverKeyReceiver {
  if (settings.kind === 'embedded') {
    const url = requireNonEmpty(construct, 'receiver.url', settings.url);
    if (isLiteral(url) && !/^https?:\/\/[^/\s]+/.test(url))
      invalidProp(construct, 'receiver.url', url, 'an http(s) URL such as "http://127.0.0.1:8081"');
    // the same secret routes as the provider (src/rules/secret-routes.ts), so synth fails where plan would
    requireSecretBearingUrl(construct, 'receiver.url', url);
    if (settings.adminTokenEnv !== undefined)
      requireReceiverSecretEnvName(construct, 'receiver.adminTokenEnv', settings.adminTokenEnv);
    return { kind: 'embedded', url, adminTokenEnv: settings.adminTokenEnv };
  }
  if (settings.kind === 'pkcs12') {
    if (settings.passwordEnv !== undefined)
      requireReceiverSecretEnvName(construct, 'receiver.passwordEnv', settings.passwordEnv);
    return {
      kind: 'pkcs12',
      keystorePath: requireNonEmpty(construct, 'receiver.keystorePath', settings.keystorePath),
      archivePath: requireNonEmpty(construct, 'receiver.archivePath', settings.archivePath),
      passwordEnv: settings.passwordEnv,
    };
  }
  return invalidProp(construct, 'receiver.kind', settings.kind ?? null, '"embedded" or "pkcs12"');
}
