// The receiver backend as construct props: the camelCase form of the provider's shared `receiver` block
// (src/provider/receiver-settings.ts). Secrets are named by environment variable, never given as values.
import type { ReceiverKeyReceiver } from './bindings/receiver-key';
import {
  invalidProp,
  isLiteral,
  requireNonEmpty,
  requireReceiverSecretEnvName,
  requireSecretBearingUrl,
} from './validation';

/** The embedded receiver's admin API. */
export interface EmbeddedReceiverBackend {
  readonly kind: 'embedded';
  /** Base URL of the receiver, e.g. `http://127.0.0.1:8081`. */
  readonly url: string;
  /**
   * Environment variable that holds the admin token.
   * @default 'CPI_RECEIVER_ADMIN_TOKEN'
   */
  readonly adminTokenEnv?: string;
}

/** A PKCS#12 keystore pair, as a Java receiver on Apache WSS4J/CXF reads it. */
export interface Pkcs12ReceiverBackend {
  readonly kind: 'pkcs12';
  /** Path of the active keystore (the keys the receiver decrypts with), as the provider process sees it. */
  readonly keystorePath: string;
  /** Path of the archive keystore (retired keys kept for the retention period). */
  readonly archivePath: string;
  /**
   * Environment variable that holds the keystore password.
   * @default 'CPI_RECEIVER_KEYSTORE_PASSWORD'
   */
  readonly passwordEnv?: string;
}

/** Which receiver backend holds the decryption keys. */
export type ReceiverBackendSettings = EmbeddedReceiverBackend | Pkcs12ReceiverBackend;

/** Checks the settings and turns them into the binding's `receiver` block. */
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
  return invalidProp(
    construct,
    'receiver.kind',
    (settings as { kind?: unknown }).kind ?? null,
    '"embedded" or "pkcs12"',
  );
}
