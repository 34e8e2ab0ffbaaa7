// Throughput of WS-Security "Sign and Encrypt" and "verify and decrypt" for ~10 KB messages, RSA 2048 and 4096:
// ours (single thread, node:crypto + xmldom + xml-crypto) against the WSS4J 1.6 harness (one warm JVM).
// Run: node --import tsx bench/wssecurity.ts [messages per measurement, default 200]
import { cpus, loadavg } from 'node:os';
import { signAndEncrypt, soapEnvelope, verifyAndDecrypt, loadKeyring } from '../src/wssecurity/index';
import { makeKeyPair, makePkcs12 } from '../test/wssecurity/fixtures';
import { compileWss4jHarness } from '../test/wssecurity/wss4j-harness';

const N = Number(process.argv[2] ?? 200);
const PASSWORD = 'changeit';

function body10k(): string {
  const items: string[] = [];
  for (let i = 0; items.join('').length < 10_000; i++) {
    items.push(`<m:Item sku="SKU-${i}" qty="${i % 7}">Line item ${i} with some text &amp; detail</m:Item>`);
  }
  return `<m:PurchaseOrder xmlns:m="urn:example:orders">${items.join('')}</m:PurchaseOrder>`;
}

function rate(count: number, ms: number): string {
  return `${((count * 1000) / ms).toFixed(0).padStart(5)} msg/s (${(ms / count).toFixed(2)} ms/msg)`;
}

function time(run: () => void, count: number): number {
  for (let i = 0; i < Math.min(20, count); i++) run(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) run();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const envelope = soapEnvelope(body10k());
// WSS4J's numbers move with the machine's load (other work shares it): print it with the results.
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
console.log(`envelope ${Buffer.byteLength(envelope)} bytes, ${N} messages per measurement, Node ${process.version}`);
console.log(`${cpus().length} CPUs, load average before: ${load()}`);
const harness = compileWss4jHarness();

for (const bits of [2048, 4096]) {
  const tenant = makeKeyPair(`tenant ${bits}`, { bits });
  const receiver = makeKeyPair(`receiver ${bits}`, { bits });
  const keyring = loadKeyring([receiver, makeKeyPair(`other ${bits}`, { bits })]);
  const options = { encryptionCertificatePem: receiver.certificatePem, signing: tenant };
  const message = signAndEncrypt(envelope, options);

  const oursSend = time(() => signAndEncrypt(envelope, options), N);
  const oursReceive = time(() => verifyAndDecrypt(message, keyring, [tenant.certificatePem]), N);

  const tenantP12 = harness.file(`tenant-${bits}.p12`, makePkcs12(tenant, 'tenant', PASSWORD));
  const receiverP12 = harness.file(`receiver-${bits}.p12`, makePkcs12(receiver, 'receiver', PASSWORD));
  const common = { '--storepass': PASSWORD, '--repeat': String(N) };
  // Each job runs N + a warm-up share inside one JVM; "elapsed-ms" covers the N iterations of that job only.
  const [, javaSend, , javaReceive] = harness.batch([
    { command: 'send', args: { ...common, '--keystore': tenantP12, '--alias': 'tenant', '--enc-cert': harness.file(`r-${bits}.pem`, receiver.certificatePem), '--key-id': 'IssuerSerial', '--sym': 'http://www.w3.org/2009/xmlenc11#aes256-gcm', '--kt': 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p', '--in': harness.file('plain.xml', envelope) } },
    { command: 'send', args: { ...common, '--keystore': tenantP12, '--alias': 'tenant', '--enc-cert': harness.file(`r-${bits}.pem`, receiver.certificatePem), '--key-id': 'IssuerSerial', '--sym': 'http://www.w3.org/2009/xmlenc11#aes256-gcm', '--kt': 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p', '--in': harness.file('plain.xml', envelope) } },
    { command: 'receive', args: { ...common, '--keystore': receiverP12, '--trust': harness.file(`t-${bits}.pem`, tenant.certificatePem), '--in': harness.file(`m-${bits}.xml`, message) } },
    { command: 'receive', args: { ...common, '--keystore': receiverP12, '--trust': harness.file(`t-${bits}.pem`, tenant.certificatePem), '--in': harness.file(`m-${bits}.xml`, message) } },
  ]);
  const elapsed = (r: typeof javaSend) => {
    if (!r || r.error) throw new Error(`WSS4J job failed: ${r?.error}`);
    return Number(r.report.find((l) => l.startsWith('elapsed-ms='))!.split('=')[1]);
  };
  console.log(`RSA ${bits}  sign+encrypt    ours ${rate(N, oursSend)}   WSS4J ${rate(N, elapsed(javaSend))}`);
  console.log(`RSA ${bits}  verify+decrypt  ours ${rate(N, oursReceive)}   WSS4J ${rate(N, elapsed(javaReceive))}`);
}
console.log(`load average after: ${load()}`);
