// Loads the gRPC service definitions the provider serves from the precompiled descriptor.json (written by
// scripts/build-proto.mjs), which skips parsing .proto text on every one of Terraform's 3-5 launches per command,
// and builds each method's protobuf types only when the method is first called.
import * as protobuf from 'protobufjs/light';
import type { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import descriptor from './descriptor.json';
import { CpiError } from '../../errors';

/**
 * Message mapping used for every service. Field names stay as on the wire (snake_case, and the capital E of
 * StopProvider.Response.Error); enums as strings ('ERROR'), int64 as JS numbers, absent fields filled with
 * defaults, and the set member of a oneof named in a virtual field (e.g. AttributePath.Step.selector).
 */
export const PROTO_LOADER_OPTIONS = {
  keepCase: true,
  enums: String,
  longs: Number,
  defaults: true,
  oneofs: true,
} as const;

/** The services a provider process must (or may) serve, ready for grpc-js `Server#addService`. */
export interface PluginProtocols {
  /** tfplugin6.Provider: the Terraform provider protocol 6.8. */
  readonly provider: ServiceDefinition;
  /** plugin.GRPCController: Shutdown, which Terraform calls before killing the process 2 s later. */
  readonly controller: ServiceDefinition;
  /** plugin.GRPCStdio: optional stdout/stderr forwarding. */
  readonly stdio: ServiceDefinition;
  /** plugin.GRPCBroker: optional extra-connection broker. */
  readonly broker: ServiceDefinition;
  /** grpc.health.v1.Health: standard health check. */
  readonly health: ServiceDefinition;
}

let cached: PackageDefinition | undefined;

/** A node of descriptor.json: a namespace, message type (fields), enum (values) or service (methods). */
interface DescriptorNode {
  readonly nested?: Record<string, DescriptorNode>;
  readonly fields?: Record<string, { readonly type: string }>;
  readonly values?: Record<string, number>;
  readonly methods?: Record<string, MethodNode>;
}
interface MethodNode {
  readonly requestType: string;
  readonly responseType: string;
  readonly requestStream?: boolean;
  readonly responseStream?: boolean;
}

const root = descriptor as DescriptorNode;

function nodeAt(path: readonly string[]): DescriptorNode | undefined {
  let node: DescriptorNode | undefined = root;
  for (const part of path) node = node?.nested?.[part];
  return node;
}

/** The full path of type `name` as protobuf resolves it from `scope`: the innermost enclosing scope that has it. */
function resolveType(name: string, scope: readonly string[]): string[] {
  const parts = name.replace(/^\./, '').split('.');
  for (let depth = name.startsWith('.') ? 0 : scope.length; depth >= 0; depth--) {
    const candidate = [...scope.slice(0, depth), ...parts];
    const node = nodeAt(candidate);
    if (node && (node.fields || node.values)) return candidate;
  }
  throw new CpiError('CPI_PROVIDER_INTERNAL', `descriptor.json has no type ${name} (from ${scope.join('.')})`);
}

/**
 * The part of descriptor.json that `types` need: those types, every type their fields name (transitively), and the
 * namespaces around them. Message types that only enclose a needed type are kept as plain namespaces.
 */
function descriptorFor(types: readonly string[][]): DescriptorNode {
  const needed = new Map<string, string[]>();
  const queue = [...types];
  while (queue.length > 0) {
    const path = queue.pop()!;
    const key = path.join('.');
    if (needed.has(key)) continue;
    needed.set(key, path);
    for (const field of Object.values(nodeAt(path)!.fields ?? {}))
      if (!SCALARS.has(field.type)) queue.push(resolveType(field.type, path));
  }
  const out: { nested: Record<string, DescriptorNode> } = { nested: {} };
  for (const path of needed.values()) {
    let at = out;
    path.forEach((part, i) => {
      const isTarget = i === path.length - 1;
      const existing = at.nested[part] as { nested?: Record<string, DescriptorNode> } | undefined;
      let next = existing;
      if (isTarget) {
        const { nested: _children, ...definition } = nodeAt(path)!;
        next = { ...definition, nested: existing?.nested ?? {} };
      } else if (!existing) next = { nested: {} };
      next!.nested ??= {};
      at.nested[part] = next as DescriptorNode;
      at = next as { nested: Record<string, DescriptorNode> };
    });
  }
  return out;
}

const SCALARS = new Set([
  'double',
  'float',
  'int32',
  'int64',
  'uint32',
  'uint64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'bool',
  'string',
  'bytes',
]);

interface MethodCodec {
  readonly serializeRequest: (value: object) => Buffer;
  readonly deserializeRequest: (bytes: Buffer) => object;
  readonly serializeResponse: (value: object) => Buffer;
  readonly deserializeResponse: (bytes: Buffer) => object;
}

/** Encoders and decoders of one method, from protobufjs types built for its messages alone. */
function methodCodec(servicePath: readonly string[], method: MethodNode): MethodCodec {
  const scope = servicePath.slice(0, -1);
  const requestPath = resolveType(method.requestType, scope);
  const responsePath = resolveType(method.responseType, scope);
  const types = protobuf.Root.fromJSON(descriptorFor([requestPath, responsePath]) as protobuf.INamespace);
  const request = types.lookupType(requestPath.join('.'));
  const response = types.lookupType(responsePath.join('.'));
  // a view of the writer's bytes, not a copy: every response of a plan's thousands of RPCs passes here
  const encode = (type: protobuf.Type) => (value: object) => {
    const bytes = type.encode(type.fromObject(value)).finish();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const decode = (type: protobuf.Type) => (bytes: Buffer) => type.toObject(type.decode(bytes), PROTO_LOADER_OPTIONS);
  return {
    serializeRequest: encode(request),
    deserializeRequest: decode(request),
    serializeResponse: encode(response),
    deserializeResponse: decode(response),
  };
}

/**
 * A service's definition for grpc-js. Its paths and stream flags come straight from descriptor.json; each method's
 * protobuf types are built the first time the method carries a message, for that method's messages only. A
 * launch of the provider calls a few of the 20 RPCs (a schema-only launch just GetProviderSchema), so it builds
 * the 10-20 message types those need instead of all 90 of the three proto files, and none before the handshake.
 */
function serviceDefinition(path: readonly string[], service: DescriptorNode): ServiceDefinition {
  const definition: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(service.methods ?? {})) {
    let codec: MethodCodec | undefined;
    const built = () => (codec ??= methodCodec(path, method));
    definition[name] = {
      path: `/${path.join('.')}/${name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: (value: object) => built().serializeRequest(value),
      requestDeserialize: (bytes: Buffer) => built().deserializeRequest(bytes),
      responseSerialize: (value: object) => built().serializeResponse(value),
      responseDeserialize: (bytes: Buffer) => built().deserializeResponse(bytes),
      originalName: name,
    };
  }
  return definition as unknown as ServiceDefinition;
}

/** The services of all three proto files, keyed by full name, as @grpc/proto-loader would return them. */
export function loadPackageDefinition(): PackageDefinition {
  if (cached) return cached;
  const services: PackageDefinition = {};
  const visit = (node: DescriptorNode, path: string[]) => {
    for (const [name, child] of Object.entries(node.nested ?? {})) {
      if (child.methods) services[[...path, name].join('.')] = serviceDefinition([...path, name], child);
      else visit(child, [...path, name]);
    }
  };
  visit(root, []);
  cached = services;
  return cached;
}

function service(definition: PackageDefinition, name: string): ServiceDefinition {
  const found = definition[name];
  // Only a broken descriptor.json gets here; the proto test guards against that.
  if (found === undefined || 'format' in found) {
    throw new CpiError(
      'CPI_PROVIDER_INTERNAL',
      `descriptor.json has no gRPC service ${name}; regenerate it with node scripts/build-proto.mjs`,
    );
  }
  return found;
}

/** The five services, by role. */
export function loadPluginProtocols(): PluginProtocols {
  const definition = loadPackageDefinition();
  return {
    provider: service(definition, 'tfplugin6.Provider'),
    controller: service(definition, 'plugin.GRPCController'),
    stdio: service(definition, 'plugin.GRPCStdio'),
    broker: service(definition, 'plugin.GRPCBroker'),
    health: service(definition, 'grpc.health.v1.Health'),
  };
}
