// Generates the L1 CDKTF bindings (constructs/bindings/*.ts) from the provider's own schema, so that the construct
// library and the provider cannot drift apart. Run `npx tsx scripts/generate-bindings.ts` after changing a schema;
// test/constructs/bindings.test.ts fails while the committed files differ from what this produces.
//
// `cdktf get` would need a registry and a running provider; reading the SchemaSpec directly needs neither.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cpiProvider } from '../src/provider/cpi-provider';
import type { CtyType } from '../src/provider/cty';
import {
  attributeDescription,
  type AttributeSpec,
  type BlockSpec,
  type NestedBlockSpec,
  type SchemaSpec,
} from '../src/provider/schema';
import { PROVIDER_NAMESPACE, PROVIDER_TYPE } from '../src/provider/install';

/** One schema to bind: the provider configuration, a resource or a data source. */
export interface BindingSource {
  readonly kind: 'provider' | 'resource' | 'data';
  /** The Terraform type name (`cpi_keystore_certificate`), or the provider's local name for `provider`. */
  readonly name: string;
  readonly schema: SchemaSpec;
}

export interface ProviderSchemas {
  readonly name: string;
  readonly version: string;
  readonly schema: SchemaSpec;
  readonly resources: readonly { readonly name: string; readonly schema: SchemaSpec }[];
  readonly dataSources: readonly { readonly name: string; readonly schema: SchemaSpec }[];
}

/** Every schema the bindings cover: the provider's own. */
export function bindingSources(provider: ProviderSchemas = cpiProvider): BindingSource[] {
  const resources = provider.resources;
  const sources: BindingSource[] = [
    { kind: 'provider', name: provider.name, schema: provider.schema },
    ...resources.map((r) => ({ kind: 'resource' as const, name: r.name, schema: r.schema })),
    ...provider.dataSources.map((d) => ({ kind: 'data' as const, name: d.name, schema: d.schema })),
  ];
  return sources.sort((a, b) =>
    a.kind === b.kind ? a.name.localeCompare(b.name) : KIND_ORDER[a.kind] - KIND_ORDER[b.kind],
  );
}

const KIND_ORDER = { provider: 0, resource: 1, data: 2 } as const;

const pascal = (snake: string): string =>
  snake
    .split(/[_-]/)
    .filter(Boolean)
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('');
const camel = (snake: string): string => {
  const p = pascal(snake);
  return p[0]!.toLowerCase() + p.slice(1);
};

// Members of TerraformResource / TerraformProvider / Construct that an attribute getter must not shadow.
const RESERVED = new Set([
  'node',
  'fqn',
  'count',
  'provider',
  'lifecycle',
  'forEach',
  'dependsOn',
  'connection',
  'provisioners',
  'alias',
  'friendlyUniqueId',
  'terraformResourceType',
  'terraformMetaArguments',
  'rawOverrides',
  'cdktfStack',
  'toString',
  'toTerraform',
  'toMetadata',
  'constructor',
  'config',
]);
const memberName = (attr: string): string => (RESERVED.has(camel(attr)) ? `${camel(attr)}Attribute` : camel(attr));

function docComment(text: string, indent: string): string {
  const safe = text.replace(/\*\//g, '*\\/').replace(/\s+/g, ' ').trim();
  return `${indent}/** ${safe} */\n`;
}

/** The TypeScript type a config value of this attribute accepts (a token is always accepted too). */
function inputType(spec: AttributeSpec): string {
  const type = spec.type;
  // Editors offer the allowed values; `string & {}` still takes a token, which is a string until synth.
  if (type === 'string' && spec.oneOf) return `${spec.oneOf.map((v) => `'${v}'`).join(' | ')} | (string & {})`;
  if (type === 'string') return 'string';
  if (type === 'number') return 'number';
  if (type === 'bool') return 'boolean | IResolvable';
  if (Array.isArray(type) && (type[0] === 'list' || type[0] === 'set')) {
    const inner = type[1] as CtyType;
    if (inner === 'string' || inner === 'number') return `${inner}[]`;
    return 'IResolvable';
  }
  if (Array.isArray(type) && type[0] === 'map') {
    const inner = type[1] as CtyType;
    if (inner === 'string' || inner === 'number' || inner === 'bool')
      return `Record<string, ${inner === 'bool' ? 'boolean' : inner}>`;
  }
  return 'IResolvable';
}

/** The getter body returning a token for this attribute. */
function getter(type: CtyType, attr: string): { type: string; body: string } {
  if (type === 'string') return { type: 'string', body: `this.getStringAttribute('${attr}')` };
  if (type === 'number') return { type: 'number', body: `this.getNumberAttribute('${attr}')` };
  if (type === 'bool') return { type: 'IResolvable', body: `this.getBooleanAttribute('${attr}')` };
  if (Array.isArray(type) && (type[0] === 'list' || type[0] === 'set') && type[1] === 'string') {
    return { type: 'string[]', body: `this.getListAttribute('${attr}')` };
  }
  if (Array.isArray(type) && (type[0] === 'list' || type[0] === 'set') && type[1] === 'number') {
    return { type: 'number[]', body: `this.getNumberListAttribute('${attr}')` };
  }
  if (Array.isArray(type) && type[0] === 'map' && type[1] === 'string') {
    return { type: 'Record<string, string>', body: `this.getStringMapAttribute('${attr}')` };
  }
  return { type: 'IResolvable', body: `this.interpolationForAttribute('${attr}')` };
}

const isInput = (a: AttributeSpec): boolean => Boolean(a.required || a.optional);

class FileWriter {
  readonly interfaces: string[] = [];
  readonly converters: string[] = [];

  /** Emits the interface and converter of a block; returns the interface name. */
  block(typeName: string, block: BlockSpec, extendsMeta: boolean, extraFields: readonly string[] = []): string {
    const lines: string[] = [];
    lines.push(`export interface ${typeName}${extendsMeta ? ' extends TerraformMetaArguments' : ''} {`);
    lines.push(...extraFields);
    const conv: string[] = [];
    for (const [attr, spec] of Object.entries(block.attributes)) {
      if (!isInput(spec)) continue;
      lines.push(docComment(attributeDescription(spec), '  ').trimEnd());
      lines.push(`  readonly ${camel(attr)}${spec.required ? '' : '?'}: ${inputType(spec)};`);
      conv.push(`    ${attr}: value.${camel(attr)},`);
    }
    for (const [name, nested] of Object.entries(block.blocks ?? {})) {
      const inner = this.block(`${typeName.replace(/Config$/, '')}${pascal(name)}`, nested.block, false);
      const required = (nested.minItems ?? 0) > 0;
      const many = nested.nesting === 'list' || nested.nesting === 'set';
      const mapped = nested.nesting === 'map';
      const type = many ? `${inner}[]` : mapped ? `Record<string, ${inner}>` : inner;
      lines.push(docComment(nestedDescription(name, nested), '  ').trimEnd());
      lines.push(`  readonly ${camel(name)}${required ? '' : '?'}: ${type};`);
      const expr = many
        ? `value.${camel(name)}?.map(${converterName(inner)})`
        : mapped
          ? `value.${camel(name)} === undefined ? undefined : Object.fromEntries(Object.entries(value.${camel(name)}).map(([k, v]) => [k, ${converterName(inner)}(v)]))`
          : `value.${camel(name)} === undefined ? undefined : ${converterName(inner)}(value.${camel(name)})`;
      conv.push(`    ${name}: ${expr},`);
    }
    lines.push('}');
    this.interfaces.push(lines.join('\n'));
    this.converters.push(
      [
        `function ${converterName(typeName)}(value: ${typeName}): Record<string, unknown> {`,
        '  return {',
        ...conv,
        '  };',
        '}',
      ].join('\n'),
    );
    return typeName;
  }
}

function nestedDescription(name: string, nested: NestedBlockSpec): string {
  const count = nested.nesting === 'single' || nested.nesting === 'group' ? 'one block' : `${nested.nesting} of blocks`;
  return `The \`${name}\` block (${count}${nested.minItems ? ', required' : ''}).`;
}

const converterName = (typeName: string): string => `${typeName[0]!.toLowerCase()}${typeName.slice(1)}ToTerraform`;

/** The file name of a source's binding, e.g. `keystore-certificate.ts`, `data-keystore-entry.ts`, `provider.ts`. */
export function bindingFileName(source: BindingSource, providerName = 'cpi'): string {
  if (source.kind === 'provider') return 'provider.ts';
  const bare = source.name.startsWith(`${providerName}_`) ? source.name.slice(providerName.length + 1) : source.name;
  return `${source.kind === 'data' ? 'data-' : ''}${bare.replace(/_/g, '-')}.ts`;
}

export function bindingClassName(source: BindingSource): string {
  if (source.kind === 'provider') return `${pascal(source.name)}Provider`;
  return `${source.kind === 'data' ? 'Data' : ''}${pascal(source.name)}`;
}

const HEADER =
  '// Generated by scripts/generate-bindings.ts from the provider schema. Do not edit: run `npx tsx scripts/generate-bindings.ts`.\n';

function renderBinding(source: BindingSource, provider: { name: string; version: string }): string {
  const className = bindingClassName(source);
  const configName = `${className}Config`;
  const writer = new FileWriter();
  const aliasField = [
    '  /** The provider alias, when one configuration uses several cpi providers (e.g. two tenants). */',
    '  readonly alias?: string;',
  ];
  writer.block(
    configName,
    source.schema.block,
    source.kind !== 'provider',
    source.kind === 'provider' ? aliasField : [],
  );
  const meta = `{ providerName: '${provider.name}', providerVersion: '${provider.version}' }`;
  const attrs = Object.entries(source.schema.block.attributes);
  const required =
    attrs.some(([, a]) => a.required) ||
    Object.values(source.schema.block.blocks ?? {}).some((b) => (b.minItems ?? 0) > 0);
  const configParam = `config: ${configName}${required ? '' : ` = {}`}`;

  const body: string[] = [];
  body.push(docComment(source.schema.description, '').trimEnd());
  if (source.kind === 'provider') {
    body.push(`export class ${className} extends TerraformProvider {`);
    body.push(`  static readonly tfResourceType = '${source.name}';`);
    body.push(`  private readonly config: ${configName};`);
    body.push('  private providerAlias?: string;');
    body.push('');
    body.push(`  constructor(scope: Construct, id: string, ${configParam}) {`);
    body.push(
      `    super(scope, id, { terraformResourceType: '${source.name}', terraformGeneratorMetadata: ${meta}, terraformProviderSource: '${PROVIDER_NAMESPACE}/${PROVIDER_TYPE}' });`,
    );
    body.push('    this.config = config;');
    body.push('    this.providerAlias = config.alias;');
    body.push('  }');
    body.push('');
    body.push('  // TerraformProvider declares alias as an accessor pair; a plain field would break its synthesis.');
    body.push('  override get alias(): string | undefined {');
    body.push('    return this.providerAlias;');
    body.push('  }');
    body.push('  override set alias(value: string | undefined) {');
    body.push('    this.providerAlias = value;');
    body.push('  }');
    body.push('');
    body.push('  protected override synthesizeAttributes(): Record<string, unknown> {');
    body.push(`    return { ...${converterName(configName)}(this.config), alias: this.providerAlias };`);
    body.push('  }');
    body.push('}');
  } else {
    const base = source.kind === 'resource' ? 'TerraformResource' : 'TerraformDataSource';
    body.push(`export class ${className} extends ${base} {`);
    body.push(`  static readonly tfResourceType = '${source.name}';`);
    body.push(`  private readonly config: ${configName};`);
    body.push('');
    body.push(`  constructor(scope: Construct, id: string, ${configParam}) {`);
    body.push('    super(scope, id, {');
    body.push(`      terraformResourceType: '${source.name}',`);
    body.push(`      terraformGeneratorMetadata: ${meta},`);
    body.push('      provider: config.provider,');
    body.push('      dependsOn: config.dependsOn,');
    body.push('      count: config.count,');
    body.push('      lifecycle: config.lifecycle,');
    body.push('      forEach: config.forEach,');
    if (source.kind === 'resource') {
      body.push('      provisioners: config.provisioners,');
      body.push('      connection: config.connection,');
    }
    body.push('    });');
    body.push('    this.config = config;');
    body.push('  }');
    for (const [attr, spec] of attrs) {
      const g = getter(spec.type, attr);
      body.push('');
      body.push(docComment(attributeDescription(spec), '  ').trimEnd());
      body.push(`  get ${memberName(attr)}(): ${g.type} {`);
      body.push(`    return ${g.body};`);
      body.push('  }');
    }
    body.push('');
    body.push('  protected override synthesizeAttributes(): Record<string, unknown> {');
    body.push(`    return ${converterName(configName)}(this.config);`);
    body.push('  }');
    body.push('}');
  }
  const baseImport =
    source.kind === 'provider'
      ? 'TerraformProvider'
      : source.kind === 'resource'
        ? 'TerraformResource'
        : 'TerraformDataSource';
  const usesResolvable = [...writer.interfaces, ...body].some((l) => l.includes('IResolvable'));
  const typeImports = [
    usesResolvable ? 'IResolvable' : '',
    source.kind !== 'provider' ? 'TerraformMetaArguments' : '',
  ].filter(Boolean);
  return [
    HEADER,
    `import { ${['Construct', baseImport].join(', ')}${typeImports.length ? `, ${typeImports.map((t) => `type ${t}`).join(', ')}` : ''} } from '../cdktf';`,
    '',
    writer.interfaces.reverse().join('\n\n'),
    '',
    writer.converters.join('\n\n'),
    '',
    body.join('\n'),
    '',
  ].join('\n');
}

/** Every binding file by name, plus `index.ts`; pure, so the freshness test can compare in memory. */
export function generateBindings(provider: ProviderSchemas = cpiProvider): Map<string, string> {
  const files = new Map<string, string>();
  const sources = bindingSources(provider);
  for (const source of sources) files.set(bindingFileName(source, provider.name), renderBinding(source, provider));
  const index = sources.map((s) => `export * from './${bindingFileName(s, provider.name).replace(/\.ts$/, '')}';`);
  files.set('index.ts', `${HEADER}${index.join('\n')}\n`);
  return files;
}

export const BINDINGS_DIR = resolve(__dirname, '../constructs/bindings');

/** The bindings in the project's prettier style, so that `prettier --check` passes on them as generated. */
export async function formattedBindings(dir = BINDINGS_DIR): Promise<Map<string, string>> {
  const prettier = await import('prettier');
  const out = new Map<string, string>();
  for (const [name, text] of generateBindings()) {
    const filepath = join(dir, name);
    const options = (await prettier.resolveConfig(filepath)) ?? {};
    out.set(name, await prettier.format(text, { ...options, filepath }));
  }
  return out;
}

/** Writes the bindings, removing files of types that no longer exist. */
export async function writeBindings(dir = BINDINGS_DIR): Promise<string[]> {
  const files = await formattedBindings(dir);
  mkdirSync(dir, { recursive: true });
  for (const name of readdirSync(dir)) if (name.endsWith('.ts') && !files.has(name)) rmSync(join(dir, name));
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return [...files.keys()];
}

if (process.argv[1] !== undefined && /generate-bindings\.ts$/.test(process.argv[1])) {
  void writeBindings().then((written) => {
    process.stdout.write(`wrote ${written.length} files to ${BINDINGS_DIR}: ${written.join(', ')}\n`);
  });
}
