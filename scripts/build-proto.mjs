// Compiles the provider's three .proto files into one JSON descriptor (src/provider/proto/descriptor.json),
// so that the provider starts without parsing .proto text: Terraform launches it 3-5 times per command.
//   node scripts/build-proto.mjs           write the descriptor
//   node scripts/build-proto.mjs --stdout  print it instead (the test compares this with the committed file)
import protobuf from 'protobufjs';
import * as prettier from 'prettier';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const protoDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'provider', 'proto');
const sources = ['tfplugin6.proto', 'go-plugin.proto', 'health.proto'];
const target = join(protoDir, 'descriptor.json');

/**
 * Returns the descriptor text: protobufjs Root#toJSON of all three files, comments dropped, in declaration order,
 * formatted as the repository's prettier config wants so that `npm run lint` accepts the committed file.
 */
export async function buildDescriptor() {
  const root = new protobuf.Root();
  // keepCase so that snake_case names (and StopProvider.Response.Error) survive as written.
  root.loadSync(
    sources.map((name) => join(protoDir, name)),
    { keepCase: true },
  );
  // Fails here, not at provider start, if a type reference does not resolve.
  root.resolveAll();
  const options = (await prettier.resolveConfig(target)) ?? {};
  return prettier.format(JSON.stringify(root.toJSON()), { ...options, filepath: target });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await buildDescriptor();
  if (process.argv.includes('--stdout')) {
    process.stdout.write(text);
  } else {
    writeFileSync(target, text);
    console.error(`wrote ${target} (${text.length} bytes)`);
  }
}
