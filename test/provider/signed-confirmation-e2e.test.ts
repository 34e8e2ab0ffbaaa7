// Signed confirmations through the real terraform binary and the `cpi-renewal confirm` CLI: a gate with
// confirmation_signers stays closed on an unsigned confirmation, on one signed by a key its party does not list and
// on one whose fields were changed after signing, each saying why and showing the signing command; it opens on a
// confirmation signed with `cpi-renewal confirm --sign-with` (ssh-keygen) and records the key in its evidence.
// Signer lists the provider cannot read, or that leave out a confirming party, are refused at plan.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startTenantEmulator, type TenantEmulator } from '../../src/emulator/tenant-emulator';
import { parseCertificatePem } from '../../src/pki/certificate-info';
import { generateKeyPairWithCertificate } from '../../src/pki/key-pair';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { runCommand } from '../support/command';
import { skipWithout } from '../support/reference-systems';
import { createWorkdir, type TerraformWorkdir } from '../support/terraform';

const BUNDLE = resolve(__dirname, '../../dist/provider.js');
const CLI = resolve(__dirname, '../../dist/cli.js');
const oneLine = (text: string) => text.replace(/[\s│╷╵]+/g, ' ');

describe(
  'signed confirmations through terraform (cpi_renewal_gate confirmation_signers)',
  { skip: skipWithout('ssh-keygen'), timeout: 600_000 },
  () => {
    let emulator: TenantEmulator;
    let tf: TerraformWorkdir;
    let dataDir: string;
    const keys = mkdtempSync(join(tmpdir(), 'cpi-signing-keys-'));
    const key = (name: string, ...type: string[]) => {
      const file = join(keys, name);
      execFileSync('ssh-keygen', ['-q', ...type, '-N', '', '-C', name, '-f', file]);
      return file;
    };
    const fingerprintOf = (file: string) =>
      execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1]!;
    const ada = key('ada-rsa', '-t', 'rsa', '-b', '3072');
    const mallory = key('mallory', '-t', 'ed25519');
    const newCert = generateKeyPairWithCertificate({
      algorithm: 'RSA-2048',
      subject: 'CN=receiver-2026,O=Receiver',
      validityDays: 365,
      now: new Date(),
    }).certificatePem;
    const NEW = parseCertificatePem(newCert).fingerprintSha256;
    const gate = (signers: object[]) => ({
      renewal_id: 'acme-2026',
      gate: 'exchange-certificate',
      waits_for: ['receiver-admin'],
      new_certificate_pem: newCert,
      requirement: [{ kind: 'confirmation', party: 'receiver-admin' }],
      confirmation_signers: signers,
    });
    const adaSigners = [
      { party: 'receiver-admin', allowed_signers: `"Ada *" ${readFileSync(`${ada}.pub`, 'utf8').trim()}\n` },
    ];
    const configure = (g: object) =>
      tf.writeConfig({
        terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
        provider: { cpi: {} },
        resource: { cpi_renewal_gate: { exchange: g } },
      });
    const file = () => join(tf.dir, 'renewals', 'acme-2026', 'confirmations', 'exchange-certificate.json');
    /** `cpi-renewal confirm` as a person runs it in the project (the CLI bundle, ssh-keygen for signing). */
    const confirmWithCli = async (person: string, signWith?: string) => {
      const run = await runCommand(
        'node',
        [
          CLI,
          'confirm',
          '--renewal',
          'acme-2026',
          '--gate',
          'exchange-certificate',
          '--party',
          'receiver-admin',
          '--fingerprint',
          NEW,
          '--person',
          person,
          // a gate in plain HCL: no renewal manifest to check gate and party against
          '--unchecked',
          ...(signWith ? ['--sign-with', signWith] : []),
        ],
        { cwd: tf.dir, timeoutMs: 60_000 },
      );
      assert.equal(run.code, 0, run.output);
    };
    const closedPlan = async () => {
      const plan = await tf.run(['plan', '-no-color']);
      assert.equal(plan.code, 1, plan.stdout + plan.stderr);
      assert.match(plan.stderr, /CPI_GATE_CLOSED/);
      return oneLine(plan.stderr);
    };
    const refusedPlan = async (code: string) => {
      const plan = await tf.run(['plan', '-no-color']);
      assert.equal(plan.code, 1, plan.stdout + plan.stderr);
      assert.match(plan.stderr, new RegExp(code));
      return oneLine(plan.stderr);
    };

    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'cpi-emu-'));
      emulator = await startTenantEmulator({ dataDir, config: {} });
      tf = createWorkdir({ bundle: BUNDLE, version: PROVIDER_VERSION });
      Object.assign(tf.env, {
        CPI_TENANT_URL: emulator.url,
        CPI_USERNAME: emulator.credentials.username,
        CPI_PASSWORD: emulator.credentials.password,
      });
      configure(gate(adaSigners));
      await tf.ok(['init']);
    });
    after(async () => {
      tf?.remove();
      await emulator?.close();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(keys, { recursive: true, force: true });
    });

    test('an unsigned confirmation keeps the gate closed, and the message shows the signing command', async () => {
      await confirmWithCli('Ada Lovelace');
      const stderr = await closedPlan();
      assert.match(stderr, /receiver-admin \(Ada Lovelace\): it is not signed/);
      assert.match(stderr, /This renewal accepts only SSH-signed confirmations/);
      assert.ok(
        stderr.includes(
          `cpi-renewal confirm --renewal acme-2026 --gate exchange-certificate --party receiver-admin --fingerprint ${NEW} --person "<your name>" --sign-with "<your SSH key file`,
        ),
        stderr,
      );
    });

    test('a confirmation signed with a key the party does not list keeps it closed, naming the key', async () => {
      await confirmWithCli('Ada Lovelace', mallory);
      const stderr = await closedPlan();
      assert.ok(
        stderr.includes(
          `signed by the key ${fingerprintOf(mallory)}, which is not among receiver-admin's allowed signers`,
        ),
        stderr,
      );
    });

    test('a signed confirmation whose time was changed afterwards keeps it closed', async () => {
      await confirmWithCli('Ada Lovelace', ada);
      const text = readFileSync(file(), 'utf8');
      const at = /"confirmed_at": "([^"]+)"/.exec(text)![1]!;
      const earlier = new Date(Date.parse(at) - 1000).toISOString();
      writeFileSync(file(), text.replace(at, earlier));
      const stderr = await closedPlan();
      assert.match(stderr, /the signature does not verify/);
      writeFileSync(file(), text);
    });

    test('a confirmation signed by the party (RSA, rsa-sha2-512) opens it; the evidence names the key', async () => {
      await confirmWithCli('Ada Lovelace', ada);
      await tf.ok(['apply', '-auto-approve']);
      const state = JSON.parse((await tf.ok(['show', '-json'])).stdout);
      const values = state.values.root_module.resources[0].values;
      assert.equal(values.evidence.length, 1);
      assert.match(
        values.evidence[0],
        new RegExp(
          `^confirmation: receiver-admin \\(Ada Lovelace\\) confirmed ${NEW} at .*, signed with the SSH key ${fingerprintOf(ada).replace(/[+/]/g, '\\$&')}$`,
        ),
      );
    });

    test('signer lists the provider cannot read, or that leave out the confirming party, are refused at plan', async () => {
      configure(gate([{ party: 'receiver-admin', allowed_signers: 'ada ssh-ed25519 not-base64!' }]));
      assert.match(await refusedPlan('CPI_GATE_SIGNERS_INVALID'), /line 1: the ssh-ed25519 key cannot be read/);
      configure(
        gate([{ party: 'tenant-admin', allowed_signers: readFileSync(`${mallory}.pub`, 'utf8').replace(/^/, '* ') }]),
      );
      assert.match(
        await refusedPlan('CPI_GATE_SIGNERS_INVALID'),
        /confirmation_signers lists no key for receiver-admin/,
      );
    });
  },
);
