// The contract checker decides whether every other emulator test passes, so it is tested itself: it accepts SAP's
// own examples and refuses bodies that break the definitions.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sapContract } from './support/emulator-harness';

describe('SAP contract checker', () => {
  test("accepts SAP's own example responses", async () => {
    const contract = await sapContract();
    const examples: Array<[string, string, string, number]> = [
      ['GET', '/KeystoreEntries', '/KeystoreEntries', 200],
      ['GET', "/KeystoreEntries('{Hexalias}')", "/KeystoreEntries('313233')", 200],
      ['PUT', "/CertificateResources('{Hexalias}')/$value", "/CertificateResources('313233')/$value", 400],
      ['GET', '/IntegrationRuntimeArtifacts', '/IntegrationRuntimeArtifacts', 200],
      ['GET', "/BuildAndDeployStatus(TaskId='{taskId}')", "/BuildAndDeployStatus(TaskId='abc')", 200],
      ['GET', "/Keystores('{KeystoreName}')", "/Keystores('system')", 200],
      ['GET', '/IntegrationPackages', '/IntegrationPackages', 200],
      ['GET', "/IntegrationPackages('{Id}')", "/IntegrationPackages('P')", 200],
      [
        'GET',
        "/IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts",
        "/IntegrationPackages('P')/IntegrationDesigntimeArtifacts",
        200,
      ],
      [
        'GET',
        "/IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts(Id='{ArtifactId}',Version='{ArtifactVersion}')",
        "/IntegrationPackages('P')/IntegrationDesigntimeArtifacts(Id='a',Version='1.0.0')",
        200,
      ],
      [
        'GET',
        "/IntegrationDesigntimeArtifacts(Id='{Id}',Version='{Version}')/Configurations",
        "/IntegrationDesigntimeArtifacts(Id='a',Version='active')/Configurations",
        200,
      ],
    ];
    for (const [method, template, path, status] of examples) {
      const example = contract.example(method, template, status);
      assert.ok(example, `SAP has an example for ${method} ${template} ${status}`);
      assert.deepEqual(contract.check(method, path, status, example), [], `${method} ${template}`);
    }
  });

  test('refuses bodies that break the definitions, undeclared operations and statuses', async () => {
    const contract = await sapContract();
    assert.notDeepEqual(contract.check('GET', '/KeystoreEntries', 200, { d: { results: {} } }), []);
    assert.notDeepEqual(contract.check('GET', '/KeystoreEntries', 200, { d: { results: [{ KeySize: 'big' }] } }), []);
    assert.notDeepEqual(contract.check('GET', "/KeystoreEntries('41')", 404, { error: { code: 'Not Found' } }), []);
    assert.notDeepEqual(contract.check('GET', '/NoSuchSet', 200, {}), []);
    assert.notDeepEqual(contract.check('GET', '/KeystoreEntries', 418, {}), []);
    // the OData envelope is required, not only described
    assert.notDeepEqual(contract.check('GET', '/KeystoreEntries', 200, {}), []);
    assert.notDeepEqual(contract.check('GET', '/IntegrationPackages', 200, { d: {} }), []);
    assert.notDeepEqual(contract.check('GET', '/IntegrationPackages', 200, { value: [] }), []);
    // an undeclared status is accepted only where docs/emulator.md records the decision, and only without a body
    assert.deepEqual(
      contract.check('GET', "/IntegrationRuntimeArtifacts('x')/ErrorInformation/$value", 204, undefined),
      [],
    );
    assert.notDeepEqual(
      contract.check('GET', "/IntegrationRuntimeArtifacts('x')/ErrorInformation/$value", 204, {}),
      [],
    );
    assert.notDeepEqual(contract.check('GET', "/IntegrationRuntimeArtifacts('x')", 204, undefined), []);
  });
});
