// Checks emulator answers against SAP's Swagger definitions in test/fixtures/sap-api: finds the operation for a method
// and path, picks the response declared for the status, and validates the JSON body with ajv.
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** SAP's API definitions, kept in the repository (origin and licence: test/fixtures/sap-api/README.md). */
export const SAP_API_DIR = join(import.meta.dirname, '../../fixtures/sap-api');

type Json = Record<string, any>;

interface Operation {
  readonly spec: string;
  readonly template: string;
  readonly method: string;
  readonly pattern: RegExp;
  readonly responses: Json;
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

/** Operations whose schema contradicts SAP's own example; validated against the definition that matches it. */
const SPEC_DEFECTS: Record<string, string> = {
  // the definition BuildAndDeployStatus already contains the `d` wrapper, and the response wraps it in another `d`
  "GET /BuildAndDeployStatus(TaskId='{taskId}')": 'com.sap.hci.api.BuildAndDeployStatus',
};

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
          contract.operations.push({
            spec: name,
            template,
            method: method.toUpperCase(),
            pattern: templatePattern(template),
            responses: (operation as Json).responses as Json,
          });
        }
      }
    }
    return contract;
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
    const declared = (op.responses[String(status)] ?? op.responses.default) as Json | undefined;
    if (!declared) return [`${method} ${op.template} does not declare status ${status}`];
    const defect = SPEC_DEFECTS[`${method} ${op.template}`];
    let schema = declared.schema as Json | undefined;
    if (!schema && status >= 400) schema = (op.responses.default as Json | undefined)?.schema as Json | undefined;
    if (defect && status < 300) schema = { $ref: `#/definitions/${defect}` };
    if (!schema) return [];
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

  /** SAP's JSON example for an operation and status, to check the checker. */
  example(method: string, template: string, status: number): unknown {
    const op = this.operations.find((o) => o.method === method && o.template === template);
    return (op?.responses[String(status)] as Json | undefined)?.examples?.['application/json'];
  }
}
