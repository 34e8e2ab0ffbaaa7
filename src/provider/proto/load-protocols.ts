// Loads the gRPC service definitions the provider serves from the precompiled descriptor.json (written by
// scripts/build-proto.mjs), which skips parsing .proto text on every one of Terraform's 3-5 launches per command,
// and builds each method's codec (./wire-codec.ts) only when the method is first called.
import type { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import descriptor from './descriptor.json';
import { CpiError } from '../../errors';
import { messageCodec, resolveType, type MessageCodec } from './wire-codec';

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
  readonly methods?: Record<string, MethodNode>;
}
interface MethodNode {
  readonly requestType: string;
  readonly responseType: string;
  readonly requestStream?: boolean;
  readonly responseStream?: boolean;
}

const root = descriptor as DescriptorNode;

interface MethodCodec {
  readonly request: MessageCodec;
  readonly response: MessageCodec;
}

/** Encoders and decoders of one method's two messages. */
function methodCodec(servicePath: readonly string[], method: MethodNode): MethodCodec {
  const scope = servicePath.slice(0, -1);
  return {
    request: messageCodec(resolveType(method.requestType, scope).join('.')),
    response: messageCodec(resolveType(method.responseType, scope).join('.')),
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
      requestSerialize: (value: object) => built().request.encode(value),
      requestDeserialize: (bytes: Buffer) => built().request.decode(bytes),
      responseSerialize: (value: object) => built().response.encode(value),
      responseDeserialize: (bytes: Buffer) => built().response.decode(bytes),
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
