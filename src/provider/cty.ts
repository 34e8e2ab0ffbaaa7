// Terraform's value model (cty) as the provider sees it: types, and the JavaScript values that stand for them.
// Types travel on the wire as JSON (`"string"`, `["list","string"]`, `["object",{...}]`), so they are kept here in
// exactly that shape.

export type CtyType =
  | 'string'
  | 'number'
  | 'bool'
  | 'dynamic'
  | readonly ['list' | 'set' | 'map', CtyType]
  | readonly ['object', { readonly [name: string]: CtyType }]
  | readonly ['tuple', readonly CtyType[]];

/** Refinements Terraform 1.11 may attach to an unknown value (object-wire-format.md, msgpack ext 12). */
export interface Refinements {
  readonly notNull?: boolean;
  readonly stringPrefix?: string;
  readonly numberLowerBound?: { value: CtyNumber; inclusive: boolean };
  readonly numberUpperBound?: { value: CtyNumber; inclusive: boolean };
  readonly lengthLowerBound?: number;
  readonly lengthUpperBound?: number;
}

/** A value that is not known until apply. */
export class Unknown {
  constructor(readonly refinements: Refinements = {}) {}
}

export const UNKNOWN = new Unknown();

/** A number too large or too precise for a float64; kept as its decimal text so that nothing is rounded. */
export class BigDecimal {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type CtyNumber = number | bigint | BigDecimal;

export type CtyValue =
  null | Unknown | string | boolean | CtyNumber | CtyValue[] | { [name: string]: CtyValue } | Dynamic;

/** A value of a `dynamic` attribute: the concrete type travels with the value. */
export class Dynamic {
  constructor(
    readonly type: CtyType,
    readonly value: CtyValue,
  ) {}
}

export type ObjectValue = { [name: string]: CtyValue };

export function isUnknown(value: unknown): value is Unknown {
  return value instanceof Unknown;
}

/** True when the value or anything inside it is unknown. */
export function containsUnknown(value: CtyValue): boolean {
  if (value instanceof Unknown) return true;
  if (value instanceof Dynamic) return containsUnknown(value.value);
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (isObject(value)) return Object.values(value).some(containsUnknown);
  return false;
}

export function isObject(value: unknown): value is ObjectValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Unknown) &&
    !(value instanceof BigDecimal) &&
    !(value instanceof Dynamic)
  );
}

/** Structural equality of two values (sets compared as lists: callers keep a stable order). */
export function ctyEqual(a: CtyValue, b: CtyValue): boolean {
  if (a === b) return true;
  if (a instanceof Unknown || b instanceof Unknown) return false;
  if (a instanceof BigDecimal || b instanceof BigDecimal || typeof a === 'bigint' || typeof b === 'bigint') {
    return a !== null && b !== null && String(a) === String(b);
  }
  if (a instanceof Dynamic && b instanceof Dynamic) {
    return JSON.stringify(a.type) === JSON.stringify(b.type) && ctyEqual(a.value, b.value);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => ctyEqual(v, b[i]!));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && ctyEqual(a[k]!, b[k]!));
  }
  return false;
}
