// End to end, a single-key renewal (SAP variant B) run the way a pipeline runs it with the cdktf CLI: per stage
// `cdktf diff <stack>`, then `cdktf deploy <stack> --auto-approve`. The steps and what they assert are in
// support/single-key-scenario.ts; the plain-terraform run is renewal-single-key.test.ts.
import { describe } from 'node:test';
import { singleKeyRenewalScenario } from './support/single-key-scenario';

describe('single-key renewal through cdktf diff / cdktf deploy', () => singleKeyRenewalScenario('cdktf'));
