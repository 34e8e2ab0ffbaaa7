// cpi_renewal_gate: the hand-over between two stages of a renewal. Evaluated at plan (on create and when its inputs
// change) and again at apply; closed, it fails the plan with what the waited-for party must do; open, it records
// the evidence and the time in state. Once applied the gate is never re-evaluated: the record is the audit trail.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { CpiError } from '../../errors';
import {
  defaultConfirmationsDir,
  isFingerprintSha256,
  isParty,
  isSafeName,
  parseRfc3339,
} from '../../renewal/confirmation';
import type { GateEvaluation, GateEvidenceSpec } from '../../renewal/evidence';
import { normalizeFingerprint } from '../../renewal/gate-decision';
import { PARTY_TITLES, renewalStages, type Party } from '../../renewal/stages';
import { containsUnknown, ctyEqual, isObject, UNKNOWN, type CtyValue, type ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import { receiverBlock, receiverSettingsFrom } from '../receiver-settings';
import type { CallContext, ResourceType } from '../resource';
import type { BlockSpec } from '../schema';
import { validateAlias } from '../../rules/alias';

const DEFAULT_MODE = 'all';
const CONFIRMATIONS_ROOT = 'renewals';

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
      description:
        'The parties whose action the gate waits for: `receiver-admin`, `tenant-admin`, `integration-developer`.',
    },
    action: {
      type: 'string',
      optional: true,
      description:
        "What the waited-for party must do, shown when the gate is closed. Defaults to the stage table's text for this gate, or to the list of missing evidence.",
    },
    mode: {
      type: 'string',
      optional: true,
      computed: true,
      default: DEFAULT_MODE,
      description: `How the confirmation, probe, tenant_alias and iflow_state requirements combine: \`all\` or \`any\`; \`not_before\` must hold in both. Defaults to \`${DEFAULT_MODE}\`.`,
    },
    confirmations_dir: {
      type: 'string',
      optional: true,
      description: `Directory holding \`<gate>.json\` confirmation files, relative to the working directory. Defaults to \`${CONFIRMATIONS_ROOT}/<renewal_id>/confirmations\`.`,
    },
    not_before: {
      type: 'string',
      optional: true,
      description:
        'The gate opens no earlier than this time (RFC 3339), e.g. the start of the downtime window or the end of retention. Defaults to no time condition.',
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
    confirmation: {
      nesting: 'list',
      block: {
        attributes: {
          party: { type: 'string', required: true, description: 'The party who must confirm.' },
          fingerprint_sha256: {
            type: 'string',
            required: true,
            description: 'SHA-256 fingerprint of the certificate the confirmation must name.',
          },
        },
      },
    },
    probe: {
      nesting: 'single',
      block: {
        attributes: {
          certificate_pem: {
            type: 'string',
            required: true,
            description: 'The certificate a canary message is encrypted for; the receiver must decrypt it.',
          },
        },
        blocks: { receiver: receiverBlock },
      },
    },
    tenant_alias: {
      nesting: 'single',
      block: {
        attributes: {
          alias: { type: 'string', required: true, description: 'The tenant keystore alias.' },
          fingerprint_sha256: {
            type: 'string',
            required: true,
            description: 'SHA-256 fingerprint of the certificate the alias must hold.',
          },
        },
      },
    },
    iflow_state: {
      nesting: 'single',
      block: {
        attributes: {
          iflow_ids: {
            type: ['list', 'string'],
            required: true,
            description: 'The iFlows (artifact IDs) that must all be in `state`.',
          },
          state: { type: 'string', required: true, description: '`undeployed` (no runtime artifact) or `started`.' },
        },
      },
    },
  },
};

const INPUTS = [
  ...Object.entries(schemaBlock.attributes)
    .filter(([, a]) => !a.computed || a.optional)
    .map(([name]) => name),
  ...Object.keys(schemaBlock.blocks ?? {}),
];

const str = (v: CtyValue | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
const list = (v: CtyValue | undefined): CtyValue[] => (Array.isArray(v) ? v : []);
const block = (v: CtyValue | undefined): ObjectValue | undefined => (isObject(v) ? v : undefined);

function invalid(detail: string, attribute: (string | number)[]): CpiError {
  return new CpiError('CPI_VALUE_INVALID', detail, attribute);
}

function checkFingerprint(value: CtyValue | undefined, attribute: (string | number)[]): void {
  if (typeof value === 'string' && !isFingerprintSha256(value)) {
    throw invalid(
      `"${value}" is not a SHA-256 fingerprint; expected 64 hex digits, optionally colon-separated (AB:CD:…)`,
      attribute,
    );
  }
}

/** Checks of the configuration alone; unknown values are skipped (they are checked again at plan). */
function validateConfig(config: ObjectValue): void {
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
    waitsFor.forEach((p, i) => {
      if (typeof p === 'string' && !isParty(p))
        throw invalid(`waits_for[${i}] "${p}" is not one of ${Object.keys(PARTY_TITLES).join(', ')}`, ['waits_for', i]);
    });
  }
  const mode = str(config.mode);
  if (mode !== undefined && mode !== 'all' && mode !== 'any')
    throw invalid(`mode "${mode}" must be "all" or "any"`, ['mode']);
  const notBefore = str(config.not_before);
  if (notBefore !== undefined && !parseRfc3339(notBefore)) {
    throw invalid(`not_before "${notBefore}" is not an RFC 3339 time such as 2026-03-01T22:00:00Z`, ['not_before']);
  }
  list(config.confirmation).forEach((c, i) => {
    if (!isObject(c)) return;
    const party = str(c.party);
    if (party !== undefined && !isParty(party)) {
      throw invalid(`confirmation[${i}].party "${party}" is not one of ${Object.keys(PARTY_TITLES).join(', ')}`, [
        'confirmation',
        i,
        'party',
      ]);
    }
    if (party !== undefined && Array.isArray(waitsFor) && !containsUnknown(waitsFor) && !waitsFor.includes(party)) {
      throw invalid(
        `confirmation[${i}].party "${party}" is not in waits_for (${waitsFor.join(', ')}); the gate only waits for those parties`,
        ['confirmation', i, 'party'],
      );
    }
    checkFingerprint(c.fingerprint_sha256, ['confirmation', i, 'fingerprint_sha256']);
  });
  const alias = block(config.tenant_alias);
  if (alias) {
    if (typeof alias.alias === 'string') validateAlias(alias.alias, ['tenant_alias', 'alias']);
    checkFingerprint(alias.fingerprint_sha256, ['tenant_alias', 'fingerprint_sha256']);
  }
  const iflows = block(config.iflow_state);
  if (iflows) {
    const state = str(iflows.state);
    if (state !== undefined && state !== 'undeployed' && state !== 'started') {
      throw invalid(`iflow_state.state "${state}" must be "undeployed" or "started"`, ['iflow_state', 'state']);
    }
    if (Array.isArray(iflows.iflow_ids) && iflows.iflow_ids.length === 0)
      throw invalid('iflow_state.iflow_ids is empty; name every iFlow that uses the alias', [
        'iflow_state',
        'iflow_ids',
      ]);
  }
  const requirements =
    list(config.confirmation).length +
    [config.probe, config.tenant_alias, config.iflow_state, config.not_before].filter(
      (v) => v !== null && v !== undefined,
    ).length;
  if (requirements === 0) {
    throw new CpiError(
      'CPI_GATE_NO_EVIDENCE',
      `gate "${str(config.gate) ?? '?'}" has no confirmation, probe, tenant_alias or iflow_state block and no not_before, so it could never be checked`,
    );
  }
}

function confirmationsDirOf(values: ObjectValue): string {
  return str(values.confirmations_dir) ?? defaultConfirmationsDir(String(values.renewal_id), CONFIRMATIONS_ROOT);
}

/** The gate as the evidence collector needs it; reads certificate and receiver settings (secrets from the environment). */
async function specFrom(values: ObjectValue): Promise<GateEvidenceSpec> {
  const probeBlock = block(values.probe);
  let probe: GateEvidenceSpec['probe'];
  if (probeBlock) {
    const certificatePem = String(probeBlock.certificate_pem);
    const { parseCertificatePem } = await import('../../pki/certificate-info');
    let fingerprintSha256: string;
    let receiver;
    try {
      fingerprintSha256 = parseCertificatePem(certificatePem).fingerprintSha256;
      receiver = receiverSettingsFrom(block(probeBlock.receiver) ?? {}, process.env, 'receiver');
    } catch (error) {
      if (error instanceof CpiError)
        throw new CpiError(error.code, `probe: ${error.detail}`, [
          'probe',
          ...(error.attribute ?? ['certificate_pem']),
        ]);
      throw error;
    }
    probe = { certificatePem, fingerprintSha256, receiver };
  }
  const alias = block(values.tenant_alias);
  const iflows = block(values.iflow_state);
  const notBefore = str(values.not_before);
  return {
    renewalId: String(values.renewal_id),
    gate: String(values.gate),
    mode: values.mode === 'any' ? 'any' : 'all',
    confirmationsDir: confirmationsDirOf(values),
    confirmations: list(values.confirmation)
      .filter(isObject)
      .map((c) => ({ party: c.party as Party, fingerprintSha256: normalizeFingerprint(String(c.fingerprint_sha256)) })),
    ...(probe ? { probe } : {}),
    ...(alias
      ? {
          tenantAlias: {
            alias: String(alias.alias),
            fingerprintSha256: normalizeFingerprint(String(alias.fingerprint_sha256)),
          },
        }
      : {}),
    ...(iflows
      ? {
          iflowState: {
            iflowIds: list(iflows.iflow_ids).map(String),
            state: iflows.state === 'started' ? 'started' : 'undeployed',
          },
        }
      : {}),
    ...(notBefore ? { notBefore: parseRfc3339(notBefore)! } : {}),
  };
}

async function evaluate(
  values: ObjectValue,
  ctx: CallContext<ProviderClients>,
): Promise<{ spec: GateEvidenceSpec; evaluation: GateEvaluation }> {
  validateConfig(values);
  const spec = await specFrom(values);
  const { evaluateGate, liveEvidenceSources } = await import('../../renewal/evidence');
  const sources = liveEvidenceSources({ now: () => ctx.now(), tenant: () => ctx.provider().tenant.tenant() });
  return { spec, evaluation: await evaluateGate(spec, sources, ctx.signal) };
}

/**
 * Where a person runs `cpi-renewal confirm` and what they commit. Terraform runs in the stack directory (under cdktf,
 * `cdktf.out/stacks/<stack>`), but people work from the project root: the nearest directory above with a
 * `cdktf.json` or `.git`, else the working directory itself. Paths are shown relative to that root when the
 * confirmations live inside it, else absolute.
 */
export function confirmationLocation(confirmationsDir: string, cwd = process.cwd()): { root: string; dir: string } {
  const absolute = resolve(cwd, confirmationsDir);
  let root = resolve(cwd); // plain Terraform: people work where the configuration is
  for (let dir = root; dirname(dir) !== dir; dir = dirname(dir)) {
    if (existsSync(join(dir, 'cdktf.json')) || existsSync(join(dir, '.git'))) {
      root = dir;
      break;
    }
  }
  const inside = relative(root, absolute);
  return inside.startsWith('..') || isAbsolute(inside) ? { root, dir: absolute } : { root, dir: inside || '.' };
}

/** The `cpi-renewal confirm` command line that writes the confirmation this gate looks for, run from `location.root`. */
export function confirmCommand(
  spec: GateEvidenceSpec,
  party: Party,
  fingerprint: string,
  location = confirmationLocation(spec.confirmationsDir),
): string {
  const dir = normalize(location.dir);
  const root = join(dir, '..', '..');
  const standard = normalize(join(root, spec.renewalId, 'confirmations')) === dir;
  const where = standard ? (root === CONFIRMATIONS_ROOT ? '' : ` --dir ${root}`) : ` --confirmations-dir ${dir}`;
  return `cpi-renewal confirm --renewal ${spec.renewalId} --gate ${spec.gate} --party ${party} --fingerprint ${fingerprint} --person "<your name>"${where}`;
}

function defaultAction(gate: string, waitsFor: readonly string[]): string | undefined {
  for (const variant of ['overlap', 'single-key'] as const) {
    for (const stage of renewalStages(variant)) {
      const spec = stage.gate;
      if (!spec || spec.name !== gate) continue;
      const parties = [spec.waitsFor].flat();
      if (parties.length === waitsFor.length && parties.every((p) => waitsFor.includes(p))) return spec.waitingFor;
    }
  }
  return undefined;
}

/** The closed-gate error: which gate, who must act, what exactly to do, and what was found so far. */
function closedError(values: ObjectValue, spec: GateEvidenceSpec, evaluation: GateEvaluation): CpiError {
  const waitsFor = list(values.waits_for).map(String);
  const who = waitsFor.map((p) => `${PARTY_TITLES[p as Party] ?? p} (${p})`).join(' and ');
  const action = str(values.action) ?? defaultAction(spec.gate, waitsFor) ?? 'provide the evidence listed below';
  const location = confirmationLocation(spec.confirmationsDir);
  const file = join(normalize(location.dir), `${spec.gate}.json`);
  const steps = spec.confirmations
    .filter(
      (c) =>
        !evaluation.satisfied.some((r) => r.kind === 'confirmation' && r.text.startsWith(`confirmation: ${c.party} `)),
    )
    .map(
      (c) =>
        `  ${c.party} runs: ${confirmCommand(spec, c.party, c.fingerprintSha256, location)}\n    and commits ${file}`,
    );
  const combine = spec.mode === 'any' ? 'any one of these suffices' : 'all of these are needed';
  const lines = [
    `gate "${spec.gate}" of renewal "${spec.renewalId}" is closed.`,
    `Waiting for: ${who}.`,
    `What they must do: ${action}.`,
    `Missing (${combine}${spec.notBefore ? '; not_before must hold in any case' : ''}):`,
    ...evaluation.missing.map((m) => `  - ${m}`),
    ...(steps.length > 0 ? [`To confirm (from ${location.root}):`, ...steps] : []),
    `Evidence found so far: ${evaluation.satisfied.length === 0 ? 'none' : ''}`,
    ...evaluation.satisfied.map((r) => `  - ${r.text}`),
    `Checked at ${evaluation.now.toISOString()}; confirmations are read from ${evaluation.confirmationFile}.`,
  ];
  return new CpiError('CPI_GATE_CLOSED', lines.join('\n'));
}

async function open(planned: ObjectValue, ctx: CallContext<ProviderClients>): Promise<ObjectValue> {
  const { spec, evaluation } = await evaluate(planned, ctx);
  if (!evaluation.open) throw closedError(planned, spec, evaluation);
  return {
    ...planned,
    id: `${spec.renewalId}/${spec.gate}`,
    opened_at: evaluation.now.toISOString(),
    evidence: evaluation.satisfied.map((r) => r.text),
  };
}

export const renewalGate: ResourceType<ProviderClients> = {
  name: 'cpi_renewal_gate',
  schema: {
    version: 0,
    description:
      'The gate in front of a renewal stage: the hand-over from the party who acted before. Evaluated when planned ' +
      '(on create and when its inputs change) and again at apply. While closed, plan and apply fail with ' +
      '`CPI_GATE_CLOSED`, naming the party who must act, what to do and the evidence found so far. Once open and ' +
      'applied, `opened_at` and `evidence` stay in state as the audit trail and the gate is not evaluated again.',
    block: schemaBlock,
  },

  validate(config) {
    validateConfig(config);
  },

  async plan({ prior, proposed }, ctx) {
    const planned: ObjectValue = { ...proposed };
    if (typeof planned.renewal_id === 'string' && typeof planned.gate === 'string')
      planned.id = `${planned.renewal_id}/${planned.gate}`;
    // Applied and unchanged: the recorded evidence stands.
    if (prior !== null && INPUTS.every((name) => ctyEqual(planned[name] ?? null, prior[name] ?? null)))
      return { planned };
    planned.opened_at = UNKNOWN;
    planned.evidence = UNKNOWN;
    // Inputs that another resource produces during this apply are only known then: the gate is decided at apply.
    if (INPUTS.some((name) => containsUnknown(planned[name] ?? null))) return { planned };
    const { spec, evaluation } = await evaluate(planned, ctx);
    if (!evaluation.open) throw closedError(planned, spec, evaluation);
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
