// What a resource, a data source and the provider itself implement. The plugin runtime (provider-service.ts) turns
// Terraform's RPCs into these calls; resources see plain values and throw CpiError, never gRPC.
import type { CtyValue, ObjectValue } from './cty';
import type { Logger } from './logger';
import type { SchemaSpec } from './schema';

export type AttributePath = readonly (string | number)[];

export interface Diagnostic {
  readonly severity: 'error' | 'warning';
  readonly summary: string;
  readonly detail: string;
  readonly attribute?: AttributePath;
}

/** Handed to every call: cancellation (StopProvider or timeout), the log, and what ConfigureProvider produced. */
export interface CallContext<P = unknown> {
  readonly signal: AbortSignal;
  readonly log: Logger;
  /** The configured provider (e.g. the tenant client); throws CPI_PROVIDER_NOT_CONFIGURED if not configured. */
  provider(): P;
  /** Record a warning that Terraform shows after the operation. */
  warn(summary: string, detail: string, attribute?: AttributePath): void;
  /** The wall clock; tests of pure logic pass their own. */
  now(): Date;
}

export interface PlanRequest {
  /** null when the resource is being created. */
  readonly prior: ObjectValue | null;
  /** Terraform's proposal (config merged with prior computed values), with defaults applied; edit and return it. */
  readonly proposed: ObjectValue;
  readonly config: ObjectValue;
  /**
   * The resource's private state: bytes Terraform keeps beside the state and never shows, as the last plan of
   * the object that was applied left them (empty after an import, or when no plan set them).
   */
  readonly priorPrivate?: Uint8Array;
}

export interface PlanResult {
  readonly planned: ObjectValue;
  /** Extra attributes whose change forces replacement (beyond those marked requiresReplace in the schema). */
  readonly requiresReplace?: readonly string[];
  /** New private state, kept with the state once applied; the prior private state stays when absent. */
  readonly private?: Uint8Array;
}

export interface ResourceType<P = unknown> {
  readonly name: string;
  readonly schema: SchemaSpec;
  /** Checks of the configuration alone (values may be unknown). Throw CpiError or call ctx.warn. */
  validate?(config: ObjectValue, ctx: CallContext<P>): void | Promise<void>;
  /**
   * Refines the plan: computed values that are known now, plan-time checks against the remote system. The runtime
   * has already applied defaults, copied prior computed values on update and marked computed values unknown on
   * create.
   */
  plan?(request: PlanRequest, ctx: CallContext<P>): PlanResult | Promise<PlanResult>;
  create(planned: ObjectValue, ctx: CallContext<P>): Promise<ObjectValue>;
  /** Returns null when the object no longer exists (Terraform then plans to create it again). */
  read(state: ObjectValue, ctx: CallContext<P>): Promise<ObjectValue | null>;
  /**
   * The private state to keep with the state read() returned (see PlanRequest.priorPrivate); the prior private
   * state stays when absent or when it returns undefined.
   */
  readPrivate?(
    state: ObjectValue,
    priorPrivate: Uint8Array | undefined,
    ctx: CallContext<P>,
  ): Promise<Uint8Array | undefined>;
  update?(prior: ObjectValue, planned: ObjectValue, ctx: CallContext<P>): Promise<ObjectValue>;
  delete(state: ObjectValue, ctx: CallContext<P>): Promise<void>;
  /** Called when Terraform plans to destroy the object; throw to refuse (e.g. a key still under retention). */
  planDestroy?(prior: ObjectValue, ctx: CallContext<P>): void | Promise<void>;
  /** Reads an existing object given the import ID; the result is then refreshed with read(). */
  import?(id: string, ctx: CallContext<P>): Promise<ObjectValue>;
  /** Turns state stored by an older schema version into the current shape. */
  upgradeState?(version: number, state: Record<string, unknown>): ObjectValue;
}

export interface DataSourceType<P = unknown> {
  readonly name: string;
  readonly schema: SchemaSpec;
  validate?(config: ObjectValue, ctx: CallContext<P>): void | Promise<void>;
  read(config: ObjectValue, ctx: CallContext<P>): Promise<ObjectValue>;
}

export interface ProviderDefinition<P = unknown> {
  /** The local name; resource types start with `<name>_`. */
  readonly name: string;
  readonly version: string;
  readonly schema: SchemaSpec;
  /** Turns the provider configuration into what resources use (e.g. a tenant client). */
  configure(config: ObjectValue, ctx: Omit<CallContext<P>, 'provider'>): Promise<P>;
  /** Loaded lazily: schemas are needed at every start, implementations only when called. */
  readonly resources: readonly ResourceType<P>[];
  readonly dataSources: readonly DataSourceType<P>[];
}

export type { CtyValue, ObjectValue };
