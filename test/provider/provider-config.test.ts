import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { tenantConnection } from '../../src/provider/provider-config';
import { isCpiError } from '../../src/errors';

const base = { tenant_url: 'http://127.0.0.1:4711', username: 'u', password: 'p' };

describe('provider configuration: request_timeout_seconds', () => {
  afterEach(() => {
    delete process.env.CPI_REQUEST_TIMEOUT_SECONDS;
  });

  test('leaves the client default (30 s) when neither the attribute nor CPI_REQUEST_TIMEOUT_SECONDS is set', async () => {
    assert.equal((await tenantConnection(base))!.timeoutMs, undefined);
  });

  test('takes the attribute, else CPI_REQUEST_TIMEOUT_SECONDS, in milliseconds', async () => {
    process.env.CPI_REQUEST_TIMEOUT_SECONDS = '2.5';
    assert.equal((await tenantConnection(base))!.timeoutMs, 2500);
    assert.equal((await tenantConnection({ ...base, request_timeout_seconds: 7 }))!.timeoutMs, 7000);
  });

  test('refuses a timeout that is not a positive number of seconds, naming the value and its source', async () => {
    process.env.CPI_REQUEST_TIMEOUT_SECONDS = 'soon';
    await assert.rejects(tenantConnection(base), (error) => {
      assert.ok(isCpiError(error), 'isCpiError(error)');
      assert.equal(error.code, 'CPI_PROVIDER_INVALID_CONFIG');
      assert.match(error.detail, /CPI_REQUEST_TIMEOUT_SECONDS "soon"/);
      return true;
    });
    await assert.rejects(tenantConnection({ ...base, request_timeout_seconds: 0 }), /request_timeout_seconds "0"/);
  });
});
