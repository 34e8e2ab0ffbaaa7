// Checks HTTP requests against SAP's published API definitions (Swagger 2.0, test/fixtures/sap-api): that each
// matches an operation (method + path template) and sends its required query options, headers and a body of the
// declared schema. Test support for the tenant client's contract test; shares nothing with the client.
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';

/** SAP's API definitions, kept in the repository (origin and licence: test/fixtures/sap-api/README.md). */
export const SAP_API_DIR = join(__dirname, '../fixtures/sap-api');

interface Param {
  name: string;
  in: 'query' | 'header' | 'path' | 'body' | 'formData';
  required?: boolean;
  type?: string;
  enum?: unknown[];
  items?: { type?: string; enum?: unknown[] };
  default?: unknown;
  schema?: Record<string, unknown>;
}

interface Operation {
  readonly api: string;
  readonly method: string;
  readonly template: string;
  readonly regex: RegExp;
  readonly literalLength: number;
  readonly params: Param[];
  readonly consumes?: string[];
  readonly responses: Record<string, { examples?: Record<string, unknown> }>;
}

/** A request as the fake server recorded it; `path` is below the service root (`/KeystoreEntries`). */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/**
 * Query options the definitions do not list but SAP documents for every collection (SAP Help "query options":
 * the next link of a 1000-entry page carries `$skiptoken`).
 */
const DOCUMENTED_EXTRA_QUERY = new Set(['$skiptoken']);

function templateRegex(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '([^/]+?)' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

export class SapApiContract {
  private constructor(
    private readonly operations: Operation[],
    private readonly ajv: Ajv,
  ) {}

  static async load(files = ['SecurityContent.json', 'IntegrationContent.json']): Promise<SapApiContract> {
    const operations: Operation[] = [];
    for (const file of files) {
      // dereference only: IntegrationContent.json does not pass strict Swagger validation (one of SAP's own
      // path parameters is misnamed), but every operation the client uses is well-formed
      const api = (await SwaggerParser.dereference(join(SAP_API_DIR, file))) as unknown as {
        paths: Record<string, Record<string, unknown>>;
        consumes?: string[];
      };
      for (const [template, item] of Object.entries(api.paths)) {
        const shared = (item.parameters as Param[] | undefined) ?? [];
        for (const [method, raw] of Object.entries(item)) {
          if (method === 'parameters') continue;
          const op = raw as { parameters?: Param[]; consumes?: string[]; responses: Operation['responses'] };
          const own = op.parameters ?? [];
          const params = [...own, ...shared.filter((s) => !own.some((o) => o.name === s.name && o.in === s.in))];
          operations.push({
            api: file,
            method: method.toUpperCase(),
            template,
            regex: templateRegex(template),
            literalLength: template.replace(/\{[^}]+\}/g, '').length,
            params,
            consumes: op.consumes ?? api.consumes,
            responses: op.responses,
          });
        }
      }
    }
    return new SapApiContract(operations, new Ajv({ strict: false, allErrors: true, validateFormats: false }));
  }

  /** The operation a request addresses: same method, matching template, the most literal one when several match. */
  match(method: string, path: string): Operation | undefined {
    const decoded = decodeURIComponent(path);
    return this.operations
      .filter((op) => op.method === method && op.regex.test(decoded))
      .sort((a, b) => b.literalLength - a.literalLength)[0];
  }

  /** The JSON example SAP gives for a response of an operation. */
  example(method: string, template: string, status: string): unknown {
    const op = this.operations.find((o) => o.method === method && o.template === template);
    return op?.responses[status]?.examples?.['application/json'];
  }

  /** Every way a request departs from the definitions; empty when it conforms. */
  check(req: RecordedRequest): string[] {
    const where = `${req.method} ${req.path}${req.query.size ? `?${req.query}` : ''}`;
    const op = this.match(req.method, req.path);
    if (!op) return [`${where}: no operation with this method and path in the SAP API definitions`];
    const problems: string[] = [];
    const say = (text: string): void => {
      problems.push(`${where} [${op.api} ${op.method} ${op.template}]: ${text}`);
    };
    const header = (name: string): string | undefined => {
      const value = req.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    };

    if (!/^(Basic|Bearer) \S+/.test(header('authorization') ?? '')) say('no Authorization header');

    const pathValues = op.regex.exec(decodeURIComponent(req.path))!.slice(1);
    const pathParams = [...op.template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    pathParams.forEach((name, i) => {
      const value = pathValues[i] ?? '';
      if (value === '') say(`path parameter ${name} is empty`);
      if (name === 'Hexalias' && !/^([0-9A-F]{2})+$/.test(value))
        say(`Hexalias "${value}" is not upper-case even-length hex`);
    });

    for (const key of new Set(req.query.keys())) {
      const param = op.params.find((p) => p.in === 'query' && p.name === key);
      if (!param) {
        if (!DOCUMENTED_EXTRA_QUERY.has(key)) say(`query option "${key}" is not declared`);
        continue;
      }
      const value = req.query.get(key)!;
      const problem = valueProblem(param, value);
      if (problem) say(`query option ${key}=${value}: ${problem}`);
    }
    for (const param of op.params) {
      if (param.in === 'query' && param.required && !req.query.has(param.name))
        say(`required query option "${param.name}" is missing`);
      if (param.in !== 'header') continue;
      const value = header(param.name);
      if (value === undefined) {
        if (param.required) say(`required header ${param.name} is missing`);
        continue;
      }
      const expected = typeof param.default === 'string' ? param.default : undefined;
      if (expected && /^(accept|content-type)$/i.test(param.name) && !mediaTypesMatch(value, expected)) {
        say(`header ${param.name}: "${value}" where the definition expects "${expected}"`);
      }
      if (expected === 'Fetch' && value !== 'Fetch') say(`header ${param.name}: "${value}", expected "Fetch"`);
    }

    const bodyParam = op.params.find((p) => p.in === 'body');
    if (req.body.length > 0 && !bodyParam) say('sends a body, but the operation declares none');
    if (bodyParam && req.body.length > 0) {
      const schema = bodyParam.schema ?? {};
      if (schema.type === 'string') {
        if (/-----BEGIN/.test(req.body))
          say('body carries PEM armour; the definition asks for DER or base64 DER without header/footer');
      } else {
        let parsed: unknown;
        try {
          parsed = JSON.parse(req.body);
        } catch {
          say('body is not JSON');
        }
        if (parsed !== undefined) {
          const validate = this.ajv.compile(schema);
          if (!validate(parsed)) say(`body does not match the schema: ${this.ajv.errorsText(validate.errors)}`);
        }
        const contentType = header('content-type');
        if (
          !op.params.some((p) => p.in === 'header' && /^content-type$/i.test(p.name)) &&
          op.consumes &&
          !op.consumes.some((c) => mediaTypesMatch(contentType ?? '', c))
        ) {
          say(`Content-Type "${contentType}" is not one of ${op.consumes.join(', ')}`);
        }
      }
    }
    if (bodyParam && (bodyParam.required ?? false) && req.body.length === 0) say('required body is missing');
    return problems;
  }
}

function valueProblem(param: Param, value: string): string | undefined {
  const allowed = (param.type === 'array' ? param.items?.enum : param.enum)?.map(String);
  const values = param.type === 'array' ? value.split(',') : [value];
  const itemType = param.type === 'array' ? param.items?.type : param.type;
  for (const v of values) {
    if (allowed && !allowed.includes(v)) return `"${v}" is not one of ${allowed.join(', ')}`;
    if (itemType === 'boolean' && v !== 'true' && v !== 'false') return `"${v}" is not a boolean`;
    if (itemType === 'integer' && !/^\d+$/.test(v)) return `"${v}" is not an integer`;
  }
  return undefined;
}

function mediaTypesMatch(actual: string, expected: string): boolean {
  const base = (value: string): string => value.split(';')[0]!.trim().toLowerCase();
  return actual.split(',').some((part) => base(part) === base(expected));
}
