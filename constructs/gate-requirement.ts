// A gate requirement as construct props: one struct with `kind` and the field that kind needs, which every jsii
// language can build. The gate model (src/renewal/gate.ts) keeps its union; modelRequirements turns the props into
// it after checking what the provider would refuse, so the two shapes cannot drift apart unchecked.
import {
  CERTIFICATE_ROLES,
  GATE_MOMENTS,
  IFLOW_STATES,
  REQUIREMENT_KINDS,
  repeatedRequirements,
  type GateRequirement as ModelRequirement,
} from '../src/renewal/gate';
import { PARTY_TITLES, type Party } from '../src/renewal/party';
import { invalidProp, requireOneOf } from './validation';

/** @internal */
export const PARTIES = Object.keys(PARTY_TITLES) as readonly Party[];

/**
 * One piece of evidence a gate requires, e.g. `{ kind: 'probe' }` or
 * `{ kind: 'confirmation', party: 'receiver-admin' }`.
 */
export interface GateRequirement {
  /**
   * `confirmation` (a party committed a confirmation naming the new certificate), `probe` (the receiver decrypts a
   * canary message for the new certificate), `tenant_alias` (the alias holds a certificate), `iflow_state` (every
   * iFlow of the renewal is in a state) or `not_before` (a moment has passed; always required, whatever the mode).
   */
  readonly kind: string;
  /**
   * For `confirmation`: `receiver-admin`, `tenant-admin` or `integration-developer`.
   * @default - none; required for `confirmation`
   */
  readonly party?: string;
  /**
   * For `tenant_alias`: `new` or `old`.
   * @default - none; required for `tenant_alias`
   */
  readonly certificate?: string;
  /**
   * For `iflow_state`: `undeployed` or `started`.
   * @default - none; required for `iflow_state`
   */
  readonly state?: string;
  /**
   * For `not_before`: `window_start` or `retention_end`.
   * @default - none; required for `not_before`
   */
  readonly moment?: string;
}

/**
 * Refuses a requirement list the provider would refuse, at synth, naming the prop; returns it in the gate model's
 * shape. `waitsFor` given: a confirmation must come from one of those parties.
 * @internal
 */
export function modelRequirements(
  construct: string,
  prop: string,
  requirements: readonly GateRequirement[],
  waitsFor?: readonly string[],
): ModelRequirement[] {
  if (requirements.length === 0) invalidProp(construct, prop, [], 'at least one requirement');
  const model = requirements.map((r, i): ModelRequirement => {
    const at = `${prop}[${i}]`;
    const kind = requireOneOf(construct, `${at}.kind`, r.kind, REQUIREMENT_KINDS);
    const field = (name: 'party' | 'certificate' | 'state' | 'moment'): string =>
      r[name] ?? invalidProp(construct, `${at}.${name}`, undefined, `a value: a ${kind} requirement names its ${name}`);
    switch (kind) {
      case 'confirmation': {
        const party = requireOneOf(construct, `${at}.party`, field('party'), PARTIES);
        if (waitsFor && !waitsFor.includes(party))
          invalidProp(construct, `${at}.party`, party, `one of waitsFor (${waitsFor.join(', ')})`);
        return { kind, party };
      }
      case 'probe':
        return { kind };
      case 'tenant_alias':
        return {
          kind,
          certificate: requireOneOf(construct, `${at}.certificate`, field('certificate'), CERTIFICATE_ROLES),
        };
      case 'iflow_state':
        return { kind, state: requireOneOf(construct, `${at}.state`, field('state'), IFLOW_STATES) };
      case 'not_before':
        return { kind, moment: requireOneOf(construct, `${at}.moment`, field('moment'), GATE_MOMENTS) };
    }
  });
  const repeated = repeatedRequirements(model);
  if (repeated.length > 0) invalidProp(construct, prop, repeated, 'each requirement once');
  return model;
}

/**
 * A gate-model requirement as props again (what the constructs report back, e.g. `RenewalStage.gate`).
 * @internal
 */
export function requirementProps(requirement: ModelRequirement): GateRequirement {
  return { ...requirement };
}
