// Terraform's side of the plugin connection, played by grpc-js: clients of the provider's services, AutoMTLS as
// go-plugin's client does it (server name "localhost", the certificate from the handshake line the only root).
import * as grpc from '@grpc/grpc-js';
import { loadPackageDefinition } from '../../src/provider/proto/load-protocols';
import type { TlsIdentity } from '../../src/provider/tls-certificate';

type Callback = (error: grpc.ServiceError | null, response?: Record<string, unknown>) => void;
/** A client whose methods are called by name: unary ones through `callUnary`, streams directly. */
export type PluginClient = grpc.Client & Record<string, (...args: never[]) => unknown>;

let services: grpc.GrpcObject | undefined;

/** A client of `service` (e.g. 'tfplugin6.Provider') at `address` ('unix:/path' or 'host:port'). */
export function pluginClient(service: string, address: string, credentials: grpc.ChannelCredentials): PluginClient {
  let node: unknown = (services ??= grpc.loadPackageDefinition(loadPackageDefinition()));
  for (const part of service.split('.')) node = (node as Record<string, unknown>)[part];
  return new (node as grpc.ServiceClientConstructor)(address, credentials, {
    'grpc.ssl_target_name_override': 'localhost',
    'grpc.default_authority': 'localhost',
  }) as PluginClient;
}

export function callUnary(client: PluginClient, method: string, request: object = {}) {
  const unary = client[method] as unknown as (request: object, callback: Callback) => grpc.ClientUnaryCall;
  return new Promise<Record<string, unknown>>((resolve, reject) =>
    unary.call(client, request, (error, response) => (error ? reject(error) : resolve(response!))),
  );
}

/** The provider's certificate from the handshake line's last field (go's unpadded base64 DER) as PEM. */
export function handshakeCertificatePem(field: string): string {
  const base64 = field + '='.repeat((4 - (field.length % 4)) % 4);
  return `-----BEGIN CERTIFICATE-----\n${base64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`;
}

/** AutoMTLS credentials of Terraform (`client`) for a provider whose certificate is `serverPem`. */
export function autoMtls(serverPem: string, client: TlsIdentity): grpc.ChannelCredentials {
  return grpc.credentials.createSsl(
    Buffer.from(serverPem),
    Buffer.from(client.privateKeyPem),
    Buffer.from(client.certificatePem),
  );
}

/** The address grpc-js dials for a handshake line's network and address fields. */
export function handshakeAddress(network: string, address: string): string {
  return network === 'unix' ? `unix:${address}` : address;
}
