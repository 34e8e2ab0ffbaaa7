// The declarative schema of a resource, data source or the provider itself: the one source of truth from which
// the gRPC schema (GetProviderSchema), the generated docs and the CDKTF bindings all come.
import { CpiError } from '../errors';
import { isObject, isUnknown, type CtyType, type CtyValue } from './cty';

export interface AttributeSpec {
  readonly type: CtyType;
  /** What the attribute means; for optional ones end with the default ("Defaults to `active`."). */
  readonly description: string;
  readonly required?: boolean;
  readonly optional?: boolean;
  readonly computed?: boolean;
  /** Hidden in plan output and logs; still stored in state unless also writeOnly. */
  readonly sensitive?: boolean;
  /** Terraform 1.11 write-only: given in config, never stored in plan or state. */
  readonly writeOnly?: boolean;
  /** Filled in by the provider at plan time when the configuration leaves the attribute out (needs optional+computed). */
  readonly default?: CtyValue;
  /** Changing this attribute replaces the object instead of updating it in place. */
  readonly requiresReplace?: boolean;
  readonly deprecated?: boolean;
  /**
   * The only values a string (or each element of a list or set of strings) may take. The runtime refuses others at
   * validate with CPI_VALUE_INVALID, and the docs and bindings list them.
   */
  readonly oneOf?: readonly string[];
}

export interface NestedBlockSpec {
  readonly nesting: 'single' | 'list' | 'set' | 'map' | 'group';
  readonly block: BlockSpec;
  readonly minItems?: number;
  readonly maxItems?: number;
}

export interface BlockSpec {
  readonly attributes: { readonly [name: string]: AttributeSpec };
  readonly blocks?: { readonly [name: string]: NestedBlockSpec };
}

export interface SchemaSpec {
  /** Bump when the stored state's shape changes; upgradeState then receives the older version. */
  readonly version: number;
  readonly description: string;
  readonly block: BlockSpec;
}

/** The description as users read it (docs, bindings, `terraform providers schema`): with the allowed values. */
export function attributeDescription(a: AttributeSpec): string {
  if (a.oneOf === undefined) return a.description;
  return `${a.description} Allowed values: ${a.oneOf.map((v) => `\`${v}\``).join(', ')}.`;
}

// Every RPC decodes and encodes values by their block's type: build it once per block, not on every call.
const blockTypes = new WeakMap<BlockSpec, CtyType>();

/** The cty object type that a block's values have on the wire (computed once per block; do not mutate it). */
export function blockType(block: BlockSpec): CtyType {
  let type = blockTypes.get(block);
  if (type === undefined) {
    type = buildBlockType(block);
    blockTypes.set(block, type);
  }
  return type;
}

function buildBlockType(block: BlockSpec): CtyType {
  const attrs: Record<string, CtyType> = {};
  for (const [name, attr] of Object.entries(block.attributes)) attrs[name] = attr.type;
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const inner = blockType(nested.block);
    attrs[name] =
      nested.nesting === 'single' || nested.nesting === 'group'
        ? inner
        : nested.nesting === 'map'
          ? ['map', inner]
          : [nested.nesting, inner];
  }
  // Frozen because the one instance is shared by every call.
  return Object.freeze(['object', Object.freeze(attrs)] as const);
}

const NESTING = { single: 'SINGLE', list: 'LIST', set: 'SET', map: 'MAP', group: 'GROUP' } as const;

/** The tfplugin6 `Schema.Block` message for a block (field names as in the .proto, keepCase). */
export function encodeBlock(block: BlockSpec, description = ''): object {
  return {
    version: 0,
    description,
    description_kind: 'PLAIN',
    deprecated: false,
    attributes: Object.entries(block.attributes).map(([name, a]) => ({
      name,
      type: Buffer.from(JSON.stringify(a.type)),
      description: attributeDescription(a),
      description_kind: 'PLAIN',
      required: Boolean(a.required),
      optional: Boolean(a.optional),
      computed: Boolean(a.computed),
      sensitive: Boolean(a.sensitive),
      deprecated: Boolean(a.deprecated),
      write_only: Boolean(a.writeOnly),
    })),
    block_types: Object.entries(block.blocks ?? {}).map(([name, nested]) => ({
      type_name: name,
      block: encodeBlock(nested.block),
      nesting: NESTING[nested.nesting],
      min_items: nested.minItems ?? 0,
      max_items: nested.maxItems ?? 0,
    })),
  };
}

export function encodeSchema(schema: SchemaSpec): object {
  return {
    version: schema.version,
    block: { ...encodeBlock(schema.block, schema.description), version: schema.version },
  };
}

/** Throws CPI_VALUE_INVALID for the first known value, in the block or its nested blocks, outside its `oneOf`. */
export function checkAllowedValues(block: BlockSpec, value: CtyValue, path: readonly (string | number)[] = []): void {
  if (!isObject(value)) return;
  for (const [name, attr] of Object.entries(block.attributes)) {
    if (attr.oneOf === undefined) continue;
    const v = value[name] ?? null;
    const items: [CtyValue, (string | number)[]][] = Array.isArray(v)
      ? v.map((item, i) => [item, [...path, name, i]])
      : [[v, [...path, name]]];
    for (const [item, at] of items) {
      if (typeof item === 'string' && !attr.oneOf.includes(item)) {
        const where = at
          .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
          .join('')
          .slice(1);
        throw new CpiError('CPI_VALUE_INVALID', `${where} "${item}" is not one of ${attr.oneOf.join(', ')}`, at);
      }
    }
  }
  for (const [name, nested] of Object.entries(block.blocks ?? {})) {
    const v = value[name];
    if (v === null || v === undefined || isUnknown(v)) continue;
    const items = Array.isArray(v)
      ? v.map((item, i) => [item, [...path, name, i]] as const)
      : [[v, [...path, name]] as const];
    for (const [item, at] of items) checkAllowedValues(nested.block, item as CtyValue, at);
  }
}

/** Attribute names whose values must not be kept in plan or state. */
export function writeOnlyAttributes(block: BlockSpec): string[] {
  return Object.entries(block.attributes)
    .filter(([, a]) => a.writeOnly)
    .map(([name]) => name);
}
