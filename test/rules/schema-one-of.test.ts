// `oneOf` on a schema attribute: the runtime refuses other values, and users see the allowed values.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isCpiError } from '../../src/errors';
import { cpiProvider } from '../../src/provider/cpi-provider';
import { attributeDescription, checkAllowedValues, type BlockSpec } from '../../src/provider/schema';
import { UNKNOWN } from '../../src/provider/cty';
import { RECEIVER_KEY_ALGORITHMS } from '../../src/rules/receiver-key';

const block: BlockSpec = {
  attributes: {
    algorithm: { type: 'string', optional: true, oneOf: ['RSA-2048', 'RSA-4096'], description: 'Key algorithm.' },
    parties: { type: ['list', 'string'], optional: true, oneOf: ['a', 'b'], description: 'Parties.' },
  },
  blocks: {
    receiver: {
      nesting: 'single',
      block: { attributes: { kind: { type: 'string', required: true, oneOf: ['pkcs12'], description: 'Kind.' } } },
    },
  },
};

function refusal(value: Parameters<typeof checkAllowedValues>[1]) {
  try {
    checkAllowedValues(block, value);
  } catch (error) {
    assert.ok(isCpiError(error), 'isCpiError(error)');
    return { code: error.code, detail: error.detail, attribute: error.attribute };
  }
  return undefined;
}

describe('schema oneOf', { timeout: 5_000 }, () => {
  test('allowed, null and unknown values pass', () => {
    assert.equal(refusal({ algorithm: 'RSA-4096', parties: ['b', 'a'], receiver: { kind: 'pkcs12' } }), undefined);
    assert.equal(refusal({ algorithm: null, parties: UNKNOWN, receiver: null }), undefined);
  });
  test('a value outside the list is refused, naming the attribute, the value and the allowed values', () => {
    assert.deepEqual(refusal({ algorithm: 'RSA-1024', parties: null, receiver: null }), {
      code: 'CPI_VALUE_INVALID',
      detail: 'algorithm "RSA-1024" is not one of RSA-2048, RSA-4096',
      attribute: ['algorithm'],
    });
  });
  test('list elements and nested blocks are checked too', () => {
    assert.deepEqual(refusal({ algorithm: null, parties: ['a', 'c'], receiver: null })?.attribute, ['parties', 1]);
    assert.deepEqual(refusal({ algorithm: null, parties: null, receiver: { kind: 'jks' } }), {
      code: 'CPI_VALUE_INVALID',
      detail: 'receiver.kind "jks" is not one of pkcs12',
      attribute: ['receiver', 'kind'],
    });
  });
  test('the description users read lists the allowed values', () => {
    assert.equal(
      attributeDescription(block.attributes.algorithm!),
      'Key algorithm. Allowed values: `RSA-2048`, `RSA-4096`.',
    );
  });
  test('cpi_receiver_key.algorithm allows exactly the rules layer algorithms', () => {
    const receiverKey = cpiProvider.resources.find((r) => r.name === 'cpi_receiver_key')!;
    assert.deepEqual(receiverKey.schema.block.attributes.algorithm!.oneOf, RECEIVER_KEY_ALGORITHMS);
  });
});
