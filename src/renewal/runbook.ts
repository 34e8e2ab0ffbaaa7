// The human runbook of a renewal: who acts in which stage, which gate waits for what, the exact commands, and a
// sequence diagram. Pure (spec and stages in, Markdown out), so reviewers read in the pull request exactly what
// the pipeline will do, and tests compare text without synthesizing anything.
import { shellWord } from '../shell-word';
import type { GateRequirement } from './gate';
import { SIGNATURE_NAMESPACE } from './confirmation-signature';
import { confirmCommand, describeGate } from './gate-report';
import { rollbackStackName, rollbackStages, type RollbackStageSpec } from './rollback-stages';
import { stageStackName, type RenewalVariant, type StageName, type StageSpec } from './stages';
import { PARTY_TITLES, type Party } from './party';

export interface RunbookSpec {
  readonly renewalId: string;
  readonly variant: RenewalVariant;
  readonly alias: string;
  readonly iflowIds: readonly string[];
  readonly newKeyName: string;
  readonly oldKeyName: string;
  /** One line describing the receiver backend, e.g. `embedded receiver at http://127.0.0.1:8081`. */
  readonly receiver: string;
  readonly downtimeWindow?: { readonly start: string; readonly end: string };
  readonly retentionDays: number;
  /** The stages in order, with the gate evidence in effect. */
  readonly stages: readonly StageSpec[];
  /** Where the synthesized stacks are, relative to the repository root (e.g. `cdktf.out/stacks`). */
  readonly stacksDir: string;
  /** Each stage's stack name where the renewal renamed it. @default `<renewal>-<n>-<stage>` */
  readonly stackNames?: Readonly<Partial<Record<StageName, string>>>;
  /** The `--dir` of `cpi-renewal confirm` (e.g. `renewals`). */
  readonly confirmationsDir: string;
  /** The renewal lists confirmation signers: every confirmation must be SSH-signed (`--sign-with`). */
  readonly signedConfirmations?: boolean;
}

const MERMAID_ID: Readonly<Record<Party, string>> = {
  'receiver-admin': 'RA',
  'tenant-admin': 'TA',
  'integration-developer': 'ID',
};

const VARIANT_TITLE: Readonly<Record<RenewalVariant, string>> = {
  overlap: 'overlap (the receiver decrypts with the old and the new key at once; no downtime)',
  'single-key': 'single key (the receiver decrypts with one key only; agreed downtime)',
};

function stackOf(spec: RunbookSpec, stage: StageSpec): string {
  return spec.stackNames?.[stage.name] ?? stageStackName(spec.renewalId, stage);
}

function parties(parties: Party | readonly Party[]): readonly Party[] {
  return typeof parties === 'string' ? [parties] : parties;
}

function requirementText(r: GateRequirement, spec: RunbookSpec): string {
  switch (r.kind) {
    case 'confirmation':
      return `confirmation by the ${PARTY_TITLES[r.party]} naming the new certificate's fingerprint`;
    case 'probe':
      return `probe: the receiver (${spec.receiver}) decrypts a canary message encrypted for the new certificate`;
    case 'tenant_alias':
      return `tenant alias \`${spec.alias}\` holds the ${r.certificate} certificate`;
    case 'iflow_state':
      return `iFlows ${spec.iflowIds.map((id) => `\`${id}\``).join(', ')} are ${r.state}`;
    case 'not_before':
      return r.moment === 'window_start'
        ? `not before the downtime window starts (${spec.downtimeWindow?.start ?? 'window not set'})`
        : `not before ${spec.retentionDays} days after the exchange (retention of the old key)`;
  }
}

/** Each confirming party's `cpi-renewal confirm` line for a gate (fingerprint from $FINGERPRINT), then the commit. */
function confirmLines(
  spec: RunbookSpec,
  gate: string,
  confirmations: readonly Extract<GateRequirement, { kind: 'confirmation' }>[],
): string[] {
  const dir = `${spec.confirmationsDir}/${spec.renewalId}/confirmations`;
  return [
    ...confirmations.map((c) =>
      confirmCommand({
        renewalId: spec.renewalId,
        gate,
        party: c.party,
        fingerprint: '"$FINGERPRINT"',
        dir,
        signed: spec.signedConfirmations ?? false,
      }),
    ),
    `git add ${shellWord(`${dir}/${gate}.json`)} && git commit -m ${shellWord(`confirm ${gate}`)}`,
  ];
}

function commands(stage: StageSpec, spec: RunbookSpec, firstStack: string): string[] {
  const stack = stackOf(spec, stage);
  const dir = `${spec.stacksDir}/${stack}`;
  const lines: string[] = [];
  const confirmations = (stage.gate?.requirements ?? []).filter(
    (r): r is Extract<GateRequirement, { kind: 'confirmation' }> => r.kind === 'confirmation',
  );
  if (stage.gate && confirmations.length > 0) {
    lines.push('# confirmations the gate accepts (each party runs its own line, then commits the file):');
    if (spec.signedConfirmations)
      lines.push(
        `# signed: --sign-with runs ssh-keygen -Y sign -n ${SIGNATURE_NAMESPACE} with your key (one of your party's confirmation signers)`,
      );
    lines.push(`FINGERPRINT=$(terraform -chdir=${spec.stacksDir}/${firstStack} output -raw new_fingerprint_sha256)`);
    lines.push(...confirmLines(spec, stage.gate.name, confirmations), '');
  }
  lines.push('# with cdktf');
  lines.push(`cdktf plan ${stack}`);
  lines.push(`cdktf apply ${stack} --ignore-missing-stack-dependencies --auto-approve`);
  lines.push('# or with plain terraform on the synthesized stack');
  lines.push(`terraform -chdir=${dir} init -input=false`);
  lines.push(`terraform -chdir=${dir} plan -input=false -out=stage.tfplan`);
  lines.push(`terraform -chdir=${dir} apply -input=false stage.tfplan`);
  return lines;
}

function sequenceDiagram(spec: RunbookSpec): string[] {
  const involved = new Set<Party>();
  for (const stage of spec.stages) {
    involved.add(stage.party);
    if (stage.gate) for (const p of parties(stage.gate.waitsFor)) involved.add(p);
  }
  const order: Party[] = (['receiver-admin', 'tenant-admin', 'integration-developer'] as const).filter((p) =>
    involved.has(p),
  );
  const lines = ['```mermaid', 'sequenceDiagram'];
  for (const p of order) lines.push(`  participant ${MERMAID_ID[p]} as ${PARTY_TITLES[p]}`);
  for (const stage of spec.stages) {
    if (stage.gate) {
      for (const from of parties(stage.gate.waitsFor)) {
        lines.push(
          `  ${MERMAID_ID[from]}->>${MERMAID_ID[stage.party]}: gate ${stage.gate.name}: ${describeGate(stage.gate)}`,
        );
      }
    }
    lines.push(`  Note over ${MERMAID_ID[stage.party]}: ${stage.index} ${stage.name} (steps ${stage.steps})`);
  }
  lines.push('```');
  return lines;
}

/** The runbook of a renewal as Markdown. */
export function renderRunbook(spec: RunbookSpec): string {
  const firstStack = stackOf(spec, spec.stages[0]!);
  const out: string[] = [];
  out.push(`# Runbook: renewal \`${spec.renewalId}\``);
  out.push('');
  out.push(
    `Renews the encryption certificate under tenant alias \`${spec.alias}\`, used by ${spec.iflowIds.map((id) => `\`${id}\``).join(', ')}.`,
  );
  out.push('');
  out.push(`- Variant: ${VARIANT_TITLE[spec.variant]}`);
  out.push(`- Receiver: ${spec.receiver}; new key \`${spec.newKeyName}\`, old key \`${spec.oldKeyName}\``);
  if (spec.downtimeWindow) out.push(`- Downtime window: ${spec.downtimeWindow.start} to ${spec.downtimeWindow.end}`);
  out.push(
    `- Retention: the old key is kept ${spec.retentionDays} days after the exchange, then removed by the last stage`,
  );
  out.push('');
  out.push('## Parties');
  out.push('');
  const acting = new Set(spec.stages.map((s) => s.party));
  for (const party of ['receiver-admin', 'tenant-admin', 'integration-developer'] as const) {
    if (!acting.has(party)) continue;
    const own = spec.stages.filter((s) => s.party === party).map((s) => `${s.index} ${s.name}`);
    out.push(`- **${PARTY_TITLES[party]}** (\`${party}\`): applies ${own.join(', ')}`);
  }
  out.push('');
  out.push('## Stages');
  out.push('');
  out.push('| # | stage (stack) | party | SAP steps | entry gate |');
  out.push('|---|---|---|---|---|');
  for (const stage of spec.stages) {
    const gate = stage.gate
      ? `waits for ${parties(stage.gate.waitsFor)
          .map((p) => PARTY_TITLES[p])
          .join(' and ')}: ${describeGate(stage.gate)}`
      : '—';
    out.push(
      `| ${stage.index} | \`${stackOf(spec, stage)}\` | ${PARTY_TITLES[stage.party]} | ${stage.steps} | ${gate} |`,
    );
  }
  out.push('');
  out.push('## Sequence');
  out.push('');
  out.push(...sequenceDiagram(spec));
  for (const stage of spec.stages) {
    out.push('');
    out.push(`## ${stage.index}. ${stage.title} — \`${stackOf(spec, stage)}\``);
    out.push('');
    out.push(`Applied by the ${PARTY_TITLES[stage.party]}. ${stage.does}`);
    out.push('');
    if (stage.gate) {
      const combine = stage.gate.mode === 'any' ? 'any one of' : 'all of';
      out.push(
        `Gate \`${stage.gate.name}\` waits for the ${parties(stage.gate.waitsFor)
          .map((p) => PARTY_TITLES[p])
          .join(' and the ')}; it opens on ${combine}:`,
      );
      out.push('');
      for (const r of stage.gate.requirements) out.push(`- ${requirementText(r, spec)}`);
      if (stage.gate.mode === 'any' && stage.gate.requirements.some((r) => r.kind === 'not_before'))
        out.push('- (the time condition holds in any case)');
      out.push('');
      out.push('While it is closed, the plan fails and names what is missing; nothing of this stage is applied.');
      out.push('');
    }
    out.push('```sh');
    out.push(...commands(stage, spec, firstStack));
    out.push('```');
  }
  out.push('');
  out.push(...rollingBack(spec));
  return out.join('\n');
}

/** Where a rollback stage's gate's confirmation comes from: the old certificate, which the way back's first stack adopts. */
function rollbackCommands(stage: RollbackStageSpec, spec: RunbookSpec, firstStack: string): string[] {
  const stack = rollbackStackName(spec.renewalId, stage);
  const dir = `${spec.stacksDir}/${stack}`;
  const lines: string[] = [];
  const confirmations = (stage.gate?.requirements ?? []).filter(
    (r): r is Extract<GateRequirement, { kind: 'confirmation' }> => r.kind === 'confirmation',
  );
  if (stage.gate && confirmations.length > 0) {
    lines.push(
      "# confirmations name the OLD certificate's fingerprint (the closed gate's plan prints these lines with it too):",
    );
    lines.push(
      stage.index === 1
        ? `FINGERPRINT='<old fingerprint, as the plan of this stage prints it while its gate is closed>'`
        : `FINGERPRINT=$(terraform -chdir=${spec.stacksDir}/${firstStack} output -raw old_fingerprint_sha256)`,
    );
    lines.push(...confirmLines(spec, stage.gate.name, confirmations), '');
  }
  lines.push(`terraform -chdir=${dir} init -input=false`);
  lines.push(`terraform -chdir=${dir} plan -input=false -out=stage.tfplan`);
  lines.push(`terraform -chdir=${dir} apply -input=false stage.tfplan`);
  return lines;
}

/** A rollback gate in words: its "new certificate" is the old one, which the way back restores. */
function describeRollbackGate(gate: NonNullable<RollbackStageSpec['gate']>): string {
  return describeGate(gate).replaceAll('the new certificate', 'the old certificate');
}

/** The "Rolling back" section: the way back of this variant (src/renewal/rollback-stages.ts), per party. */
function rollingBack(spec: RunbookSpec): string[] {
  const stages = rollbackStages(spec.variant);
  const firstStack = rollbackStackName(spec.renewalId, stages[0]!);
  const out: string[] = ['## Rolling back', ''];
  out.push(
    spec.variant === 'overlap'
      ? 'While the receiver still holds the old key (until the cleanup stage removes it), the renewal can go back without downtime: the old key decrypts again beside the new one, then the old certificate goes back under the alias. Traffic keeps flowing throughout.'
      : 'While the receiver still holds the old key (until the cleanup stage removes it), the renewal can go back inside an agreed downtime window: the iFlows stop, the old certificate goes back under the alias, the receiver switches back to the old key, the iFlows resume.',
  );
  out.push('');
  out.push(
    `The way back has its own stacks (\`${spec.renewalId}-rollback-<n>-<stage>\`), with their own state, outside the forward chain. Each gate has the shape of the forward gate its stage mirrors, under the name \`rollback-<stage>\`; there "the new certificate" is the certificate the way back restores (the old one), and confirmations name its fingerprint. The exchange back is a compare-and-swap: it proceeds only while the alias holds this renewal's new certificate. Once the old key is deleted, the first stack's plan fails (the key cannot be adopted) and nothing changes.`,
  );
  out.push('');
  out.push('| # | stage (stack) | party | entry gate |');
  out.push('|---|---|---|---|');
  for (const stage of stages) {
    const gate = stage.gate
      ? `waits for ${stage.gate.waitsFor.map((p) => PARTY_TITLES[p]).join(' and ')}: ${describeRollbackGate(stage.gate)}`
      : '—';
    out.push(
      `| ${stage.index} | \`${rollbackStackName(spec.renewalId, stage)}\` | ${PARTY_TITLES[stage.party]} | ${gate} |`,
    );
  }
  for (const stage of stages) {
    out.push('');
    out.push(`### Back ${stage.index}. ${stage.title} — \`${rollbackStackName(spec.renewalId, stage)}\``);
    out.push('');
    out.push(`Applied by the ${PARTY_TITLES[stage.party]}. ${stage.does}`);
    if (stage.completes)
      out.push('', '`cpi-renewal status` reports the renewal as rolled back once this stage is applied.');
    out.push('');
    out.push('```sh');
    out.push(...rollbackCommands(stage, spec, firstStack));
    out.push('```');
  }
  out.push('');
  out.push(
    spec.variant === 'overlap'
      ? 'To go forward again after stage 2 of the way back, apply the exchange-certificate and retire-old-key stages again: the exchange re-times `exchanged_at`, so the retention of the old key counts from it. After the optional last stage (the new key back to pending) the renewal does not go forward again; start a new renewal with a new key name.'
      : 'To go forward again after the way back, apply the forward stages from stop-sending on again (a new window): the exchange re-times `exchanged_at`, so the retention of the old key counts from it. A way back from a completed renewal sets the new key back to pending; going forward again then needs a new renewal with a new key name.',
  );
  out.push('');
  return out;
}
