// Throughput of WS-Security "Sign and Encrypt" and "verify and decrypt" for ~10 KB messages, RSA 2048 and 4096:
// ours (single thread, node:crypto + xmldom, xml-crypto's C14N) against the WSS4J 1.6 harness (one warm JVM).
// Run: node --import tsx bench/wssecurity.ts [messages per round, default 200] [rounds, default 3]
// Each side runs `rounds` measured rounds of `messages` per operation and key size; the best round is the
// figure compared (the machine is shared, so slower rounds mostly measure the neighbours), the median beside it.
import { cpus, loadavg } from 'node:os';
import { signAndEncrypt, soapEnvelope, verifyAndDecrypt, loadKeyring } from '../src/wssecurity/index';
import { makeKeyPair, makePkcs12 } from '../test/wssecurity/fixtures';
import { compileWss4jHarness, type Wss4jJob, type Wss4jJobResult } from '../test/wssecurity/wss4j-harness';

const N = Number(process.argv[2] ?? 200);
const ROUNDS = Number(process.argv[3] ?? 3);
const PASSWORD = 'changeit';

function body10k(): string {
  const items: string[] = [];
  for (let i = 0; items.join('').length < 10_000; i++) {
    items.push(`<m:Item sku="SKU-${i}" qty="${i % 7}">Line item ${i} with some text &amp; detail</m:Item>`);
  }
  return `<m:PurchaseOrder xmlns:m="urn:example:orders">${items.join('')}</m:PurchaseOrder>`;
}

/** Milliseconds per message: best round and median round. */
interface Rounds {
  readonly best: number;
  readonly median: number;
}

function summarize(msPerMessage: number[]): Rounds {
  const sorted = [...msPerMessage].sort((a, b) => a - b);
  return { best: sorted[0]!, median: sorted[Math.floor(sorted.length / 2)]! };
}

function show(r: Rounds): string {
  return `${(1000 / r.best).toFixed(0).padStart(5)} msg/s (${r.best.toFixed(2)} ms; median ${r.median.toFixed(2)} ms)`;
}

function timeRound(run: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) run();
  return Number(process.hrtime.bigint() - start) / 1e6 / N;
}

const envelope = soapEnvelope(body10k());
// Load from other work on the machine moves both sides' numbers: print it with the results.
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
console.log(
  `envelope ${Buffer.byteLength(envelope)} bytes, ${ROUNDS} rounds of ${N} messages, Node ${process.version}`,
);
console.log(`${cpus().length} CPUs, load average before: ${load()}`);
const harness = compileWss4jHarness();

for (const bits of [2048, 4096]) {
  const tenant = makeKeyPair(`tenant ${bits}`, { bits });
  const receiver = makeKeyPair(`receiver ${bits}`, { bits });
  const keyring = loadKeyring([receiver, makeKeyPair(`other ${bits}`, { bits })]);
  const options = { encryptionCertificatePem: receiver.certificatePem, signing: tenant };
  const message = signAndEncrypt(envelope, options);
  const send = () => signAndEncrypt(envelope, options);
  const receive = () => verifyAndDecrypt(message, keyring, [tenant.certificatePem]);

  const tenantP12 = harness.file(`tenant-${bits}.p12`, makePkcs12(tenant, 'tenant', PASSWORD));
  const receiverP12 = harness.file(`receiver-${bits}.p12`, makePkcs12(receiver, 'receiver', PASSWORD));
  const common = { '--storepass': PASSWORD, '--repeat': String(N) };
  const sendJob: Wss4jJob = {
    command: 'send',
    args: {
      ...common,
      '--keystore': tenantP12,
      '--alias': 'tenant',
      '--enc-cert': harness.file(`r-${bits}.pem`, receiver.certificatePem),
      '--key-id': 'IssuerSerial',
      '--sym': 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
      '--kt': 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
      '--in': harness.file('plain.xml', envelope),
    },
  };
  const receiveJob: Wss4jJob = {
    command: 'receive',
    args: {
      ...common,
      '--keystore': receiverP12,
      '--trust': harness.file(`t-${bits}.pem`, tenant.certificatePem),
      '--in': harness.file(`m-${bits}.xml`, message),
    },
  };
  const warm = (job: Wss4jJob): Wss4jJob => ({ ...job, args: { ...job.args, '--repeat': String(2 * N) } });
  const msPerMessage = (r: Wss4jJobResult | undefined) => {
    if (!r || r.error) throw new Error(`WSS4J job failed: ${r?.error}`);
    return Number(r.report.find((l) => l.startsWith('elapsed-ms='))!.split('=')[1]) / N;
  };

  for (let i = 0; i < 50; i++) {
    send(); // warm-up
    receive();
  }
  const oursSend: number[] = [];
  const oursReceive: number[] = [];
  const javaSend: number[] = [];
  const javaReceive: number[] = [];
  // Rounds alternate between the two sides, so that both meet the same neighbours on a shared machine. Each
  // WSS4J round is one JVM: a warm-up job of each kind (2 × messages, for the JIT), then the measured jobs.
  for (let round = 0; round < ROUNDS; round++) {
    oursSend.push(timeRound(send));
    oursReceive.push(timeRound(receive));
    const [, , s, r] = harness.batch([warm(sendJob), warm(receiveJob), sendJob, receiveJob]);
    javaSend.push(msPerMessage(s));
    javaReceive.push(msPerMessage(r));
  }
  console.log(`RSA ${bits}  sign+encrypt    ours ${show(summarize(oursSend))}   WSS4J ${show(summarize(javaSend))}`);
  console.log(
    `RSA ${bits}  verify+decrypt  ours ${show(summarize(oursReceive))}   WSS4J ${show(summarize(javaReceive))}`,
  );
}
console.log(`load average after: ${load()}`);
