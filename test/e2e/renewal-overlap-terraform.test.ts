// End to end, an overlap renewal (SAP variant A) run with plain `terraform -chdir=<stage stack> plan -out` /
// `apply <plan>` on the synthesized stacks, as a pipeline that does not use the cdktf CLI would. The steps and what
// they assert are in support/overlap-scenario.ts; the cdktf CLI run is renewal-overlap.test.ts.
import { describe } from 'node:test';
import { overlapRenewalScenario } from './support/overlap-scenario';

describe('overlap renewal through plain terraform', () => overlapRenewalScenario('terraform'));
