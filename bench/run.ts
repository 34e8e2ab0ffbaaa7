// `npm run bench`: every benchmark in turn; each prints its own lines. Numbers and how they compare with the
// targets are kept in bench/README.md.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const benches = [
  'provider-startup.ts',
  'terraform-plan.ts',
  'alias-usage.ts',
  'fleet-scan.ts',
  'renewal-demo.ts',
  'wssecurity.ts',
  'receiver-dos.ts',
];
let failed = false;
for (const bench of benches) {
  console.log(`\n== ${bench}`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, bench)], { stdio: 'inherit' });
  failed ||= result.status !== 0;
}
process.exit(failed ? 1 : 0);
