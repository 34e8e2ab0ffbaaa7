// The cdktf app of the renewal harness: the demo's renewal, with the emulator URL, the working directory and the
// receiver from the environment, as a user's own app would read them. `cdktf` runs it (see the cdktf.json the
// harness writes) before every diff and deploy, and the harness runs it in-process for plain terraform; the
// settings stay the same across those synths, so every synth writes the same stacks.
import { App } from '../../constructs/cdktf';
import { EncryptionCertificateRenewal, RenewalStateBackend, type ReceiverBackendSettings } from '../../constructs';
import { DEMO_RENEWAL_ID, demoRenewalProps } from '../../src/demo/renewal-demo';
import type { RenewalVariant, StageName } from '../../src/renewal/stages';

/** What the harness hands its cdktf app (JSON in CPI_E2E_RENEWAL). */
export interface RenewalAppSettings {
  readonly variant: RenewalVariant;
  /** The harness's working directory: state and confirmations live under it. */
  readonly dir: string;
  /** The embedded receiver (the iFlow's endpoint, and the keys' backend unless `receiver` says otherwise). */
  readonly receiverUrl: string;
  /** Single-key: when the agreed downtime window begins (RFC 3339). */
  readonly windowStart: string;
  /** Where the receiver keys live. @default - the embedded receiver */
  readonly receiver?: ReceiverBackendSettings;
  /** Stack names the user chose instead of `<renewal>-<n>-<stage>`. @default - the construct's names */
  readonly stackNames?: Readonly<Partial<Record<StageName, string>>>;
  /** Where the stages keep their state. @default - local files under `<dir>/state` */
  readonly backend?: { readonly kind: 'pg'; readonly schemaPrefix: string };
}

export const SETTINGS_ENV = 'CPI_E2E_RENEWAL';

/** Synthesizes the renewal into `outdir` (default: what cdktf passes in CDKTF_OUTDIR). */
export function synthesizeRenewal(settings: RenewalAppSettings, outdir?: string): EncryptionCertificateRenewal {
  const app = new App(outdir ? { outdir } : {});
  const { stateDir, ...props } = demoRenewalProps(
    settings.variant,
    settings.dir,
    settings.receiverUrl,
    new Date(settings.windowStart),
  );
  const renewal = new EncryptionCertificateRenewal(app, DEMO_RENEWAL_ID, {
    ...props,
    // PostgreSQL: the connection from PG_CONN_STR where terraform runs
    ...(settings.backend
      ? { backend: RenewalStateBackend.pg({ schemaPrefix: settings.backend.schemaPrefix }) }
      : { stateDir }),
    ...(settings.receiver ? { receiver: settings.receiver } : {}),
    ...(settings.stackNames ? { stackNames: settings.stackNames } : {}),
  });
  app.synth();
  return renewal;
}

const raw = process.env[SETTINGS_ENV];
if (raw && process.argv[1] && /renewal-app\.ts$/.test(process.argv[1])) {
  synthesizeRenewal(JSON.parse(raw) as RenewalAppSettings);
}
