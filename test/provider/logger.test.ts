import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, hclogTimestamp } from '../../src/provider/logger';

describe('hclog logger', () => {
  test('writes timestamps with exactly six fractional digits, which go-plugin needs to parse the line', () => {
    assert.match(
      hclogTimestamp(new Date('2026-11-26T09:14:32.123Z')),
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/,
    );
  });

  test('writes one JSON object per line with level, message, timestamp and fields', () => {
    const lines: string[] = [];
    createLogger((line) => lines.push(line), { '@module': 'provider.cpi' })
      .with({ resource: 'cpi_keystore_certificate' })
      .warn('slow tenant', { ms: 1200 });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'), "lines[0]!.endsWith('\\n')");
    const entry = JSON.parse(lines[0]!);
    assert.equal(entry['@level'], 'warn');
    assert.equal(entry['@message'], 'slow tenant');
    assert.equal(entry['@module'], 'provider.cpi');
    assert.equal(entry.resource, 'cpi_keystore_certificate');
    assert.equal(entry.ms, 1200);
  });
});
