// cpi_renewal_gate: the hand-over between two stages of a renewal. The gate is the model of src/renewal/gate.ts
// as written in HCL: `requirement` blocks plus the renewal's facts they refer to (alias, new certificate, iFlows,
// receiver, moments). Decided on every plan and again at apply; closed, it fails the plan with what the waited-for
// party must do; open (or settled), it records the evidence and the time in state, the audit trail. An applied gate
// whose decision still allows it plans no change.
import { CpiError } from '../../errors';
import { isSha256Fingerprint, normalizeFingerprint } from '../../rules/fingerprint';
import { parseRfc3339, RFC3339_EXAMPLE } from '../../rules/time';
import { defaultConfirmationsDir, isSafeName } from '../../renewal/confirmation';
import {
  allRequirements,
  CERTIFICATE_ROLES,
  factsNeeded,
  GATE_MODES,
  GATE_MOMENTS,
  IFLOW_STATES,
  REQUIREMENT_KINDS,
  repeatedRequirements,
  type GateFacts,
  type GateRequirement,
  type GateSpec,
} from '../../renewal/gate';
import { CONFIRMATIONS_ROOT, closedGateMessage, evidenceLines, settledLines } from '../../renewal/gate-report';
import { PARTY_TITLES, type Party } from '../../renewal/party';
import {
  parseAllowedSigners,
  SIGNATURE_NAMESPACE,
  type AllowedSigner,
  type ConfirmationSigners,
} from '../../renewal/confirmation-signature';
import { containsUnknown, ctyEqual, isObject, UNKNOWN, type CtyValue, type ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import { receiverBlock, receiverSettingsFrom } from '../receiver-settings';
import type { CallContext, ResourceType } from '../resource';
import type { BlockSpec } from '../schema';
import { validateAlias } from '../../rules/alias';

const DEFAULT_MODE = 'all';
const PARTY_NAMES = Object.keys(PARTY_TITLES);

/** One requirement of the gate model (src/renewal/gate.ts): its kind and the one field that kind has. */
const requirementBlock: BlockSpec = {
  attributes: {
    kind: {
      type: 'string',
      required: true,
      oneOf: REQUIREMENT_KINDS,
      description: 'What must hold.',
    },
    party: {
      type: 'string',
      optional: true,
      oneOf: PARTY_NAMES,
      description: '`confirmation`: the party who must confirm (naming the new certificate).',
    },
    certificate: {
      type: 'string',
      optional: true,
      oneOf: CERTIFICATE_ROLES,
      description: '`tenant_alias`: the certificate the alias must hold.',
    },
    state: {
      type: 'string',
      optional: true,
      oneOf: IFLOW_STATES,
      description: '`iflow_state`: the state of every iFlow of `iflow_ids` (`undeployed`: no runtime artifact).',
    },
    moment: {
      type: 'string',
      optional: true,
      oneOf: GATE_MOMENTS,
      description: '`not_before`: the moment (`retention_end` is `exchanged_at` plus `retention_days`).',
    },
  },
};

/** The SSH keys one party confirms with (src/renewal/confirmation-signature.ts). */
const signersBlock: BlockSpec = {
  attributes: {
    party: {
      type: 'string',
      required: true,
      oneOf: PARTY_NAMES,
      description: 'The party whose confirmations these keys may sign.',
    },
    allowed_signers: {
      type: 'string',
      required: true,
      description:
        `The party's SSH public keys in Git's allowed_signers form, one per line: \`<person pattern> [namespaces="${SIGNATURE_NAMESPACE}"] ssh-ed25519 AAAA…\` ` +
        "(ed25519, RSA, ECDSA); the pattern is matched against the confirmation's `person`. See docs/signed-confirmations.md.",
    },
  },
};

const schemaBlock: BlockSpec = {
  attributes: {
    renewal_id: {
      type: 'string',
      required: true,
      requiresReplace: true,
      description: 'The renewal this gate belongs to, e.g. `acme-2026`; confirmations must name it.',
    },
    gate: {
      type: 'string',
      required: true,
      requiresReplace: true,
      description:
        "The gate's name: the name of the stage it opens, e.g. `exchange-certificate`; confirmations must name it.",
    },
    waits_for: {
      type: ['list', 'string'],
      required: true,
      oneOf: PARTY_NAMES,
      description: 'The parties whose action the gate waits for.',
    },
    mode: {
      type: 'string',
      optional: true,
      computed: true,
      default: DEFAULT_MODE,
      oneOf: GATE_MODES,
      description: `How the requirements combine: \`all\` or \`any\`; a \`not_before\` requirement must hold in both. Defaults to \`${DEFAULT_MODE}\`.`,
    },
    confirmations_dir: {
      type: 'string',
      optional: true,
      description: `Directory holding \`<gate>.json\` confirmation files, relative to the working directory. Defaults to \`${CONFIRMATIONS_ROOT}/<renewal_id>/confirmations\`.`,
    },
    alias: {
      type: 'string',
      optional: true,
      description: 'The tenant keystore alias whose certificate the renewal exchanges (for `tenant_alias`).',
    },
    new_certificate_pem: {
      type: 'string',
      optional: true,
      description:
        "The renewal's new certificate (PEM): confirmations must name its fingerprint, the probe encrypts for it, `tenant_alias` `new` compares with it.",
    },
    old_fingerprint_sha256: {
      type: 'string',
      optional: true,
      description:
        'SHA-256 fingerprint of the certificate the alias held before the renewal (for `tenant_alias` `old`).',
    },
    iflow_ids: {
      type: ['list', 'string'],
      optional: true,
      description: 'Every iFlow (artifact ID) that uses the alias (for `iflow_state`).',
    },
    window_start: {
      type: 'string',
      optional: true,
      description: 'Start of the agreed downtime window, RFC 3339 (for `not_before` `window_start`).',
    },
    exchanged_at: {
      type: 'string',
      optional: true,
      description: 'When the alias switched to the new certificate, RFC 3339 (for `not_before` `retention_end`).',
    },
    retention_days: {
      type: 'number',
      optional: true,
      description: 'Days the old key is kept after the exchange (for `not_before` `retention_end`).',
    },
    id: { type: 'string', computed: true, description: '`<renewal_id>/<gate>`.' },
    opened_at: { type: 'string', computed: true, description: 'When the gate was found open at apply (RFC 3339).' },
    evidence: {
      type: ['list', 'string'],
      computed: true,
      description: 'The evidence that opened the gate, one line each: the audit trail.',
    },
  },
  blocks: {
    requirement: { nesting: 'list', block: requirementBlock },
    settled_by: { nesting: 'list', block: requirementBlock },
    // Given, every confirmation must be SSH-signed by a key of its party; a party without a block cannot confirm.
    confirmation_signers: { nesting: 'list', block: signersBlock },
    // Optional here (only a probe needs it): a single block with neither minimum nor maximum.
    receiver: { nesting: 'single', block: receiverBlock.block },
  },
};

const INPUTS = [
  ...Object.entries(schemaBlock.attributes)
    .filter(([, a]) => !a.computed || a.optional)
    .map(([name]) => name),
  ...Object.keys(schemaBlock.blocks ?? {}),
];

/** The one field each kind of requirement has (its allowed values are the schema's `oneOf`). */
const FIELDS: Readonly<Record<GateRequirement['kind'], string | undefined>> = {
  confirmation: 'party',
  probe: undefined,
  tenant_alias: 'certificate',
  iflow_state: 'state',
  not_before: 'moment',
};

const str = (v: CtyValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: CtyValue | undefined): CtyValue[] => (Array.isArray(v) ? v : []);
const block = (v: CtyValue | undefined): ObjectValue | undefined => (isObject(v) ? v : undefined);
const given = (v: CtyValue | undefined) => v !== null && v !== undefined;

function invalid(detail: string, attribute: (string | number)[]): CpiError {
  return new CpiError('CPI_VALUE_INVALID', detail, attribute);
}

/** The `requirement` (or `settled_by`) blocks as the gate model; unknown values are skipped (checked again at plan). */
function requirementsFrom(config: ObjectValue, name: 'requirement' | 'settled_by'): GateRequirement[] {
  const requirements: GateRequirement[] = [];
  list(config[name]).forEach((r, i) => {
    if (!isObject(r)) return;
    const kind = str(r.kind);
    if (kind === undefined) return;
    const field = FIELDS[kind as GateRequirement['kind']];
    for (const other of ['party', 'certificate', 'state', 'moment'])
      if (other !== field && given(r[other]))
        throw invalid(`${name}[${i}].${other} does not belong to a ${kind} requirement; remove it`, [name, i, other]);
    if (!field) {
      requirements.push({ kind } as GateRequirement);
      return;
    }
    const value = r[field];
    if (value === UNKNOWN) return;
    if (typeof value !== 'string') throw invalid(`${name}[${i}] (${kind}) needs ${field}`, [name, i, field]);
    requirements.push({ kind, [field]: value } as unknown as GateRequirement);
  });
  return requirements;
}

function checkFingerprint(value: CtyValue | undefined, attribute: string): void {
  if (typeof value === 'string' && !isSha256Fingerprint(value)) {
    throw invalid(
      `${attribute} "${value}" is not a SHA-256 fingerprint; expected 64 hex digits, optionally colon-separated (AB:CD:…)`,
      [attribute],
    );
  }
}

/** Checks of the configuration alone; unknown values are skipped (they are checked again at plan). */
function validateConfig(
  config: ObjectValue,
): Pick<GateSpec, 'requirements' | 'settledBy'> & { signers?: ConfirmationSigners } {
  for (const name of ['renewal_id', 'gate'] as const) {
    const value = str(config[name]);
    if (value !== undefined && !isSafeName(value)) {
      throw invalid(
        `${name} "${value}" must consist of letters, digits, ".", "_" and "-" (it names confirmation files)`,
        [name],
      );
    }
  }
  const waitsFor = config.waits_for;
  if (Array.isArray(waitsFor)) {
    if (waitsFor.length === 0)
      throw invalid('waits_for is empty; name the party (or parties) the gate waits for', ['waits_for']);
  }
  for (const name of ['window_start', 'exchanged_at'] as const) {
    const value = str(config[name]);
    if (value !== undefined && !parseRfc3339(value))
      throw invalid(`${name} "${value}" is not an RFC 3339 time such as ${RFC3339_EXAMPLE}`, [name]);
  }
  const retention = config.retention_days;
  if (typeof retention === 'number' && (!Number.isInteger(retention) || retention < 1))
    throw invalid(`retention_days ${retention} is not a whole number of days above 0`, ['retention_days']);
  checkFingerprint(config.old_fingerprint_sha256, 'old_fingerprint_sha256');
  const alias = str(config.alias);
  if (alias !== undefined) validateAlias(alias, ['alias']);
  if (Array.isArray(config.iflow_ids) && config.iflow_ids.length === 0)
    throw invalid('iflow_ids is empty; name every iFlow that uses the alias', ['iflow_ids']);
  if (list(config.requirement).length === 0 && !containsUnknown(config.requirement ?? null)) {
    throw new CpiError(
      'CPI_GATE_NO_EVIDENCE',
      `gate "${str(config.gate) ?? '?'}" has no requirement block, so it could never be checked`,
    );
  }
  const requirements = requirementsFrom(config, 'requirement');
  const settledBy = requirementsFrom(config, 'settled_by');
  for (const [name, given] of [
    ['requirement', requirements],
    ['settled_by', settledBy],
  ] as const) {
    const repeated = repeatedRequirements(given);
    if (repeated.length > 0)
      throw invalid(`${name} ${repeated.join(', ')} is given more than once; give each requirement once`, [name]);
    given.forEach((r, i) => {
      const absent = factsNeeded(r).filter((fact) => config[fact] === null || config[fact] === undefined);
      if (absent.length > 0)
        throw invalid(
          `${name}[${i}] (${r.kind}) refers to ${absent.join(' and ')}, which the gate does not set; set ${absent.length > 1 ? 'them' : 'it'}`,
          [absent[0]!],
        );
    });
  }
  const signers = signersFrom(config);
  if (signers) {
    requirements.forEach((r, i) => {
      if (r.kind === 'confirmation' && !signers[r.party])
        throw new CpiError(
          'CPI_GATE_SIGNERS_INVALID',
          `requirement[${i}] asks ${r.party} to confirm, but confirmation_signers lists no key for ${r.party}: the renewal asks for signed confirmations, so add a confirmation_signers block for ${r.party}`,
          ['confirmation_signers'],
        );
    });
  }
  requirements.forEach((r, i) => {
    if (
      r.kind === 'confirmation' &&
      Array.isArray(waitsFor) &&
      !containsUnknown(waitsFor) &&
      !waitsFor.includes(r.party)
    ) {
      throw invalid(
        `requirement[${i}].party "${r.party}" is not in waits_for (${waitsFor.join(', ')}); the gate only waits for those parties`,
        ['requirement', i, 'party'],
      );
    }
  });
  return { requirements, settledBy, ...(signers ? { signers } : {}) };
}

/** The `confirmation_signers` blocks, read; undefined when there are none (unsigned confirmations count). */
function signersFrom(config: ObjectValue): ConfirmationSigners | undefined {
  const blocks = list(config.confirmation_signers);
  if (blocks.length === 0 || containsUnknown(config.confirmation_signers ?? null)) return undefined;
  const signers: Partial<Record<Party, AllowedSigner[]>> = {};
  blocks.forEach((b, i) => {
    if (!isObject(b)) return;
    const party = str(b.party) as Party;
    const text = str(b.allowed_signers) ?? '';
    if (signers[party])
      throw invalid(`confirmation_signers[${i}]: ${party} has more than one block; put all its keys in one`, [
        'confirmation_signers',
        i,
        'party',
      ]);
    try {
      signers[party] = parseAllowedSigners(text, `confirmation_signers[${i}].allowed_signers (${party})`);
    } catch (error) {
      if (error instanceof CpiError)
        throw new CpiError(error.code, error.detail, ['confirmation_signers', i, 'allowed_signers']);
      throw error;
    }
  });
  return signers;
}

function confirmationsDirOf(values: ObjectValue): string {
  return str(values.confirmations_dir) ?? defaultConfirmationsDir(String(values.renewal_id), CONFIRMATIONS_ROOT);
}

/** The gate and its facts, from known values; reads the certificate and the receiver settings (secrets from the env). */
async function gateFrom(values: ObjectValue): Promise<{ gate: GateSpec; facts: GateFacts }> {
  const { requirements, settledBy, signers } = validateConfig(values);
  const gate: GateSpec = {
    name: String(values.gate),
    waitsFor: list(values.waits_for).map(String) as Party[],
    mode: values.mode === 'any' ? 'any' : 'all',
    requirements,
    ...(settledBy && settledBy.length > 0 ? { settledBy } : {}),
  };
  const facts: {
    -readonly [K in keyof GateFacts]: GateFacts[K];
  } = {
    renewalId: String(values.renewal_id),
    confirmationsDir: confirmationsDirOf(values),
    ...(signers ? { confirmationSigners: signers } : {}),
  };
  const pem = str(values.new_certificate_pem);
  if (pem !== undefined) {
    const { parseCertificatePem } = await import('../../pki/certificate-info');
    try {
      facts.newCertificate = { pem, fingerprintSha256: parseCertificatePem(pem).fingerprintSha256 };
    } catch (error) {
      if (error instanceof CpiError)
        throw new CpiError(error.code, `new_certificate_pem: ${error.detail}`, ['new_certificate_pem']);
      throw error;
    }
  }
  const receiver = block(values.receiver);
  if (receiver && allRequirements(gate).some((r) => r.kind === 'probe'))
    facts.receiver = receiverSettingsFrom(receiver, process.env, 'receiver');
  const alias = str(values.alias);
  if (alias !== undefined) facts.alias = alias;
  const old = str(values.old_fingerprint_sha256);
  if (old !== undefined) facts.oldFingerprintSha256 = normalizeFingerprint(old);
  if (Array.isArray(values.iflow_ids)) facts.iflowIds = values.iflow_ids.map(String);
  const windowStart = str(values.window_start);
  if (windowStart !== undefined) facts.windowStart = parseRfc3339(windowStart)!;
  const exchangedAt = str(values.exchanged_at);
  if (exchangedAt !== undefined) facts.exchangedAt = parseRfc3339(exchangedAt)!;
  if (typeof values.retention_days === 'number') facts.retentionDays = values.retention_days;
  return { gate, facts };
}

/**
 * Decides the gate from live evidence. What the alias holds comes from the keystore listing of this walk at plan
 * (shared with the stage's other resources, which read it anyway) and from a listing made during the apply
 * operation itself at apply: an apply never trusts what its plan saw.
 */
async function evaluate(values: ObjectValue, ctx: CallContext<ProviderClients>, at: 'plan' | 'apply') {
  const { gate, facts } = await gateFrom(values);
  const { evaluateGate, liveEvidenceSources, FINGERPRINT_NOT_REPORTED } = await import('../../renewal/evidence');
  const { tenant } = ctx.provider();
  const sources = liveEvidenceSources({
    now: () => ctx.now(),
    aliasFingerprint: async (alias, signal) => {
      const entry = await tenant.keystoreEntry(alias, signal, at === 'apply' ? ctx : undefined);
      return entry && (entry.fingerprintSha256 ?? FINGERPRINT_NOT_REPORTED);
    },
    iflowStatus: async (id, signal) => (await (await tenant.tenant()).getRuntimeArtifact(id, { signal }))?.status,
  });
  const evaluation = await evaluateGate(gate, facts, sources, ctx.signal);
  // Settled: the stage's effect already holds (or a later stage superseded it), so re-applying it changes nothing.
  if (!evaluation.open && !evaluation.settled)
    throw new CpiError('CPI_GATE_CLOSED', closedGateMessage(gate, facts, evaluation));
  return { gate, facts, evaluation };
}

async function open(planned: ObjectValue, ctx: CallContext<ProviderClients>): Promise<ObjectValue> {
  const { gate, facts, evaluation } = await evaluate(planned, ctx, 'apply');
  return {
    ...planned,
    id: `${facts.renewalId}/${gate.name}`,
    opened_at: evaluation.now.toISOString(),
    evidence: evaluation.open ? evidenceLines(evaluation.results) : settledLines(evaluation.settledResults),
  };
}

export const renewalGate: ResourceType<ProviderClients> = {
  name: 'cpi_renewal_gate',
  schema: {
    version: 0,
    description:
      'The gate in front of a renewal stage: the hand-over from the party who acted before. Its `requirement` ' +
      'blocks say what must hold (a confirmation, a probe of the receiver, the certificate under the tenant alias, ' +
      "the iFlows' state, a moment); the other attributes are the renewal's values they refer to. Evaluated when " +
      'planned, on every plan, and again at apply: having opened once is the audit trail (`opened_at`, `evidence`), ' +
      'not permission. While closed, plan and apply fail with `CPI_GATE_CLOSED`, naming the party who must act, ' +
      'what to do and the evidence found so far. What the provider observes itself (the alias, the iFlows, a ' +
      'probe) beats a confirmation: contrary evidence keeps the gate closed. A gate whose `settled_by` ' +
      "requirement holds (the stage's effect already holds or was superseded) is settled: re-applying its stage " +
      'plans no change. With `confirmation_signers`, a confirmation counts only when SSH-signed (`cpi-renewal ' +
      "confirm --sign-with`) by one of its party's keys over its renewal, gate, fingerprint, party, person and time.",
    block: schemaBlock,
  },

  validate(config) {
    validateConfig(config);
  },

  async plan({ prior, proposed }, ctx) {
    const planned: ObjectValue = { ...proposed };
    if (typeof planned.renewal_id === 'string' && typeof planned.gate === 'string')
      planned.id = `${planned.renewal_id}/${planned.gate}`;
    // Inputs that another resource produces during this apply are only known then: the gate is decided at apply.
    if (INPUTS.some((name) => containsUnknown(planned[name] ?? null))) {
      planned.opened_at = UNKNOWN;
      planned.evidence = UNKNOWN;
      return { planned };
    }
    // Every plan decides again: having opened once is the audit trail, not permission. Closed and not settled,
    // the plan fails; open or settled, an applied gate with unchanged inputs plans no change (its record stands).
    await evaluate(planned, ctx, 'plan');
    if (prior !== null && INPUTS.every((name) => ctyEqual(planned[name] ?? null, prior[name] ?? null)))
      return { planned };
    planned.opened_at = UNKNOWN;
    planned.evidence = UNKNOWN;
    return { planned };
  },

  create: open,
  update: (_prior, planned, ctx) => open(planned, ctx),

  // Nothing remote to refresh: the state is the record of when and why the gate opened.
  async read(state) {
    return state;
  },

  async delete() {},
};
