// The cdktf app of the end-to-end renewals: the demo's renewal, with the emulator URL and the working directory
// from the environment, as a user's own app would read them. `cdktf` runs it (see cdktf.json of the test's
// directory) before every diff and deploy; the settings stay the same across those synths, so every synth writes
// the same stacks.
import { App, EncryptionCertificateRenewal } from '../../../constructs';
import { DEMO_RENEWAL_ID, demoRenewalProps } from '../../../src/demo/renewal-demo';
import type { RenewalVariant } from '../../../src/renewal/stages';

/** What the test hands its cdktf app (JSON in CPI_E2E_RENEWAL). */
export interface E2eRenewalSettings {
  readonly variant: RenewalVariant;
  /** The test's working directory: state and confirmations live under it. */
  readonly dir: string;
  readonly receiverUrl: string;
  /** Single-key: when the agreed downtime window begins (RFC 3339). */
  readonly windowStart: string;
}

export const SETTINGS_ENV = 'CPI_E2E_RENEWAL';

/** Synthesizes the renewal into `outdir` (default: what cdktf passes in CDKTF_OUTDIR). */
export function synthesizeRenewal(settings: E2eRenewalSettings, outdir?: string): EncryptionCertificateRenewal {
  const app = new App(outdir ? { outdir } : {});
  const renewal = new EncryptionCertificateRenewal(
    app,
    DEMO_RENEWAL_ID,
    demoRenewalProps(settings.variant, settings.dir, settings.receiverUrl, new Date(settings.windowStart)),
  );
  app.synth();
  return renewal;
}

const raw = process.env[SETTINGS_ENV];
if (raw && process.argv[1] && /renewal-app\.ts$/.test(process.argv[1])) {
  synthesizeRenewal(JSON.parse(raw) as E2eRenewalSettings);
}
