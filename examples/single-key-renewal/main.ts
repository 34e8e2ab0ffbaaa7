// A single-key renewal (SAP variant B: the receiver decrypts with one key only, agreed downtime) against the
// embedded default. Environment as in examples/overlap-renewal; the downtime window both administrators agreed
// comes from CPI_RENEWAL_WINDOW_START / _END (the defaults lie in the past, so the window has begun in a demo).
//
//   npx tsx examples/single-key-renewal/main.ts     # writes cdktf.out/, including RUNBOOK-orders-2026-b.md
import { App } from 'cdktf';
import { EncryptionCertificateRenewal } from '../../constructs';

const app = new App();

new EncryptionCertificateRenewal(app, 'orders-2026-b', {
  renewalId: 'orders-2026-b',
  variant: 'single-key',
  alias: 'receiver_encryption',
  // Every iFlow whose channels use the alias: all are undeployed before the exchange and redeployed after.
  iflowIds: ['EncryptedOrderToReceiver'],
  receiver: { kind: 'embedded', url: process.env.CPI_RECEIVER_URL ?? 'http://127.0.0.1:8081' },
  newKey: { name: 'orders-2026-b', subject: 'CN=orders-receiver-2026,O=Example' },
  oldKeyName: process.env.CPI_RENEWAL_OLD_KEY ?? 'orders-2025',
  downtimeWindow: {
    start: process.env.CPI_RENEWAL_WINDOW_START ?? '2026-01-10T22:00:00Z',
    end: process.env.CPI_RENEWAL_WINDOW_END ?? '2026-01-10T23:00:00Z',
  },
  // Besides the stage table's default (the probe), also require the receiver administrator's word.
  gateEvidence: {
    'resume-sending': {
      mode: 'all',
      requirements: [{ kind: 'probe' }, { kind: 'confirmation', party: 'receiver-admin' }],
    },
  },
});

app.synth();
