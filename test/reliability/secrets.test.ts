// Secrets never leak (issue 7, item 4). A whole overlap renewal runs with TF_LOG=trace against the embedded tenant
// (OAuth client credentials from a service key) and the embedded receiver (admin token), with messages flowing
// through the iFlow; a PKCS#12 receiver key is created, retired and probed through terraform as well. Then every
// artefact a user, a pipeline log or a reviewer can see is searched for the actual secret values: the tenant
// password, the OAuth client secret, the receiver admin token, the PKCS#12 password (each also as it would appear
// in an Authorization header), and every private key's PEM body, taken from the receivers' own storage.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { App } from '../../constructs/cdktf';
import { EncryptionCertificateRenewal } from '../../constructs';
import { startEmulators, type RunningEmulators } from '../../src/emulator/start-emulators';
import { DEMO_RENEWAL_ID, DEMO_WORLD, demoRenewalProps } from '../../src/demo/renewal-demo';
import { startReceiverEmulator } from '../../src/emulator/receiver-emulator';
import { readPkcs12 } from '../../src/pki/pkcs12';
import { PROVIDER_VERSION } from '../../src/provider/cpi-provider';
import { defaultBundlePath } from '../../src/provider/install';
import { EmbeddedBackend } from '../../src/receiver/embedded-backend';
import { writeConfirmation } from '../../src/renewal/confirmation';
import { stageStackName } from '../../src/renewal/stages';
import { TenantClient } from '../../src/tenant/tenant-client';
import { homeWithProvider, startTerraform, userEnv } from '../support/terraform';

const ADMIN_TOKEN = 'secrets-test-Admin-Token-7f3a9c';
const P12_PASSWORD = 'secrets-test-P12-Pass-b41e02';

interface Run {
  readonly code: number;
  readonly output: string;
}

describe('secrets never appear in state, plans, trace logs, emulator logs or the runbook', () => {
  let dir: string;
  let emulators: RunningEmulators;
  const emulatorLog: string[] = [];
  let env: NodeJS.ProcessEnv;
  const stageResults: { stage: string; result: string }[] = [];
  let runbookPath = '';
  const stackDirs: string[] = [];
  let p12Dir = '';

  const terraform = (cwd: string, args: string[], extra: NodeJS.ProcessEnv = {}): Promise<Run> =>
    startTerraform(args, { cwd, env: { ...env, ...extra } });
  const ok = async (cwd: string, args: string[]) => {
    const run = await terraform(cwd, args);
    assert.equal(run.code, 0, `terraform ${args.join(' ')} in ${cwd}:\n${run.output}`);
    return run;
  };
  const sendMessages = async (count: number) => {
    const authorization = `Basic ${Buffer.from(`${emulators.ready.username}:${emulators.ready.password}`).toString('base64')}`;
    for (let n = 0; n < count; n++) {
      await fetch(`${emulators.ready.tenantUrl}/http/${DEMO_WORLD.iflowId}`, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/xml' },
        body: `<order xmlns="urn:example:orders"><id>${n}</id></order>`,
      }).then((r) => r.arrayBuffer());
    }
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cpi-secrets-'));
    emulators = await startEmulators(
      { dataDir: join(dir, 'emulator'), log: (line) => emulatorLog.push(line) },
      (options) => startReceiverEmulator({ ...options, adminToken: ADMIN_TOKEN }),
    );
    const { ready } = emulators;
    const serviceKey = JSON.stringify({
      oauth: {
        url: ready.tenantUrl,
        tokenurl: ready.tokenUrl,
        clientid: ready.clientId,
        clientsecret: ready.clientSecret,
      },
    });
    homeWithProvider(join(dir, 'home'), defaultBundlePath(), PROVIDER_VERSION);
    env = {
      ...userEnv(join(dir, 'home')),
      TF_LOG: 'trace',
      TF_LOG_PATH: join(dir, 'logs', 'terraform-trace.log'), // terraform appends: one log of every run
      CPI_SERVICE_KEY: serviceKey,
      CPI_RECEIVER_ADMIN_TOKEN: ADMIN_TOKEN,
      CPI_RECEIVER_KEYSTORE_PASSWORD: P12_PASSWORD,
    };
    mkdirSync(join(dir, 'logs'));

    // The world before the renewal, as in the demo: the receiver's current key, its certificate under the alias.
    const receiver = new EmbeddedBackend({ url: ready.receiverUrl!, adminToken: ADMIN_TOKEN });
    const oldKey = await receiver.generateKey({
      name: DEMO_WORLD.oldKeyName,
      algorithm: 'RSA-2048',
      subject: 'CN=orders-receiver-2025,O=Example',
      validityDays: 365,
    });
    const tenant = new TenantClient({
      tenantUrl: ready.tenantUrl,
      auth: { kind: 'basic', username: ready.username, password: ready.password },
    });
    await tenant.putCertificate(DEMO_WORLD.alias, oldKey.certificatePem, { update: false, fingerprintVerified: true });

    const outdir = join(dir, 'cdktf.out');
    const app = new App({ outdir });
    const renewal = new EncryptionCertificateRenewal(
      app,
      DEMO_RENEWAL_ID,
      demoRenewalProps('overlap', dir, ready.receiverUrl!),
    );
    app.synth();
    runbookPath = join(outdir, `RUNBOOK-${DEMO_RENEWAL_ID}.md`);

    await sendMessages(3);
    let fingerprint = '';
    for (const stage of renewal._stageSpecs) {
      const stackDir = join(outdir, 'stacks', stageStackName(DEMO_RENEWAL_ID, stage));
      stackDirs.push(stackDir);
      await ok(stackDir, ['init', '-input=false']);
      let plan = await terraform(stackDir, ['plan', '-input=false', '-out=tfplan']);
      if (plan.code !== 0 && /CPI_GATE_CLOSED/.test(plan.output) && stage.gate && fingerprint) {
        // a gate that waits for a party's confirmation: confirm in their name, as the demo does
        for (const r of stage.gate.requirements) {
          if (r.kind !== 'confirmation') continue;
          writeConfirmation(join(dir, 'renewals', DEMO_RENEWAL_ID, 'confirmations'), {
            renewalId: DEMO_RENEWAL_ID,
            gate: stage.gate.name,
            fingerprintSha256: fingerprint,
            party: r.party,
            person: 'secrets test',
            confirmedAt: new Date(Date.now() - 1000),
          });
        }
        plan = await terraform(stackDir, ['plan', '-input=false', '-out=tfplan']);
      }
      if (plan.code !== 0) {
        assert.equal(stage.name, 'cleanup', `only cleanup waits (for the end of retention):\n${plan.output}`);
        assert.match(plan.output, /CPI_GATE_CLOSED/);
        stageResults.push({ stage: stage.name, result: 'blocked' });
        continue;
      }
      writeFileSync(join(stackDir, 'tfplan.json'), (await ok(stackDir, ['show', '-json', 'tfplan'])).output);
      await ok(stackDir, ['apply', '-input=false', 'tfplan']);
      stageResults.push({ stage: stage.name, result: 'applied' });
      if (stage.index === 1) {
        const outputs = JSON.parse((await ok(stackDir, ['output', '-json'])).output) as Record<
          string,
          { value: string }
        >;
        fingerprint = outputs.new_fingerprint_sha256!.value;
      }
      await sendMessages(3);
    }

    // A PKCS#12 receiver key through plain terraform: created, probed by a gate, retired (the password is used
    // on every refresh, so it passes through each provider process).
    p12Dir = join(dir, 'p12-stack');
    mkdirSync(p12Dir);
    const receiverBlock = {
      kind: 'pkcs12',
      keystore_path: join(dir, 'p12', 'active.p12'),
      archive_path: join(dir, 'p12', 'archive.p12'),
    };
    const p12Config = (state: string) => ({
      terraform: { required_providers: { cpi: { source: 'cpi-renewal/cpi', version: PROVIDER_VERSION } } },
      provider: { cpi: {} },
      resource: {
        cpi_receiver_key: { p12: { key_name: 'p12-2026', subject: 'CN=p12-2026', state, receiver: receiverBlock } },
        cpi_renewal_gate: {
          probe: {
            renewal_id: 'p12-2026',
            gate: 'resume-sending',
            waits_for: ['receiver-admin'],
            new_certificate_pem: '${cpi_receiver_key.p12.certificate_pem}',
            receiver: receiverBlock,
            requirement: [{ kind: 'probe' }],
          },
        },
      },
    });
    writeFileSync(join(p12Dir, 'main.tf.json'), JSON.stringify(p12Config('active')));
    await ok(p12Dir, ['init', '-input=false']);
    await ok(p12Dir, ['plan', '-input=false', '-out=tfplan']);
    writeFileSync(join(p12Dir, 'tfplan.json'), (await ok(p12Dir, ['show', '-json', 'tfplan'])).output);
    await ok(p12Dir, ['apply', '-input=false', 'tfplan']);
    writeFileSync(join(p12Dir, 'main.tf.json'), JSON.stringify(p12Config('retired')));
    await ok(p12Dir, ['plan', '-input=false', '-out=tfplan']);
    writeFileSync(join(p12Dir, 'tfplan-retire.json'), (await ok(p12Dir, ['show', '-json', 'tfplan'])).output);
    await ok(p12Dir, ['apply', '-input=false', 'tfplan']);
    stackDirs.push(p12Dir);
    await emulators.close();
    writeFileSync(join(dir, 'logs', 'emulator.log'), emulatorLog.join('\n'));
  });
  after(async () => {
    await emulators?.close().catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The actual secret values, each with the forms in which it would travel. */
  const secrets = (): { name: string; forms: string[] }[] => {
    const { ready } = emulators;
    const basic = (user: string, secret: string) => Buffer.from(`${user}:${secret}`).toString('base64');
    const list = [
      { name: 'tenant password', forms: [ready.password, basic(ready.username, ready.password)] },
      {
        name: 'OAuth client secret',
        forms: [ready.clientSecret, basic(ready.clientId, ready.clientSecret), encodeURIComponent(ready.clientSecret)],
      },
      { name: 'receiver admin token', forms: [ADMIN_TOKEN] },
      { name: 'PKCS#12 password', forms: [P12_PASSWORD] },
    ];
    // Every private key, from where the receivers keep them: the embedded receiver's data directory and the
    // PKCS#12 keystores. A leak would show the base64 body, whole or line by line (JSON escapes the newlines).
    const stored = JSON.parse(readFileSync(join(dir, 'emulator', 'receiver', 'receiver-state.json'), 'utf8')) as {
      keys: { name: string; privateKeyPem: string }[];
    };
    const p12Keys = ['active.p12', 'archive.p12']
      .filter((f) => existsSync(join(dir, 'p12', f)))
      .flatMap((f) =>
        readPkcs12(readFileSync(join(dir, 'p12', f)), P12_PASSWORD).map((e) => ({
          name: `p12 ${e.alias}`,
          privateKeyPem: e.privateKeyPem,
        })),
      );
    for (const key of [...stored.keys, ...p12Keys]) {
      const lines = key.privateKeyPem.split(/\r?\n/).filter((l) => l && !l.startsWith('-----'));
      list.push({ name: `private key ${key.name}`, forms: [lines.join(''), ...lines.filter((l) => l.length >= 40)] });
    }
    return list;
  };

  const files = (root: string, keep: (path: string) => boolean): string[] =>
    readdirSync(root).flatMap((name) => {
      const path = join(root, name);
      if (statSync(path).isDirectory()) return name === '.terraform' ? [] : files(path, keep);
      return keep(path) ? [path] : [];
    });

  test('the renewal ran: prepare, exchange and retire applied, cleanup waits for the end of retention', () => {
    assert.deepEqual(stageResults, [
      { stage: 'prepare-receiver', result: 'applied' },
      { stage: 'exchange-certificate', result: 'applied' },
      { stage: 'retire-old-key', result: 'applied' },
      { stage: 'cleanup', result: 'blocked' },
    ]);
    const trace = readFileSync(join(dir, 'logs', 'terraform-trace.log'), 'utf8');
    assert.match(trace, /\[TRACE\]/, 'the trace log was written');
    assert.ok(emulatorLog.length > 20, 'the emulators logged the requests');
  });

  test('no secret value appears in state, plan JSON, trace logs, emulator logs or the runbook', (t) => {
    const artefacts = [
      ...files(join(dir, 'state'), (p) => /\.tfstate(\.backup)?$/.test(p)),
      ...files(p12Dir, (p) => /\.tfstate(\.backup)?$/.test(p)),
      ...stackDirs.flatMap((d) => files(d, (p) => /tfplan.*\.json$/.test(p))),
      join(dir, 'logs', 'terraform-trace.log'),
      join(dir, 'logs', 'emulator.log'),
      runbookPath,
    ];
    const kinds = {
      state: artefacts.filter((p) => p.includes('.tfstate')).length,
      plans: artefacts.filter((p) => /tfplan.*\.json$/.test(p)).length,
    };
    assert.ok(kinds.state >= 4, `state files of every stage: ${kinds.state}`);
    assert.ok(kinds.plans >= 5, `plan JSON of every applied stage: ${kinds.plans}`);
    const all = secrets();
    assert.ok(all.filter((s) => s.name.startsWith('private key')).length >= 3, 'old, new and PKCS#12 keys');
    const leaks: string[] = [];
    let bytes = 0;
    for (const path of artefacts) {
      const text = readFileSync(path, 'utf8');
      bytes += text.length;
      for (const secret of all) {
        for (const form of secret.forms)
          if (text.includes(form)) leaks.push(`${secret.name} in ${relative(dir, path)}`);
      }
    }
    assert.deepEqual([...new Set(leaks)], []);
    // the search looks at what matters: the public certificates of the keys are there, only the secrets are not
    const state = readFileSync(
      artefacts.find((p) => p.includes('prepare-receiver') && p.endsWith('.tfstate'))!,
      'utf8',
    );
    assert.match(state, /BEGIN CERTIFICATE/);
    t.diagnostic(
      `secrets searched: ${all.length} values (${all.reduce((n, s) => n + s.forms.length, 0)} forms) in ${artefacts.length} files (${kinds.state} state, ${kinds.plans} plan JSON, trace log, emulator log, runbook; ${(bytes / 1e6).toFixed(1)} MB)`,
    );
  });

  test('the secrets are marked sensitive in the provider schema, so Terraform redacts them in plans', async () => {
    const schema = JSON.parse(
      (await ok(stackDirs[0]!, ['providers', 'schema', '-json'])).output.replace(/^[^{]*/, ''),
    ) as {
      provider_schemas: Record<
        string,
        { provider: { block: { attributes: Record<string, { sensitive?: boolean }> } } }
      >;
    };
    const attributes = Object.values(schema.provider_schemas)[0]!.provider.block.attributes;
    assert.equal(attributes.password?.sensitive, true);
    assert.equal(attributes.service_key?.sensitive, true);
  });
});
