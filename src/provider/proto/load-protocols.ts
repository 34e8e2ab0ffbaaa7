// Loads the gRPC service definitions the provider serves from the precompiled descriptor.json (written by
// scripts/build-proto.mjs), which skips parsing .proto text on every one of Terraform's 3-5 launches per command.
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

function serviceDefinition(service: protobuf.Service): ServiceDefinition {
  const definition: Record<string, unknown> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const request = method.resolvedRequestType!;
    const response = method.resolvedResponseType!;
    const encode = (type: protobuf.Type) => (value: object) =>
      Buffer.from(type.encode(type.fromObject(value)).finish());
    const decode = (type: protobuf.Type) => (bytes: Buffer) => type.toObject(type.decode(bytes), PROTO_LOADER_OPTIONS);
    definition[method.name] = {
      path: `/${service.fullName.slice(1)}/${method.name}`,
      requestStream: Boolean(method.requestStream),
      responseStream: Boolean(method.responseStream),
      requestSerialize: encode(request),
      requestDeserialize: decode(request),
      responseSerialize: encode(response),
      responseDeserialize: decode(response),
      originalName: method.name,
    };
  }
  return definition as unknown as ServiceDefinition;
}

/**
 * The services of all three proto files, built once per process straight from the precompiled descriptor with
 * protobufjs's light build: @grpc/proto-loader would do the same but also builds descriptors for every message,
 * which costs about 20 ms on each of Terraform's launches.
 */
export function loadPackageDefinition(): PackageDefinition {
  if (cached) return cached;
  const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
  const services: PackageDefinition = {};
  const visit = (ns: protobuf.NamespaceBase) => {
    for (const nested of ns.nestedArray) {
      if (nested instanceof protobuf.Service) services[nested.fullName.slice(1)] = serviceDefinition(nested);
      else if (nested instanceof protobuf.Namespace) visit(nested);
    }
  };
  visit(root);
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
