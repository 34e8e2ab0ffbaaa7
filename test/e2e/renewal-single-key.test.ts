// End to end, a single-key renewal (SAP variant B) run with plain `terraform -chdir=<stage stack> plan -out` /
// `apply <plan>` on the synthesized stacks, as a pipeline that does not use the cdktf CLI would. The steps and what
// they assert are in support/single-key-scenario.ts; the cdktf CLI run is renewal-single-key-cdktf.test.ts.
import { describe } from 'node:test';
import { singleKeyRenewalScenario } from './support/single-key-scenario';

describe('single-key renewal through plain terraform', () => singleKeyRenewalScenario('terraform'));
