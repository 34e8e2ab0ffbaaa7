// The one place that turns the `receiver` block's settings into a backend.
import { EmbeddedBackend } from './embedded-backend';
import { Pkcs12Backend } from './pkcs12-backend';
import type { ReceiverBackend, ReceiverSettings } from './receiver-backend';

/** The backend the settings describe: the embedded receiver's admin API, or a PKCS#12 keystore pair. */
export function openReceiverBackend(settings: ReceiverSettings): ReceiverBackend {
  if (settings.kind === 'embedded') return new EmbeddedBackend({ url: settings.url, adminToken: settings.adminToken });
  return new Pkcs12Backend({
    keystorePath: settings.keystorePath,
    archivePath: settings.archivePath,
    password: settings.password,
  });
}
