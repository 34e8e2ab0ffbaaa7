// Where Terraform reaches the provider: a TCP port on 127.0.0.1 whose connections are handed to grpc-js.
// A plain net listener with grpc-js's connection injector instead of `Server#bindAsync`: the same HTTP/2 (TLS)
// server takes each connection, but start-up skips what bindAsync does for an address it first has to resolve,
// a DNS resolver (c-ares channel) and net.isIPv6 (a large regular expression compiled on first use), ≈ 10 ms of
// each of Terraform's 3-5 launches per command.
import { createServer, type AddressInfo } from 'node:net';
import type * as grpc from '@grpc/grpc-js';

/** Listens on 127.0.0.1 at a free port for `server`; resolves with the port once connections are accepted. */
export function listenOnLoopback(server: grpc.Server, credentials: grpc.ServerCredentials): Promise<number> {
  const injector = server.createConnectionInjector(credentials);
  const listener = createServer((socket) => injector.injectConnection(socket));
  return new Promise((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(0, '127.0.0.1', () => resolve((listener.address() as AddressInfo).port));
  });
}
