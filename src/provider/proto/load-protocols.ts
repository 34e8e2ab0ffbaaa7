// Loads the gRPC service definitions the provider serves from the precompiled descriptor.json (written by
// scripts/build-proto.mjs), which skips parsing .proto text on every one of Terraform's 3-5 launches per command.
import { fromJSON, type PackageDefinition, type ServiceDefinition } from '@grpc/proto-loader';
import { CpiError } from '../../errors';
import descriptor from './descriptor.json';

/**
 * Message mapping used for every service. keepCase keeps the wire names (snake_case, and the capital E of
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

/** The package definition of all three proto files, built once per process. */
export function loadPackageDefinition(): PackageDefinition {
  // descriptor.json is a protobufjs INamespace; its inferred JSON type is wider than the declared one.
  cached ??= fromJSON(descriptor as Parameters<typeof fromJSON>[0], PROTO_LOADER_OPTIONS);
  return cached;
}

function service(definition: PackageDefinition, name: string): ServiceDefinition {
  const found = definition[name];
  // Only a broken descriptor.json gets here; the proto test guards against that.
  if (found === undefined || 'format' in found || 'type' in found) {
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
