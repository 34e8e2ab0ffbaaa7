// The stages of a renewal, as data: which party acts in which order, which of SAP's steps each stage carries out,
// and the gate (a GateSpec of ./gate.ts) in front of it. The constructs, the runbook, the manifest and
// `cpi-renewal status` all read this one table, so they cannot disagree.
import type { GateSpec } from './gate';
import type { Party } from './party';

/** SAP's two variants: the receiver decrypts with old and new key at once, or with one key only. */
export type RenewalVariant = 'overlap' | 'single-key';
export const RENEWAL_VARIANTS: readonly RenewalVariant[] = ['overlap', 'single-key'];

/** Every stage name of either variant; the L3 construct maps each one to what it builds. */
export type StageName =
  | 'prepare-receiver'
  | 'exchange-certificate'
  | 'retire-old-key'
  | 'stop-sending'
  | 'switch-receiver-key'
  | 'resume-sending'
  | 'cleanup';

export interface StageSpec {
  /** 1-based position; stacks are named `<renewal>-<index>-<name>`. */
  readonly index: number;
  readonly name: StageName;
  readonly title: string;
  /** The party who applies this stage. */
  readonly party: Party;
  /** SAP's step numbers of this variant that the stage carries out. */
  readonly steps: string;
  /** What the stage changes. */
  readonly does: string;
  /** The gate in front of the stage; the first stage has none. */
  readonly gate?: GateSpec;
}

const OVERLAP: readonly StageSpec[] = [
  {
    index: 1,
    name: 'prepare-receiver',
    title: 'Prepare the receiver',
    party: 'receiver-admin',
    steps: '1–3',
    does: 'Creates the new key pair in the receiver and lets the receiver decrypt with the old and the new key; publishes the new certificate.',
  },
  {
    index: 2,
    name: 'exchange-certificate',
    title: 'Exchange the certificate on the tenant',
    party: 'tenant-admin',
    steps: '4–5',
    does: 'Exchanges the certificate under the alias in the tenant keystore, keeping the alias; from now on messages use the new key.',
    gate: {
      name: 'exchange-certificate',
      waitsFor: ['receiver-admin'],
      mode: 'any',
      requirements: [{ kind: 'probe' }, { kind: 'confirmation', party: 'receiver-admin' }],
      // Once the alias holds the new certificate the exchange has happened: re-applying is a no-op.
      settledBy: [{ kind: 'tenant_alias', certificate: 'new' }],
    },
  },
  {
    index: 3,
    name: 'retire-old-key',
    title: 'Retire the old key on the receiver',
    party: 'receiver-admin',
    steps: '6',
    does: 'Removes the old key from decryption; it is kept (retired) for the retention period.',
    gate: {
      name: 'retire-old-key',
      waitsFor: ['tenant-admin'],
      mode: 'any',
      requirements: [
        { kind: 'tenant_alias', certificate: 'new' },
        { kind: 'confirmation', party: 'tenant-admin' },
      ],
    },
  },
];

const SINGLE_KEY: readonly StageSpec[] = [
  {
    index: 1,
    name: 'prepare-receiver',
    title: 'Prepare the receiver',
    party: 'receiver-admin',
    steps: '1–2',
    does: 'Creates the new key pair in the receiver (not yet used for decryption); publishes the new certificate.',
  },
  {
    index: 2,
    name: 'stop-sending',
    title: 'Stop sending: undeploy the iFlows',
    party: 'integration-developer',
    steps: '3–6',
    does: 'Undeploys every iFlow that uses the alias; no encrypted message is sent from now on.',
    gate: {
      name: 'stop-sending',
      waitsFor: ['receiver-admin', 'tenant-admin'],
      mode: 'all',
      requirements: [
        { kind: 'confirmation', party: 'receiver-admin' },
        { kind: 'confirmation', party: 'tenant-admin' },
        { kind: 'not_before', moment: 'window_start' },
      ],
      // Once the alias holds the new certificate the renewal is past stopping: re-applying is a no-op.
      settledBy: [{ kind: 'tenant_alias', certificate: 'new' }],
    },
  },
  {
    index: 3,
    name: 'exchange-certificate',
    title: 'Exchange the certificate on the tenant',
    party: 'tenant-admin',
    steps: '7–8',
    does: 'Exchanges the certificate under the alias in the tenant keystore, keeping the alias.',
    gate: {
      name: 'exchange-certificate',
      waitsFor: ['integration-developer'],
      mode: 'all',
      requirements: [{ kind: 'iflow_state', state: 'undeployed' }],
      // Once the alias holds the new certificate the exchange has happened: re-applying is a no-op.
      settledBy: [{ kind: 'tenant_alias', certificate: 'new' }],
    },
  },
  {
    index: 4,
    name: 'switch-receiver-key',
    title: 'Switch the receiver to the new key',
    party: 'receiver-admin',
    steps: '9–10',
    does: 'Makes the new key the one the receiver decrypts with and retires the old key (kept for the retention period).',
    gate: {
      name: 'switch-receiver-key',
      waitsFor: ['tenant-admin'],
      mode: 'all',
      requirements: [{ kind: 'tenant_alias', certificate: 'new' }],
    },
  },
  {
    index: 5,
    name: 'resume-sending',
    title: 'Resume sending: redeploy the iFlows',
    party: 'integration-developer',
    steps: '11–12',
    does: 'Redeploys every iFlow that uses the alias.',
    gate: {
      name: 'resume-sending',
      waitsFor: ['receiver-admin'],
      mode: 'all',
      requirements: [{ kind: 'probe' }],
    },
  },
];

function cleanup(index: number): StageSpec {
  return {
    index,
    name: 'cleanup',
    title: 'Remove the old key after retention',
    party: 'receiver-admin',
    steps: '90-day rule',
    does: 'Deletes the retired old key from the receiver once the retention period after the exchange has ended.',
    gate: {
      name: 'cleanup',
      waitsFor: ['receiver-admin'],
      mode: 'all',
      requirements: [{ kind: 'not_before', moment: 'retention_end' }],
    },
  };
}

/** The stages of a renewal of this variant, in the order they are applied. */
export function renewalStages(variant: RenewalVariant): readonly StageSpec[] {
  const stages = variant === 'overlap' ? OVERLAP : SINGLE_KEY;
  return [...stages, cleanup(stages.length + 1)];
}

/** The stack name of a stage: reads like the runbook, e.g. `acme-2026-2-exchange-certificate`. */
export function stageStackName(renewalId: string, stage: StageSpec): string {
  return `${renewalId}-${stage.index}-${stage.name}`;
}
