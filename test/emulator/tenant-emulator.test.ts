import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { isCpiError } from '../../src/errors';
import { startTenantEmulator } from '../../src/emulator/tenant-emulator';
import { makeCertificate } from './support/certificates';
import { eventually, Harness, hex } from './support/emulator-harness';

const certificate = makeCertificate('durable.example.test');

describe('tenant emulator: restart durability', () => {
  test('a restart keeps certificates, credentials and configuration, and completes a deploy that was in flight', async () => {
    const config = { iflows: [{ id: 'Flow', publicKeyAlias: 'receiver_enc' }], deployDelayMs: 400 };
    const first = await Harness.start(config);
    const { dataDir } = first;
    try {
      const put = await first.call(
        'PUT',
        `/CertificateResources('${hex('receiver_enc')}')/$value?fingerprintVerified=true&returnKeystoreEntries=false&update=false`,
        {
          headers: { 'content-type': 'application/pkix-cert' },
          body: certificate.pem,
        },
      );
      assert.equal(put.status, 204);
      const taskId = (await first.call('POST', "/DeployIntegrationDesigntimeArtifact?Id='Flow'&Version='active'")).text;
      const credentials = first.emulator.credentials;
      await first.close(true); // stops while the deploy is DEPLOYING

      const second = await Harness.start(config, { dataDir });
      try {
        assert.deepEqual(second.emulator.credentials.password, credentials.password);
        assert.deepEqual(second.emulator.credentials.clientSecret, credentials.clientSecret);
        const entry = await second.call('GET', `/KeystoreEntries('${hex('receiver_enc')}')`);
        assert.equal(entry.json.d.SubjectDN, 'CN=durable.example.test, O=Receiver Org, C=DE');
        await eventually(async () => {
          const status = (await second.call('GET', `/BuildAndDeployStatus(TaskId='${taskId}')`)).json.d.Status;
          return status === 'SUCCESS' ? status : undefined;
        });
        assert.equal(second.emulator.state.runtimeArtifacts()[0]?.status, 'STARTED');
        assert.deepEqual(readdirSync(dataDir), ['tenant-state.json'], 'no temporary file is left behind');
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });

  test('a bearer token issued before a restart still works after it', async () => {
    const first = await Harness.start();
    try {
      const { clientId, clientSecret, tokenUrl } = first.emulator.credentials;
      const response = await fetch(`${tokenUrl}?grant_type=client_credentials`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      });
      const { access_token } = (await response.json()) as { access_token: string };
      await first.close(true);
      const second = await Harness.start({}, { dataDir: first.dataDir });
      try {
        assert.equal((await second.call('GET', '/KeystoreEntries', { auth: { bearer: access_token } })).status, 200);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });
});

describe('tenant emulator: start-up checks', () => {
  test('refuses a host that is not loopback', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cpi-emulator-test-'));
    try {
      await assert.rejects(
        startTenantEmulator({ dataDir, host: '0.0.0.0' as '127.0.0.1' }),
        (error: unknown) =>
          isCpiError(error) && error.code === 'CPI_EMULATOR_CONFIG_INVALID' && /0\.0\.0\.0/.test(error.detail),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('reports an unreadable state file with its path', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'cpi-emulator-test-'));
    try {
      writeFileSync(join(dataDir, 'tenant-state.json'), '{"formatVersion":1,');
      await assert.rejects(
        startTenantEmulator({ dataDir }),
        (error: unknown) =>
          isCpiError(error) &&
          error.code === 'CPI_EMULATOR_STATE_UNREADABLE' &&
          error.detail.includes('tenant-state.json'),
      );
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('listens on 127.0.0.1 and answers unknown paths with an OData 404', async () => {
    const h = await Harness.start();
    try {
      assert.match(h.emulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const answer = await h.call('GET', '/NoSuchEntitySet', { unchecked: true });
      assert.equal(answer.status, 404);
      assert.equal(answer.json.error.code, 'Not Found');
    } finally {
      await h.close();
    }
  });
});
