// The part of grpc-js a provider process runs: the server, its credentials and the status codes. Imported from
// grpc-js's own modules rather than its index, which also loads the whole client side (channels, subchannels,
// name resolvers, load balancers) that a server never uses, on each of Terraform's 3-5 launches per command.
// The paths are grpc-js's build layout (1.x); a grpc-js that moves them fails the build, not a launch.
export { Server } from '@grpc/grpc-js/build/src/server';
export { ServerCredentials } from '@grpc/grpc-js/build/src/server-credentials';
export { Status as status } from '@grpc/grpc-js/build/src/constants';
export type { handleUnaryCall, sendUnaryData, ServerWritableStream } from '@grpc/grpc-js';
