// The renewal app the workflow in renewal.yml runs (`cdktf synth` in the repository that holds it): every stage keeps
// its state in PostgreSQL, a schema per stage, locked while a job plans or applies it, so that jobs on different
// runners share one state and never apply the same stage at once. The connection string comes from PG_CONN_STR
// where terraform runs (a secret of the workflow); it is never written into cdktf.out. For S3, use
// RenewalStateBackend.s3({ bucket, key: 'renewals/orders-2026', region, useLockfile: true }) instead.
import { App } from 'cdktf';
import { EncryptionCertificateRenewal, RenewalStateBackend } from '../../constructs';

const app = new App();

new EncryptionCertificateRenewal(app, 'orders-2026', {
  renewalId: 'orders-2026',
  variant: 'overlap',
  alias: 'receiver_encryption',
  iflowIds: ['EncryptedOrderToReceiver'],
  receiver: { kind: 'embedded', url: process.env.CPI_RECEIVER_URL ?? 'https://receiver.example.com' },
  newKey: { name: 'orders-2026', subject: 'CN=orders-receiver-2026,O=Example', validityDays: 730 },
  oldKeyName: 'orders-2025',
  // schemas cpi_orders_2026_1_prepare_receiver, cpi_orders_2026_2_exchange_certificate, …
  backend: RenewalStateBackend.pg({ schemaPrefix: 'cpi_' }),
});

app.synth();
