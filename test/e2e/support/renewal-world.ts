// The world of an end-to-end renewal test: the renewal harness (test/support/renewal-harness.ts) with short
// emulator deploy delays (the order of events is what the test checks, not their duration) and the embedded
// receiver holding the keys.
import type { RenewalVariant } from '../../../src/renewal/stages';
import { RenewalHarness } from '../../support/renewal-harness';

export {
  awaitArrivals,
  messagesArrivedBetween,
  outcomes,
  reportAndClose,
  type ListedKey,
  type WorldSnapshot,
} from '../../support/renewal-harness';
export type { CommandRun } from '../../support/command';

/** An end-to-end renewal's world. */
export type RenewalWorld = RenewalHarness;

/** Starts the world of a renewal of `variant` in a fresh directory. */
export function startRenewalWorld(
  variant: RenewalVariant,
  options: { rate?: number; clockOffsetMs?: number } = {},
): Promise<RenewalWorld> {
  return RenewalHarness.start({
    variant,
    emulatorConfig: { deployDelayMs: 300, undeployDelayMs: 300 },
    trafficRate: options.rate,
    ...(options.clockOffsetMs !== undefined ? { clockOffsetMs: options.clockOffsetMs } : {}),
  });
}
