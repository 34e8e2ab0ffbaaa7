// An overlap renewal (SAP variant A: the receiver decrypts with the old and the new key at once, no downtime)
// against the embedded default: `cpi-renewal emulator` prints the tenant URL and credentials; export them as
// CPI_TENANT_URL / CPI_USERNAME / CPI_PASSWORD, and the receiver's URL as CPI_RECEIVER_URL.
//
//   npx cpi-renewal provider install # once: into ~/.terraform.d/plugins
//   cdktf synth                      # or: npx tsx examples/overlap-renewal/main.ts
//   cdktf plan  orders-2026-1-prepare-receiver
//   cdktf apply orders-2026-1-prepare-receiver --auto-approve
//   … then each stage in cdktf.out/RUNBOOK-orders-2026.md in order.
import { App } from 'cdktf';
import { EncryptionCertificateRenewal } from '../../constructs';

const app = new App();

new EncryptionCertificateRenewal(app, 'orders-2026', {
  renewalId: 'orders-2026',
  variant: 'overlap',
  // The emulator's default channel encrypts for this alias, in this iFlow.
  alias: 'receiver_encryption',
  iflowIds: ['EncryptedOrderToReceiver'],
  receiver: { kind: 'embedded', url: process.env.CPI_RECEIVER_URL ?? 'http://127.0.0.1:8081' },
  newKey: { name: 'orders-2026', subject: 'CN=orders-receiver-2026,O=Example', validityDays: 730 },
  oldKeyName: process.env.CPI_RENEWAL_OLD_KEY ?? 'orders-2025',
  retentionDays: 90,
});

app.synth();
