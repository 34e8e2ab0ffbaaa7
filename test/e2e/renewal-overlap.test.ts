// End to end, an overlap renewal (SAP variant A) run the way a pipeline runs it with the cdktf CLI: per stage
// `cdktf diff <stack>`, then `cdktf deploy <stack> --auto-approve`. The steps and what they assert are in
// support/overlap-scenario.ts; the plain-terraform run is renewal-overlap-terraform.test.ts.
import { describe } from 'node:test';
import { overlapRenewalScenario } from './support/overlap-scenario';

describe('overlap renewal through cdktf diff / cdktf deploy', () => overlapRenewalScenario('cdktf'));
