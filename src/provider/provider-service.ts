// The tfplugin6 Provider service: turns Terraform's RPCs into calls on the provider definition's resources and data
// sources. Everything protocol-shaped (DynamicValues, diagnostics, requires_replace paths, write-only and
// unknown handling) lives here so that resources deal only in plain values and CpiError.
import { decodeJson, decodeMsgpack, encodeMsgpack } from './codec';
import { UNKNOWN, Unknown, ctyEqual, isObject, type CtyValue, type ObjectValue } from './cty';
import { toDiagnostic, type WireDiagnostic } from './diagnostics';
import type { Logger } from './logger';
import type { CallContext, DataSourceType, Diagnostic, PlanResult, ProviderDefinition, ResourceType } from './resource';
import { blockType, checkAllowedValues, encodeBlock, encodeSchema, type BlockSpec, type SchemaSpec } from './schema';
import { CpiError } from '../errors';

interface DynamicValue {
  msgpack?: Uint8Array;
  json?: Uint8Array;
}

type Handler = (request: Record<string, unknown>) => Promise<Record<string, unknown>>;

/** Default limit for any single operation, so that a hung remote system cannot hold a pipeline forever. */
const DEFAULT_OPERATION_TIMEOUT_MS = 30 * 60_000;

export class ProviderService<P> {
  private configured: P | undefined;
  /** The cancellation of every operation in flight that has looked at its signal, so that StopProvider reaches it. */
  private readonly inFlight = new Set<AbortController>();
  private readonly resources: ReadonlyMap<string, ResourceType<P>>;
  private readonly dataSources: ReadonlyMap<string, DataSourceType<P>>;

  constructor(
    private readonly definition: ProviderDefinition<P>,
    private readonly log: Logger,
  ) {
    this.resources = new Map(definition.resources.map((r) => [r.name, r]));
    this.dataSources = new Map(definition.dataSources.map((d) => [d.name, d]));
  }

  /** Set by StopProvider; operations that start afterwards are cancelled from the start. */
  private stopped: CpiError | undefined;

  /**
   * StopProvider: cancel everything in flight, and everything that starts later. Terraform sends it on Ctrl-C and
   * then only waits for the process to finish; an apply whose RPC crossed the StopProvider on the wire must not run
   * on for its whole timeout (terraform-plugin-go's StopContext is final in the same way).
   */
  stop(): void {
    this.stopped = new CpiError('CPI_PROVIDER_INTERRUPTED', 'Terraform asked the provider to stop');
    for (const operation of this.inFlight) operation.abort(this.stopped);
  }

  /** The gRPC method implementations, by RPC name. */
  handlers(): Record<string, Handler> {
    return {
      GetMetadata: async () => ({
        server_capabilities: this.capabilities(),
        resources: this.definition.resources.map((r) => ({ type_name: r.name })),
        data_sources: this.definition.dataSources.map((d) => ({ type_name: d.name })),
        diagnostics: [],
      }),
      GetProviderSchema: async () => ({
        provider: encodeSchema(this.definition.schema),
        resource_schemas: Object.fromEntries(this.definition.resources.map((r) => [r.name, encodeSchema(r.schema)])),
        data_source_schemas: Object.fromEntries(
          this.definition.dataSources.map((d) => [d.name, encodeSchema(d.schema)]),
        ),
        provider_meta: { version: 0, block: encodeBlock({ attributes: {} }) },
        server_capabilities: this.capabilities(),
        diagnostics: [],
      }),
      GetFunctions: async () => ({ functions: {}, diagnostics: [] }),
      ValidateProviderConfig: (req) =>
        this.run(async (ctx) => {
          const config = this.decode(req.config, this.definition.schema.block);
          checkAllowedValues(this.definition.schema.block, config);
          void ctx;
        }),
      ConfigureProvider: (req) =>
        this.run(async (ctx) => {
          const config = this.decode(req.config, this.definition.schema.block) as ObjectValue;
          this.configured = await this.definition.configure(config, ctx);
        }),
      ValidateResourceConfig: (req) =>
        this.run(async (ctx) => {
          const type = this.resource(req.type_name);
          const config = this.decode(req.config, type.schema.block) as ObjectValue;
          checkAllowedValues(type.schema.block, config);
          await type.validate?.(config, ctx);
        }),
      ValidateDataResourceConfig: (req) =>
        this.run(async (ctx) => {
          const type = this.dataSource(req.type_name);
          const config = this.decode(req.config, type.schema.block) as ObjectValue;
          checkAllowedValues(type.schema.block, config);
          await type.validate?.(config, ctx);
        }),
      UpgradeResourceState: (req) =>
        this.run(async () => {
          const type = this.resource(req.type_name);
          const raw = req.raw_state as { json?: Uint8Array };
          if (!raw?.json || raw.json.length === 0) {
            throw new CpiError(
              'CPI_PROVIDER_STATE_UPGRADE',
              `${type.name}: the stored state is not JSON (flatmap state from Terraform < 0.12 is not supported)`,
            );
          }
          const version = Number(req.version ?? 0);
          const upgraded =
            version === type.schema.version
              ? decodeJson(raw.json, blockType(type.schema.block))
              : this.upgrade(type, version, raw.json);
          return { upgraded_state: this.encode(upgraded, type.schema.block) };
        }),
      ReadResource: (req) =>
        this.run(async (ctx) => {
          const type = this.resource(req.type_name);
          const state = this.decode(req.current_state, type.schema.block);
          if (!isObject(state)) return { new_state: this.encode(null, type.schema.block), private: req.private };
          const fresh = await type.read(state, ctx);
          const refreshed =
            fresh && type.readPrivate ? await type.readPrivate(fresh, privateBytes(req.private), ctx) : undefined;
          return {
            new_state: this.encode(fresh && this.complete(fresh, type.schema.block), type.schema.block),
            private: refreshed ?? req.private,
          };
        }),
      PlanResourceChange: (req) =>
        this.run(async (ctx) => {
          const type = this.resource(req.type_name);
          const block = type.schema.block;
          const prior = this.decode(req.prior_state, block);
          const proposed = this.decode(req.proposed_new_state, block);
          const config = this.decode(req.config, block);
          if (!isObject(proposed)) {
            // destroy: the resource may refuse (e.g. a key still under retention)
            if (isObject(prior)) await type.planDestroy?.(prior, ctx);
            return { planned_state: this.encode(null, block), planned_private: req.prior_private };
          }
          const result = await this.plan(
            type,
            isObject(prior) ? prior : null,
            proposed,
            config as ObjectValue,
            privateBytes(req.prior_private),
            ctx,
          );
          return {
            planned_state: this.encode(result.planned, block),
            requires_replace: result.requiresReplace.map((name) => ({ steps: [{ attribute_name: name }] })),
            planned_private: result.private ?? req.prior_private,
          };
        }),
      ApplyResourceChange: (req) =>
        this.run(async (ctx) => {
          const type = this.resource(req.type_name);
          const block = type.schema.block;
          const prior = this.decode(req.prior_state, block);
          const planned = this.decode(req.planned_state, block);
          const config = this.decode(req.config, block);
          if (!isObject(planned)) {
            if (isObject(prior)) await type.delete(prior, ctx);
            return { new_state: this.encode(null, block), private: new Uint8Array() };
          }
          const withSecrets = this.withWriteOnly(planned, config, block);
          const result =
            isObject(prior) && type.update
              ? await type.update(prior, withSecrets, ctx)
              : await type.create(withSecrets, ctx);
          return { new_state: this.encode(this.complete(result, block), block), private: req.planned_private };
        }),
      ImportResourceState: (req) =>
        this.run(async (ctx) => {
          const type = this.resource(req.type_name);
          if (!type.import) {
            throw new CpiError('CPI_IMPORT_ID_INVALID', `${type.name} cannot be imported`);
          }
          const state = await type.import(String(req.id ?? ''), ctx);
          return {
            imported_resources: [
              {
                type_name: type.name,
                state: this.encode(this.complete(state, type.schema.block), type.schema.block),
                private: new Uint8Array(),
              },
            ],
          };
        }),
      MoveResourceState: (req) =>
        this.run(async () => {
          throw new CpiError(
            'CPI_PROVIDER_UNKNOWN_TYPE',
            `moving state from ${String(req.source_type_name)} to ${String(req.target_type_name)} is not supported`,
          );
        }),
      ReadDataSource: (req) =>
        this.run(async (ctx) => {
          const type = this.dataSource(req.type_name);
          const config = this.decode(req.config, type.schema.block) as ObjectValue;
          const state = await type.read(config, ctx);
          return { state: this.encode(this.complete(state, type.schema.block), type.schema.block) };
        }),
      StopProvider: async () => {
        this.stop();
        return { Error: '' };
      },
    };
  }

  private capabilities() {
    // get_provider_schema_optional: the schema is fixed per build and no RPC depends on GetProviderSchema having
    // been called, so each of a command's later launches may use the schema Terraform already holds
    return { plan_destroy: true, get_provider_schema_optional: true, move_resource_state: false };
  }

  /** Runs one RPC body and turns whatever it throws (or warns) into diagnostics; never a bare gRPC error. */
  private async run(
    body: (ctx: CallContext<P>) => Promise<Record<string, unknown> | void>,
  ): Promise<Record<string, unknown>> {
    const warnings: Diagnostic[] = [];
    // The signal is made on first use: most calls (validate, upgrade, the test provider's reads) never look at it,
    // and a controller plus a timer for each of a plan's thousands of calls is a measurable share of its time.
    let operation: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    let finished = false;
    const inFlight = this.inFlight;
    const stopped = () => this.stopped;
    const ctx: CallContext<P> = {
      get signal() {
        if (!operation) {
          const controller = new AbortController();
          const reason = stopped();
          if (reason) controller.abort(reason);
          // A signal first asked for after the call has answered is never aborted: nothing is left to cancel.
          if (!finished) {
            timer = setTimeout(
              () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
              DEFAULT_OPERATION_TIMEOUT_MS,
            ).unref();
            inFlight.add(controller);
          }
          operation = controller;
        }
        return operation.signal;
      },
      log: this.log,
      now: () => new Date(),
      warn: (summary, detail, attribute) => warnings.push({ severity: 'warning', summary, detail, attribute }),
      provider: () => {
        if (this.configured === undefined) {
          throw new CpiError('CPI_PROVIDER_NOT_CONFIGURED', 'ConfigureProvider has not completed successfully');
        }
        return this.configured;
      },
    };
    let response: Record<string, unknown> = {};
    const diagnostics: WireDiagnostic[] = [];
    try {
      response = (await body(ctx)) ?? {};
    } catch (error) {
      const signal = operation?.signal;
      const reason = signal?.aborted && !(error instanceof CpiError) ? signal.reason : error;
      diagnostics.push(toDiagnostic(reason));
      if (!(reason instanceof CpiError)) {
        this.log.error('operation failed', { error: reason instanceof Error ? reason.stack : String(reason) });
      }
    } finally {
      finished = true;
      if (operation) {
        clearTimeout(timer);
        inFlight.delete(operation);
      }
    }
    diagnostics.push(...warnings.map(toDiagnostic));
    return { ...response, diagnostics };
  }

  private resource(name: unknown): ResourceType<P> {
    const found = this.resources.get(String(name));
    if (!found) throw new CpiError('CPI_PROVIDER_UNKNOWN_TYPE', `resource type ${String(name)}`);
    return found;
  }

  private dataSource(name: unknown): DataSourceType<P> {
    const found = this.dataSources.get(String(name));
    if (!found) throw new CpiError('CPI_PROVIDER_UNKNOWN_TYPE', `data source ${String(name)}`);
    return found;
  }

  private decode(value: unknown, block: BlockSpec): CtyValue {
    const dv = (value ?? {}) as DynamicValue;
    if (dv.msgpack && dv.msgpack.length > 0) return decodeMsgpack(dv.msgpack, blockType(block));
    if (dv.json && dv.json.length > 0) return decodeJson(dv.json, blockType(block));
    return null;
  }

  private encode(value: CtyValue, block: BlockSpec): DynamicValue {
    return { msgpack: encodeMsgpack(value, blockType(block)) };
  }

  private upgrade(type: ResourceType<P>, version: number, json: Uint8Array): CtyValue {
    if (!type.upgradeState || version > type.schema.version) {
      throw new CpiError(
        'CPI_PROVIDER_STATE_UPGRADE',
        `${type.name}: state has schema version ${version}, this provider writes version ${type.schema.version}`,
      );
    }
    return type.upgradeState(version, JSON.parse(new TextDecoder().decode(json)) as Record<string, unknown>);
  }

  /**
   * The generic part of planning: defaults for unset optional attributes, unknown computed values on create or
   * when an input changed, write-only values never planned, replacement when a requiresReplace attribute changes.
   */
  private async plan(
    type: ResourceType<P>,
    prior: ObjectValue | null,
    proposed: ObjectValue,
    config: ObjectValue,
    priorPrivate: Uint8Array | undefined,
    ctx: CallContext<P>,
  ): Promise<{ planned: ObjectValue; requiresReplace: string[]; private?: Uint8Array }> {
    const shape = planShape(type.schema.block);
    const planned: ObjectValue = { ...proposed };
    for (const name of shape.writeOnly) planned[name] = null;
    for (const [name, value] of shape.defaults) if (config[name] === null) planned[name] = value;
    // Computed values not set by the configuration are unknown on create; on update, computed-only values are
    // unknown when an input changed (the resource's plan() fills in those it can know now).
    const inputChanged =
      prior !== null && shape.inputs.some((name) => !ctyEqual(planned[name] ?? null, prior[name] ?? null));
    for (const [name, optional] of shape.unsetComputed) {
      if (config[name] !== null) continue;
      if (prior === null || (inputChanged && !optional)) planned[name] = UNKNOWN;
    }
    const refined: PlanResult = type.plan
      ? await type.plan({ prior, proposed: planned, config, ...(priorPrivate ? { priorPrivate } : {}) }, ctx)
      : { planned };
    const requiresReplace = new Set(refined.requiresReplace ?? []);
    if (prior !== null) {
      for (const name of shape.requiresReplace) {
        if (!ctyEqual(refined.planned[name] ?? null, prior[name] ?? null)) requiresReplace.add(name);
      }
    }
    return {
      planned: refined.planned,
      requiresReplace: [...requiresReplace],
      ...(refined.private ? { private: refined.private } : {}),
    };
  }

  /** The planned object with the write-only values from config put back, for create and update only. */
  private withWriteOnly(planned: ObjectValue, config: CtyValue, block: BlockSpec): ObjectValue {
    if (!isObject(config)) return planned;
    const out = { ...planned };
    for (const [name, attr] of Object.entries(block.attributes)) if (attr.writeOnly) out[name] = config[name] ?? null;
    return out;
  }

  /** A result as Terraform accepts it: every attribute present, no write-only value, no unknown left over. */
  private complete(value: ObjectValue, block: BlockSpec): ObjectValue {
    const out: ObjectValue = {};
    for (const [name, attr] of Object.entries(block.attributes)) {
      const v = value[name] ?? null;
      out[name] = attr.writeOnly || v instanceof Unknown ? null : v;
    }
    for (const name of Object.keys(block.blocks ?? {})) out[name] = value[name] ?? null;
    return out;
  }
}

export type { SchemaSpec };

/** What the generic part of planning needs to know of a block's attributes, listed once per block. */
interface PlanShape {
  readonly writeOnly: readonly string[];
  readonly defaults: readonly (readonly [string, CtyValue])[];
  /** Attributes the configuration sets (required or optional) and nested blocks: a change of one is an input change. */
  readonly inputs: readonly string[];
  /** Computed, not write-only, without a default: [name, optional]. */
  readonly unsetComputed: readonly (readonly [string, boolean])[];
  readonly requiresReplace: readonly string[];
}

const planShapes = new WeakMap<BlockSpec, PlanShape>();

function planShape(block: BlockSpec): PlanShape {
  let shape = planShapes.get(block);
  if (shape === undefined) {
    const attrs = Object.entries(block.attributes);
    shape = {
      writeOnly: attrs.filter(([, a]) => a.writeOnly).map(([name]) => name),
      defaults: attrs
        .filter(([, a]) => !a.writeOnly && a.default !== undefined)
        .map(([name, a]) => [name, a.default!] as const),
      inputs: [
        ...attrs.filter(([, a]) => !a.computed || a.optional).map(([name]) => name),
        ...Object.keys(block.blocks ?? {}),
      ],
      unsetComputed: attrs
        .filter(([, a]) => a.computed && !a.writeOnly && a.default === undefined)
        .map(([name, a]) => [name, Boolean(a.optional)] as const),
      requiresReplace: attrs.filter(([, a]) => a.requiresReplace).map(([name]) => name),
    };
    planShapes.set(block, shape);
  }
  return shape;
}

/** A request's private state as bytes; undefined when Terraform sent none (empty). */
function privateBytes(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array && value.length > 0 ? value : undefined;
}
