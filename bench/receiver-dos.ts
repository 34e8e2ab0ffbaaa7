// CPU denial of service before authentication (issue 13): how long the receiver spends on each DoS input before it
// refuses it (target < 50 ms each), next to a legitimate message of the same receiver, and the time of a refused
// message whose sender is not pinned (refused before any private-key operation). In-process, median of 11 runs
// after 2 warm-up runs; the inputs are test/support/attack-messages.ts.
import { generateKeyPairWithCertificate } from '../src/pki/key-pair';
import { loadKeyring, signAndEncrypt, soapEnvelope, verifyAndDecrypt } from '../src/wssecurity/index';
import { dosMessages } from '../test/support/attack-messages';

const pair = (cn: string) =>
  generateKeyPairWithCertificate({
    algorithm: 'RSA-2048',
    subject: `CN=${cn}`,
    validityDays: 30,
    now: new Date(Date.now() - 60_000),
  });
const tenant = pair('tenant');
const intruder = pair('intruder');
const receiver = pair('receiver');
const keyring = loadKeyring([
  { id: 'r', privateKeyPem: receiver.privateKeyPem, certificatePem: receiver.certificatePem },
]);
const signers = [tenant.certificatePem];

function time(run: () => unknown): number {
  const times: number[] = [];
  for (let i = 0; i < 13; i++) {
    const started = performance.now();
    try {
      run();
    } catch {
      // refusals are what is measured
    }
    if (i >= 2) times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

const rows: [string, number][] = [];
for (const input of dosMessages(receiver.certificatePem, tenant)) {
  rows.push([
    `${input.name} (${(input.message.length / 1e6).toFixed(2)} MB)`,
    time(() => verifyAndDecrypt(input.message, keyring, signers)),
  ]);
}
const body = '<ord:Order xmlns:ord="urn:example:orders"><ord:Id>1</ord:Id></ord:Order>';
rows.push([
  'signed by an unpinned key (sign + refusal before the private key)',
  time(() =>
    verifyAndDecrypt(
      signAndEncrypt(soapEnvelope(body), { encryptionCertificatePem: receiver.certificatePem, signing: intruder }),
      keyring,
      signers,
    ),
  ),
]);
rows.push([
  'legitimate message, for comparison (sign + verify/decrypt)',
  time(() =>
    verifyAndDecrypt(
      signAndEncrypt(soapEnvelope(body), { encryptionCertificatePem: receiver.certificatePem, signing: tenant }),
      keyring,
      signers,
    ),
  ),
]);
let over = false;
for (const [name, ms] of rows) {
  console.log(`${name.padEnd(90)} ${ms.toFixed(2).padStart(8)} ms`);
  if (!name.startsWith('legitimate') && ms >= 50) over = true;
}
console.log(over ? 'some input took 50 ms or more' : 'every DoS input refused in under 50 ms (median)');
process.exit(over ? 1 : 0);
