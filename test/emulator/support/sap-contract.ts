// Checks emulator answers against SAP's Swagger definitions in test/fixtures/sap-api: finds the operation for a method
// and path, picks the response declared for the status, and validates the JSON body with ajv.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** SAP's API definitions, kept in the repository (origin and licence: test/fixtures/sap-api/README.md). */
export const SAP_API_DIR = join(import.meta.dirname, '../../fixtures/sap-api');

type Json = Record<string, any>;

/** One operation of a definition, with what a client generated from it reads. */
export interface Operation {
  readonly spec: string;
  readonly template: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly responses: Json;
  /** Path-level and operation-level parameters, references resolved. */
  readonly parameters: readonly Json[];
  readonly consumes: readonly string[];
  readonly produces: readonly string[];
}

/**
 * Swagger 2.0 has no `nullable`, yet SAP's own examples carry null (`"EllipticCurve": null`), and so does a tenant.
 * Scalars therefore also accept null here.
 */
function allowNullScalars(node: unknown, seen = new Set<unknown>()): void {
  if (!node || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  const schema = node as Json;
  if (typeof schema.type === 'string' && ['string', 'integer', 'number', 'boolean'].includes(schema.type)) {
    schema.type = [schema.type, 'null'];
  }
  for (const value of Object.values(schema)) allowNullScalars(value, seen);
}

/** `#/definitions/X` → `<spec>#/definitions/X`, so that ajv resolves it in the registered definitions. */
function qualifyRefs(node: unknown, specId: string): unknown {
  if (Array.isArray(node)) return node.map((item) => qualifyRefs(item, specId));
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `${specId}${value}`
        : qualifyRefs(value, specId),
    ]),
  );
}

function templatePattern(template: string): RegExp {
  const escaped = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]*?');
  return new RegExp(`^${escaped}$`);
}

const collectionOf = (definition: string): Json => ({
  type: 'object',
  properties: {
    d: { type: 'object', properties: { results: { type: 'array', items: { $ref: `#/definitions/${definition}` } } } },
  },
});
const entityOf = (definition: string): Json => ({
  type: 'object',
  properties: { d: { $ref: `#/definitions/${definition}` } },
});

/** A navigation property of an OData v2 entity: deferred (a link), or expanded (`$expand`) as `{results: […]}`. */
const navigationOf = (definition: string): Json => ({
  oneOf: [
    {
      type: 'object',
      required: ['__deferred'],
      properties: { __deferred: { type: 'object', required: ['uri'], properties: { uri: { type: 'string' } } } },
    },
    {
      type: 'object',
      required: ['results'],
      properties: { results: { type: 'array', items: { $ref: `#/definitions/${definition}` } } },
    },
  ],
});

/**
 * Operations whose success schema contradicts SAP's own example (and the OData v2 shape of the rest of the API);
 * their answers are validated against the schema that matches the example instead.
 */
const SPEC_DEFECTS: Record<string, Json> = {
  // the definition BuildAndDeployStatus already contains the `d` wrapper, and the response wraps it in another `d`
  "GET /BuildAndDeployStatus(TaskId='{taskId}')": { $ref: '#/definitions/com.sap.hci.api.BuildAndDeployStatus' },
  // declared as a KeystoreEntry collection; the example, and the description ("keystore properties"), are a Keystore
  "GET /Keystores('{KeystoreName}')": entityOf('com.sap.hci.api.Keystore'),
  // declared as a collection of KeystoreResource; the example is one KeystoreResource (the keystore file) in `d`
  "GET /KeystoreResources('{KeystoreName}')": entityOf('com.sap.hci.api.KeystoreResource'),
  // the package operations declare OData v4 shapes (`value`, no `d`); their examples are OData v2 like the rest
  'GET /IntegrationPackages': collectionOf('com.sap.hci.api.IntegrationPackage'),
  "GET /IntegrationPackages('{Id}')": entityOf('com.sap.hci.api.IntegrationPackage'),
  // declared as a bare IntegrationPackage; its example, like every entity answer of the API, is wrapped in `d`
  'POST /IntegrationPackages': entityOf('com.sap.hci.api.IntegrationPackage'),
  "GET /IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts": collectionOf(
    'com.sap.hci.api.IntegrationDesigntimeArtifact',
  ),
  "GET /IntegrationPackages('{Id}')/IntegrationDesigntimeArtifacts(Id='{ArtifactId}',Version='{ArtifactVersion}')":
    entityOf('com.sap.hci.api.IntegrationDesigntimeArtifact'),
  // declared in OData v4 shape (`value`) with EntryPoints/ApiDefinitions as plain arrays; the example is OData v2
  // (`d.results`, navigations deferred), and an expanded navigation of OData v2 is `{results: […]}`
  'GET /ServiceEndpoints': {
    type: 'object',
    properties: {
      d: {
        type: 'object',
        properties: {
          results: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                Name: { type: ['string', 'null'] },
                Id: { type: 'string' },
                Title: { type: 'string' },
                Version: { type: 'string' },
                Summary: { type: 'string' },
                Description: { type: 'string' },
                LastUpdated: { type: ['string', 'null'] },
                Protocol: { type: 'string' },
                EntryPoints: navigationOf('com.sap.hci.api.EntryPoint'),
                ApiDefinitions: navigationOf('com.sap.hci.api.Definition'),
              },
            },
          },
        },
      },
    },
  },
};

/**
 * Statuses the emulator answers where the definitions declare none: each is a decision marked UNCONFIRMED in the
 * coverage table of docs/emulator.md (a test holds the two together). Such an answer carries no body.
 */
export const UNDECLARED_STATUSES: Readonly<Record<string, readonly number[]>> = {
  "GET /IntegrationRuntimeArtifacts('{Id}')/ErrorInformation/$value": [204],
};

/**
 * A success body must carry the OData v2 envelope its schema describes: Swagger's `properties` alone would let
 * `{}` pass for `{"d":{"results":[…]}}`.
 */
function requireEnvelope(schema: Json): Json {
  const d = (schema.properties as Json | undefined)?.d as Json | undefined;
  if (!d) return schema;
  const results = (d.properties as Json | undefined)?.results;
  return {
    ...schema,
    required: ['d'],
    properties: { ...(schema.properties as Json), d: results ? { ...d, required: ['results'] } : d },
  };
}

/** The contract of both SAP APIs. */
export class SapContract {
  private readonly operations: Operation[] = [];
  private readonly ajv = new Ajv({ strict: false, validateFormats: false, validateSchema: false, allErrors: true });
  private readonly compiled = new Map<string, ValidateFunction>();

  static async load(): Promise<SapContract> {
    const contract = new SapContract();
    for (const name of ['SecurityContent', 'IntegrationContent']) {
      const raw = JSON.parse(readFileSync(join(SAP_API_DIR, `${name}.json`), 'utf8')) as Json;
      // resolve the `#/responses/...` and `#/parameters/...` indirections; circular definitions stay as $ref
      const spec = (await SwaggerParser.dereference(raw as never, { dereference: { circular: 'ignore' } })) as Json;
      allowNullScalars(spec);
      contract.ajv.addSchema(qualifyRefs({ definitions: spec.definitions }, name) as Json, name);
      for (const [template, item] of Object.entries(spec.paths as Json)) {
        for (const [method, operation] of Object.entries(item as Json)) {
          if (method === 'parameters') continue;
          const op = operation as Json;
          contract.operations.push({
            spec: name,
            template,
            method: method.toUpperCase(),
            pattern: templatePattern(template),
            responses: op.responses as Json,
            parameters: [
              ...(((item as Json).parameters as Json[] | undefined) ?? []),
              ...((op.parameters as Json[]) ?? []),
            ],
            consumes: (op.consumes as string[] | undefined) ?? (spec.consumes as string[] | undefined) ?? [],
            produces: (op.produces as string[] | undefined) ?? (spec.produces as string[] | undefined) ?? [],
          });
        }
      }
    }
    return contract;
  }

  /** The operation `METHOD template` exactly as the definitions spell it. */
  byName(name: string): Operation | undefined {
    return this.operations.find((op) => `${op.method} ${op.template}` === name);
  }

  /** Every operation of both definitions as `METHOD template`, with the definition it comes from. */
  list(): Array<{ spec: string; operation: string }> {
    return this.operations.map((op) => ({ spec: op.spec, operation: `${op.method} ${op.template}` }));
  }

  /** The operation for a request path below /api/v1 (decoded), preferring the most specific template. */
  operation(method: string, path: string): Operation | undefined {
    const matches = this.operations.filter((op) => op.method === method && op.pattern.test(path === '' ? '/' : path));
    return matches.sort(
      (a, b) => b.template.replace(/\{[^}]+\}/g, '').length - a.template.replace(/\{[^}]+\}/g, '').length,
    )[0];
  }

  /** Problems of one answer against the contract; empty when it conforms. */
  check(method: string, path: string, status: number, body: unknown): string[] {
    const op = this.operation(method, path);
    if (!op) return [`no operation ${method} ${path} in SAP's API definitions`];
    const name = `${method} ${op.template}`;
    if (op.responses[String(status)] === undefined && UNDECLARED_STATUSES[name]?.includes(status)) {
      return body === undefined ? [] : [`${name} ${status}: an undeclared status answers without a body`];
    }
    const declared = (op.responses[String(status)] ?? op.responses.default) as Json | undefined;
    if (!declared) return [`${name} does not declare status ${status}`];
    const defect = SPEC_DEFECTS[name];
    let schema = declared.schema as Json | undefined;
    if (!schema && status >= 400) schema = (op.responses.default as Json | undefined)?.schema as Json | undefined;
    if (defect && status < 300) schema = defect;
    if (!schema) return [];
    // a media answer (`type: file`, e.g. a bundle zip): JSON Schema cannot describe it; it must not be empty
    if (schema.type === 'file') return body === undefined ? [`${name} ${status}: the file answer is empty`] : [];
    if (status < 300) schema = requireEnvelope(schema);
    const key = `${op.spec} ${method} ${op.template} ${status}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(qualifyRefs(schema, op.spec) as Json);
      this.compiled.set(key, validate);
    }
    if (validate(body)) return [];
    return (validate.errors ?? []).map(
      (e) => `${method} ${op.template} ${status}: ${e.instancePath || '(body)'} ${e.message}`,
    );
  }

  /** Problems of a value against one definition of a spec (e.g. a KeystoreEntry carried inside an error). */
  checkDefinition(spec: string, definition: string, value: unknown): string[] {
    const key = `${spec} #/definitions/${definition}`;
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile({ $ref: `${spec}#/definitions/${definition}` });
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => `${definition}: ${e.instancePath || '(value)'} ${e.message}`);
  }

  /** SAP's JSON example for an operation and status, to check the checker. */
  example(method: string, template: string, status: number): unknown {
    const op = this.operations.find((o) => o.method === method && o.template === template);
    return (op?.responses[String(status)] as Json | undefined)?.examples?.['application/json'];
  }
}
