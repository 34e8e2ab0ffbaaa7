// L2: the gate in front of a renewal stage. It waits for another party and opens on the requirements of the one
// gate model (src/renewal/gate.ts), which the provider checks at plan and again at apply: confirmations, a probe of
// the receiver, the certificate under the tenant alias, the iFlows' state, a moment. The other props are the
// renewal's values those requirements refer to.
import {
  allRequirements,
  GATE_MODES,
  factsNeeded,
  type GateRequirement as ModelRequirement,
} from '../src/renewal/gate';
import type { Party } from '../src/renewal/party';
import { parseAllowedSigners } from '../src/renewal/confirmation-signature';
import { CpiError } from '../src/errors';
import type { CpiProvider } from './bindings/provider';
import { RenewalGate as RenewalGateResource } from './bindings/renewal-gate';
import { Construct, type ITerraformDependable } from './cdktf';
import { modelRequirements, PARTIES, type GateRequirement } from './gate-requirement';
import { receiverBlockFrom, type ReceiverBackendSettings } from './receiver-backend-settings';
import {
  invalidProp,
  isLiteral,
  requireAlias,
  requireNonEmpty,
  requireOneOf,
  requirePem,
  requireTime,
} from './validation';

const NAME = 'RenewalGate';

export interface RenewalGateProps {
  /** The renewal the gate belongs to (confirmations name it). */
  readonly renewalId: string;
  /** The name of the stage the gate opens, e.g. `exchange-certificate`. */
  readonly gate: string;
  /** The parties whose action the gate waits for (at least one of `receiver-admin`, `tenant-admin`, `integration-developer`). */
  readonly waitsFor: string[];
  /**
   * `all`: every requirement must hold; `any`: one suffices. A not_before requirement must hold in both modes.
   * @default 'all'
   */
  readonly mode?: string;
  /** What must hold, e.g. `[{ kind: 'probe' }, { kind: 'confirmation', party: 'receiver-admin' }]`. */
  readonly requirements: GateRequirement[];
  /**
   * Observable facts that show the stage's effect already holds or was superseded: then the gate is settled and
   * re-applying the stage plans no change, e.g. `[{ kind: 'tenant_alias', certificate: 'new' }]`.
   * @default - none: the gate is settled only by its own requirements
   */
  readonly settledBy?: GateRequirement[];
  /**
   * The tenant keystore alias (for tenant_alias).
   * @default - none
   */
  readonly alias?: string;
  /**
   * The renewal's new certificate, PEM (for confirmation, probe and tenant_alias new; usually a token).
   * @default - none
   */
  readonly newCertificatePem?: string;
  /**
   * The certificate the alias held before the renewal (for tenant_alias old).
   * @default - none
   */
  readonly oldFingerprintSha256?: string;
  /**
   * Every iFlow that uses the alias (for iflow_state).
   * @default - none
   */
  readonly iflowIds?: string[];
  /**
   * The receiver backend to probe (for probe).
   * @default - none
   */
  readonly receiver?: ReceiverBackendSettings;
  /**
   * Start of the downtime window, RFC 3339 (for not_before window_start).
   * @default - none
   */
  readonly windowStart?: string;
  /**
   * When the alias switched to the new certificate (for not_before retention_end; usually a token).
   * @default - none
   */
  readonly exchangedAt?: string;
  /**
   * Days the old key is kept after the exchange (for not_before retention_end).
   * @default - none
   */
  readonly retentionDays?: number;
  /**
   * The SSH public keys allowed to sign each party's confirmations, in Git's allowed_signers form (one key per
   * line: `<person pattern> ssh-ed25519 AAAA…`). Given, the gate counts a confirmation only when it is signed
   * (`cpi-renewal confirm --sign-with`) by one of its party's keys, and every party the gate asks to confirm must
   * be listed. See docs/signed-confirmations.md.
   * @default - unsigned confirmations count
   */
  readonly confirmationSigners?: ConfirmationSignerTexts;
  /**
   * Directory holding `<gate>.json` confirmation files, relative to the directory Terraform runs in (the stack's
   * directory under `cdktf.out/stacks/`).
   * @default - `renewals/<renewalId>/confirmations` (the provider's default)
   */
  readonly confirmationsDir?: string;
  /**
   * What must be applied first.
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The provider instance to use.
   * @default - the stack's default `cpi` provider
   */
  readonly provider?: CpiProvider;
}

/** Each party's allowed_signers text, by party (`receiver-admin`, `tenant-admin`, `integration-developer`). */
export type ConfirmationSignerTexts = { readonly [party: string]: string };

/**
 * Refuses at synth what the provider would refuse at plan: an allowed_signers text it cannot read, a party that is
 * not one, or (signatures asked for) a party asked to confirm without keys. Returns the binding's blocks.
 * @internal
 */
export function confirmationSignerBlocks(
  construct: string,
  prop: string,
  signers: ConfirmationSignerTexts | undefined,
  requirements: readonly ModelRequirement[],
): { party: string; allowedSigners: string }[] | undefined {
  if (signers === undefined) return undefined;
  const entries = Object.entries(signers).filter(([, text]) => text !== undefined);
  if (entries.length === 0) invalidProp(construct, prop, signers, 'at least one party with its allowed_signers text');
  for (const [party, text] of entries) {
    requireOneOf<Party>(construct, `${prop} key`, party, PARTIES);
    if (!isLiteral(text)) continue;
    try {
      parseAllowedSigners(text, `${construct}: ${prop}["${party}"]`);
    } catch (error) {
      if (error instanceof CpiError) throw new CpiError(error.code, error.detail);
      throw error;
    }
  }
  for (const r of requirements) {
    if (r.kind === 'confirmation' && signers[r.party] === undefined)
      throw new CpiError(
        'CPI_GATE_SIGNERS_INVALID',
        `${construct}: ${prop} lists no key for ${r.party}, whom a gate asks to confirm; the renewal asks for signed confirmations, so list ${r.party}'s keys too`,
      );
  }
  return entries.map(([party, allowedSigners]) => ({ party, allowedSigners }));
}

const PROP_OF_FACT: Readonly<Record<string, keyof RenewalGateProps>> = {
  alias: 'alias',
  new_certificate_pem: 'newCertificatePem',
  old_fingerprint_sha256: 'oldFingerprintSha256',
  iflow_ids: 'iflowIds',
  receiver: 'receiver',
  window_start: 'windowStart',
  exchanged_at: 'exchangedAt',
  retention_days: 'retentionDays',
};

/** The hand-over in front of a stage: closed, the stage's plan fails naming the gate, the party and the action. */
export class RenewalGate extends Construct {
  readonly resource: RenewalGateResource;
  readonly gate: string;

  constructor(scope: Construct, id: string, props: RenewalGateProps) {
    super(scope, id);
    requireNonEmpty(NAME, 'renewalId', props.renewalId);
    this.gate = requireNonEmpty(NAME, 'gate', props.gate);
    if (props.waitsFor.length === 0) invalidProp(NAME, 'waitsFor', [], `at least one of ${PARTIES.join(', ')}`);
    const waitsFor = props.waitsFor.map((party, i) => requireOneOf(NAME, `waitsFor[${i}]`, party, PARTIES));
    const mode = props.mode === undefined ? undefined : requireOneOf(NAME, 'mode', props.mode, GATE_MODES);
    const requirements = modelRequirements(NAME, 'requirements', props.requirements, waitsFor);
    const settledBy =
      props.settledBy && props.settledBy.length > 0 ? modelRequirements(NAME, 'settledBy', props.settledBy) : undefined;
    for (const r of allRequirements({ requirements, settledBy })) {
      const absent = factsNeeded(r)
        .map((fact) => PROP_OF_FACT[fact]!)
        .filter((name) => props[name] === undefined);
      if (absent.length > 0)
        invalidProp(
          NAME,
          absent.join(', '),
          undefined,
          `a value: the ${r.kind} requirement of gate "${props.gate}" refers to it`,
        );
    }
    if (props.windowStart !== undefined) requireTime(NAME, 'windowStart', props.windowStart);
    if (props.newCertificatePem !== undefined) requirePem(NAME, 'newCertificatePem', props.newCertificatePem);
    if (props.alias !== undefined) requireAlias(NAME, 'alias', props.alias);
    if (props.iflowIds && isLiteral(props.iflowIds) && props.iflowIds.length === 0)
      invalidProp(NAME, 'iflowIds', [], 'at least one iFlow ID');

    this.resource = new RenewalGateResource(this, 'gate', {
      renewalId: props.renewalId,
      gate: this.gate,
      waitsFor,
      mode,
      requirement: requirements,
      settledBy,
      alias: props.alias,
      newCertificatePem: props.newCertificatePem,
      oldFingerprintSha256: props.oldFingerprintSha256,
      iflowIds: props.iflowIds && [...props.iflowIds],
      receiver: props.receiver && receiverBlockFrom(NAME, props.receiver),
      windowStart: props.windowStart,
      exchangedAt: props.exchangedAt,
      retentionDays: props.retentionDays,
      confirmationsDir: props.confirmationsDir,
      confirmationSigners: confirmationSignerBlocks(
        NAME,
        'confirmationSigners',
        props.confirmationSigners,
        requirements,
      ),
      dependsOn: props.dependsOn,
      provider: props.provider,
    });
  }

  /** When the gate opened (RFC 3339; a token). */
  get openedAt(): string {
    return this.resource.openedAt;
  }

  /** The evidence that opened it: the audit trail (a token). */
  get evidence(): string[] {
    return this.resource.evidence;
  }
}
