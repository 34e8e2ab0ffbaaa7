// What each stage's apply leaves in the world, and whether the world still shows it. State says a stage was
// applied; only the live tenant and receiver say whether its effect still holds, or was undone out of band (the
// alias put back by hand, a key retired by hand, an iFlow redeployed). Pure: the caller observes, this decides.
import { sameFingerprint } from '../rules/fingerprint';
import type { RenewalVariant, StageName } from './stages';

/** What the caller saw of the tenant and the receiver; a side it could not read is absent, with the reason. */
export interface ObservedWorld {
  /** The fingerprint the alias holds; null when the alias holds no certificate. */
  readonly aliasFingerprint?: string | null;
  /** The receiver's keys as its backend lists them (a pending key is listed `retired`). */
  readonly keys?: readonly { readonly name: string; readonly state: 'active' | 'retired' }[];
  /** The runtime state of each iFlow of the renewal; `undefined` status: not deployed. */
  readonly iflows?: readonly { readonly id: string; readonly status?: string }[];
  /** Why a side could not be observed, e.g. `the tenant: no credentials where status runs`. */
  readonly unobserved?: readonly string[];
}

/** What the renewal knows that the effects refer to. */
export interface EffectFacts {
  readonly variant: RenewalVariant;
  readonly alias: string;
  readonly iflowIds: readonly string[];
  readonly newKeyName: string;
  readonly oldKeyName: string;
  readonly newFingerprint?: string;
  readonly oldFingerprint?: string;
}

/**
 * `holds`: the world shows the effect. `undone`: it contradicts it (`seen` names what). `superseded`: a later
 * applied stage replaced it on purpose (stop-sending once the iFlows are redeployed). `unknown`: not observed.
 */
export type EffectVerdict =
  | { readonly kind: 'holds' }
  | { readonly kind: 'undone'; readonly seen: string }
  | { readonly kind: 'superseded'; readonly by: string }
  | { readonly kind: 'unknown'; readonly why: string };

const holds: EffectVerdict = { kind: 'holds' };

function keyState(world: ObservedWorld, name: string): 'active' | 'retired' | 'absent' {
  return world.keys?.find((k) => k.name === name)?.state ?? 'absent';
}

function aliasLine(facts: EffectFacts, fingerprint: string | null): string {
  if (fingerprint === null) return `alias "${facts.alias}" holds no certificate`;
  const which =
    facts.oldFingerprint && sameFingerprint(fingerprint, facts.oldFingerprint)
      ? 'the old certificate'
      : 'neither the old nor the new certificate';
  return `alias "${facts.alias}" holds ${which} (SHA-256 ${fingerprint})`;
}

const unknown = (why: string): EffectVerdict => ({ kind: 'unknown', why });

function needKeys(world: ObservedWorld): EffectVerdict | undefined {
  return world.keys ? undefined : unknown('the receiver keys could not be read');
}

/** The iFlows that are not in the wanted deployment state, as `OrdersOut (STARTED)`. */
function iflowsNot(world: ObservedWorld, facts: EffectFacts, deployed: boolean): string[] {
  return facts.iflowIds.flatMap((id) => {
    const status = world.iflows?.find((i) => i.id === id)?.status;
    return (status !== undefined) === deployed ? [] : [`${id} (${status ?? 'not deployed'})`];
  });
}

/**
 * Whether the effect of an applied stage still holds. `applied` names the stages applied (by state), for effects
 * that later stages supersede.
 */
export function stageEffect(
  stage: StageName,
  facts: EffectFacts,
  world: ObservedWorld,
  applied: ReadonlySet<StageName>,
): EffectVerdict {
  switch (stage) {
    case 'prepare-receiver': {
      const missing = needKeys(world);
      if (missing) return missing;
      const state = keyState(world, facts.newKeyName);
      if (state === 'absent') return { kind: 'undone', seen: `the receiver holds no key "${facts.newKeyName}"` };
      // overlap: the new key decrypts from stage 1 on (single-key: the switch stage's effect says that)
      if (facts.variant === 'overlap' && state !== 'active')
        return { kind: 'undone', seen: `new key "${facts.newKeyName}" is ${state}, not active` };
      return holds;
    }
    case 'exchange-certificate': {
      if (world.aliasFingerprint === undefined) return unknown('the tenant alias could not be read');
      if (!facts.newFingerprint) return unknown('the new fingerprint is not known');
      if (world.aliasFingerprint !== null && sameFingerprint(world.aliasFingerprint, facts.newFingerprint))
        return holds;
      return { kind: 'undone', seen: aliasLine(facts, world.aliasFingerprint) };
    }
    case 'retire-old-key':
    case 'cleanup': {
      const missing = needKeys(world);
      if (missing) return missing;
      const state = keyState(world, facts.oldKeyName);
      if (stage === 'cleanup')
        return state === 'absent'
          ? holds
          : { kind: 'undone', seen: `the receiver still holds old key "${facts.oldKeyName}" (${state})` };
      return state === 'active' ? { kind: 'undone', seen: `old key "${facts.oldKeyName}" is active again` } : holds;
    }
    case 'switch-receiver-key': {
      const missing = needKeys(world);
      if (missing) return missing;
      const seen = [
        ...(keyState(world, facts.newKeyName) !== 'active'
          ? [`new key "${facts.newKeyName}" is ${keyState(world, facts.newKeyName)}, not active`]
          : []),
        ...(keyState(world, facts.oldKeyName) === 'active' ? [`old key "${facts.oldKeyName}" is active again`] : []),
      ];
      return seen.length > 0 ? { kind: 'undone', seen: seen.join('; ') } : holds;
    }
    case 'stop-sending': {
      // Undeployed until resume-sending redeploys them; an iFlow deployed before that sends for a key not active.
      if (applied.has('resume-sending')) return { kind: 'superseded', by: 'resume-sending' };
      if (!world.iflows) return unknown('the iFlow runtime could not be read');
      const deployed = iflowsNot(world, facts, false);
      return deployed.length > 0 ? { kind: 'undone', seen: `deployed again: ${deployed.join(', ')}` } : holds;
    }
    case 'resume-sending': {
      if (!world.iflows) return unknown('the iFlow runtime could not be read');
      const undeployed = iflowsNot(world, facts, true);
      return undeployed.length > 0 ? { kind: 'undone', seen: `not deployed: ${undeployed.join(', ')}` } : holds;
    }
  }
}
