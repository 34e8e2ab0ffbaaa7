import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_FAULTS, FaultInjector } from '../../src/emulator/faults';
import { Harness } from './support/emulator-harness';

async function setFaults(h: Harness, settings: unknown): Promise<Response> {
  return fetch(`${h.emulator.url}/emulator/faults`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${h.emulator.adminToken}` },
    body: JSON.stringify(settings),
  });
}

describe('fault injector', () => {
  test('the same seed gives the same faults; rates are honoured over many requests', () => {
    const settings = { ...DEFAULT_FAULTS, errorRates: { '500': 0.1, '429': 0.2 }, seed: 7 };
    const run = () => {
      const injector = new FaultInjector(settings);
      return Array.from({ length: 2000 }, () => injector.decide().status);
    };
    const first = run();
    assert.deepEqual(run(), first);
    const share = (code: number) => first.filter((s) => s === code).length / first.length;
    assert.ok(Math.abs(share(500) - 0.1) < 0.03, `500 share ${share(500)}`);
    assert.ok(Math.abs(share(429) - 0.2) < 0.03, `429 share ${share(429)}`);
  });

  test('expires CSRF tokens every N requests', () => {
    const injector = new FaultInjector({ ...DEFAULT_FAULTS, csrfTokenExpiryRequests: 3 });
    assert.deepEqual(
      Array.from({ length: 7 }, () => injector.decide().expireCsrfTokens),
      [false, false, true, false, false, true, false],
    );
  });
});

describe('fault injection over HTTP', () => {
  test('injects error statuses (429 with Retry-After) set at /emulator/faults, and stops when cleared', async () => {
    const h = await Harness.start();
    try {
      assert.equal((await setFaults(h, { errorRates: { '429': 1 } })).status, 200);
      const limited = await h.call('GET', '/KeystoreEntries');
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '1');
      await setFaults(h, { errorRates: { '500': 1 } });
      assert.equal((await h.call('GET', '/IntegrationRuntimeArtifacts')).status, 500);
      await setFaults(h, {});
      assert.equal((await h.call('GET', '/KeystoreEntries')).status, 200);
      assert.deepEqual(h.emulator.state.faults(), DEFAULT_FAULTS);
    } finally {
      await h.close();
    }
  });

  test('refuses invalid fault settings with 400', async () => {
    const h = await Harness.start();
    try {
      const answer = await setFaults(h, { errorRates: { '500': 2 } });
      assert.equal(answer.status, 400);
      assert.match(
        ((await answer.json()) as { error: { message: { value: string } } }).error.message.value,
        /errorRates/,
      );
    } finally {
      await h.close();
    }
  });

  test('adds latency and resets connections when configured', async () => {
    const h = await Harness.start({ faults: { latencyMs: 250 } });
    try {
      const started = Date.now();
      assert.equal((await h.call('GET', '/KeystoreEntries')).status, 200);
      assert.ok(Date.now() - started >= 240, 'answer came after the latency');
      await setFaults(h, { connectionResetRate: 1 });
      await assert.rejects(
        fetch(`${h.emulator.apiUrl}/KeystoreEntries`, { headers: { authorization: h.basicAuthorization() } }),
        // the connection closed with no answer at all: not a refused connection, not a malformed answer
        (e: unknown) => e instanceof TypeError && (e.cause as { code?: string } | undefined)?.code === 'UND_ERR_SOCKET',
      );
      assert.equal(h.emulator.state.faultCounts().connectionResets, 1, 'the emulator reset the connection');
    } finally {
      await h.close();
    }
  });

  test('invalidated CSRF tokens make the next write answer 403 Required until the client fetches again', async () => {
    const h = await Harness.start({ iflows: [{ id: 'Flow' }], faults: { csrfTokenExpiryRequests: 3 } });
    const deploy = "/DeployIntegrationDesigntimeArtifact?Id='Flow'&Version='active'";
    try {
      await h.fetchCsrf(); // request 1
      assert.equal((await h.call('POST', deploy)).status, 202); // request 2
      const refused = await h.call('POST', deploy); // request 3: every token expires first
      assert.equal(refused.status, 403);
      assert.equal(refused.headers.get('x-csrf-token'), 'Required');
      await h.fetchCsrf(); // request 4
      assert.equal((await h.call('POST', deploy)).status, 202); // request 5
    } finally {
      await h.close();
    }
  });
});

describe('fault injector: partial latency and counts', () => {
  test('delays only the share of requests that latencyRate gives, and counts every injected fault by kind', () => {
    const injector = new FaultInjector({
      ...DEFAULT_FAULTS,
      latencyMs: 1500,
      latencyRate: 0.1,
      errorRates: { '503': 0.1 },
      connectionResetRate: 0.05,
      csrfTokenExpiryRequests: 10,
      seed: 3,
    });
    const decisions = Array.from({ length: 2000 }, () => injector.decide());
    const delayed = decisions.filter((d) => d.latencyMs === 1500).length;
    assert.ok(Math.abs(delayed / 2000 - 0.1) < 0.03, `delayed share ${delayed / 2000}`);
    assert.ok(
      decisions.every((d) => d.latencyMs === 0 || d.latencyMs === 1500),
      'every latency is either none or the configured 1500 ms',
    );
    const counts = injector.counts;
    assert.equal(counts.delayed, delayed);
    assert.equal(counts.errors['503'], decisions.filter((d) => d.status === 503).length);
    assert.equal(counts.connectionResets, decisions.filter((d) => d.resetConnection).length);
    assert.equal(counts.csrfExpiries, 200);
  });

  test('a latency without a rate still delays every request, as before latencyRate existed', () => {
    const injector = new FaultInjector({ ...DEFAULT_FAULTS, latencyMs: 20 });
    assert.deepEqual(
      Array.from({ length: 5 }, () => injector.decide().latencyMs),
      [20, 20, 20, 20, 20],
    );
  });
});
