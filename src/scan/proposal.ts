// `cpi-renewal propose`: from "this certificate expires soon" to a renewal app to review. What the app needs is
// read from the world, never guessed: the iFlows that use the alias (the alias rule's discovery), the old key (the
// receiver key whose certificate is the one under the alias), and the variant from what the receiver system can
// do (overlap when it decrypts with several keys). The app is written once; a second run finds it and reports it.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CpiError } from '../errors';
import { openReceiverBackend } from '../receiver/open-backend';
import { renewalStages, type RenewalVariant } from '../renewal/stages';
import { renderRunbook } from '../renewal/runbook';
import { sameFingerprint } from '../rules/fingerprint';
import { MIN_RETENTION_DAYS } from '../rules/retention';
import { AliasUsageIndex } from '../tenant/alias-usage';
import { TenantClient } from '../tenant/tenant-client';
import type { FleetReceiver, FleetTenant } from './fleet';
import { DAY_MS } from './renew-window';

/** What the world says about the renewal to propose. */
export interface ProposalFacts {
  readonly tenant: FleetTenant;
  readonly alias: string;
  readonly subject: string;
  readonly fingerprintSha256: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Every deployed iFlow that uses the alias, sorted. */
  readonly iflowIds: readonly string[];
  readonly receiver: FleetReceiver;
  readonly oldKeyName: string;
}

/** The agreed downtime of a single-key renewal (RFC 3339). */
export interface DowntimeWindowText {
  readonly start: string;
  readonly end: string;
}

/** What `proposal.json` in the renewal's directory records: how a later run recognises the renewal. */
export interface ProposalRecord {
  readonly renewalId: string;
  readonly tenant: string;
  readonly tenantUrl: string;
  readonly alias: string;
  readonly oldFingerprintSha256: string;
  readonly oldKeyName: string;
  readonly variant: RenewalVariant;
  readonly iflowIds: readonly string[];
}

export interface Proposal {
  readonly record: ProposalRecord;
  /** File name → content, written into `<renewals dir>/<renewalId>/`. */
  readonly files: Readonly<Record<string, string>>;
}

export type ProposalOutcome =
  | { readonly outcome: 'written'; readonly dir: string; readonly record: ProposalRecord }
  | { readonly outcome: 'exists'; readonly dir: string; readonly record: ProposalRecord };

/** The package the written app imports: the published construct library. */
export const PACKAGE_NAME = 'cdktf-cpi-renewal';

const PROPOSAL_FILE = 'proposal.json';

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Reads the tenant and its receivers for one alias. */
export async function discoverProposal(
  tenant: FleetTenant,
  alias: string,
  options: { receiver?: string; signal?: AbortSignal } = {},
): Promise<ProposalFacts> {
  const client = new TenantClient(tenant.connection);
  const signal = options.signal;
  const entry = (await client.listKeystoreEntries({ signal })).find(
    (e) => e.alias.toLowerCase() === alias.trim().toLowerCase(),
  );
  if (!entry || entry.type !== 'Certificate' || !entry.fingerprintSha256 || !entry.validNotAfter) {
    throw new CpiError(
      'CPI_PROPOSE_ALIAS_UNKNOWN',
      `tenant "${tenant.name}" has ${entry ? `a ${entry.type ?? 'keystore entry'} but no certificate` : 'no keystore entry'} under alias "${alias}"; run \`cpi-renewal scan\` for the aliases in use`,
    );
  }
  const usage = await new AliasUsageIndex(client).usage(entry.alias, signal);
  if (usage.users.length === 0) {
    throw new CpiError(
      'CPI_PROPOSE_ALIAS_UNKNOWN',
      `no deployed iFlow of tenant "${tenant.name}" uses alias "${entry.alias}"${usage.unreadable.length + usage.unreadableBundles.length > 0 ? ` (unknown for ${[...usage.unreadable, ...usage.unreadableBundles].join(', ')})` : ''}; there is nothing to renew without downtime planning`,
    );
  }
  const candidates = tenant.receivers.filter((r) => options.receiver === undefined || r.name === options.receiver);
  if (options.receiver !== undefined && candidates.length === 0) {
    throw new CpiError(
      'CPI_PROPOSE_TARGET_INVALID',
      `--receiver "${options.receiver}" is not a receiver of tenant "${tenant.name}" in the fleet file (receivers: ${tenant.receivers.map((r) => r.name).join(', ') || 'none'})`,
    );
  }
  for (const receiver of candidates) {
    const keys = await openReceiverBackend(receiver.settings).listKeys(signal);
    const old = keys.find((k) => sameFingerprint(k.fingerprintSha256, entry.fingerprintSha256!));
    if (old) {
      return {
        tenant,
        alias: entry.alias,
        subject: entry.subjectDn ?? `CN=${entry.alias}`,
        fingerprintSha256: entry.fingerprintSha256,
        notBefore: entry.validNotBefore ?? entry.validNotAfter,
        notAfter: entry.validNotAfter,
        iflowIds: usage.users.map((u) => u.iflowId),
        receiver,
        oldKeyName: old.name,
      };
    }
  }
  throw new CpiError(
    'CPI_PROPOSE_TARGET_INVALID',
    `no receiver listed for tenant "${tenant.name}" holds the key of the certificate under alias "${entry.alias}" (SHA-256 ${entry.fingerprintSha256}); list the receiver that decrypts for it in the fleet file: the renewal needs the old key`,
  );
}

/** The construct's receiver settings from the fleet file's block (secrets stay named by environment variable). */
function receiverProps(block: Readonly<Record<string, string>>): Record<string, string> {
  const names: Record<string, string> = {
    kind: 'kind',
    url: 'url',
    admin_token_env: 'adminTokenEnv',
    keystore_path: 'keystorePath',
    archive_path: 'archivePath',
    password_env: 'passwordEnv',
  };
  return Object.fromEntries(
    Object.entries(block).flatMap(([key, value]) => (names[key] && value !== undefined ? [[names[key], value]] : [])),
  );
}

/** The app, its settings and its README for the facts; pure (same facts, same files). */
export function renderProposal(facts: ProposalFacts, downtimeWindow?: DowntimeWindowText): Proposal {
  const variant: RenewalVariant = facts.receiver.singleKey ? 'single-key' : 'overlap';
  if (variant === 'single-key' && !downtimeWindow) {
    throw new CpiError(
      'CPI_PROPOSE_TARGET_INVALID',
      `receiver "${facts.receiver.name}" decrypts with one key only (single_key in the fleet file), so the renewal needs an agreed downtime window: give --downtime-start and --downtime-end (RFC 3339, e.g. 2027-03-01T22:00:00Z)`,
    );
  }
  const year = facts.notAfter.getUTCFullYear();
  const renewalId = `${slug(facts.tenant.name)}-${slug(facts.alias)}`.slice(0, 57).replace(/-+$/, '') + `-${year}`;
  let newKeyName = `${slug(facts.alias)}-${year}`.slice(0, 64);
  if (newKeyName === facts.oldKeyName) newKeyName = `${newKeyName.slice(0, 60)}-new`;
  const validityDays = Math.max(
    1,
    Math.min(3650, Math.round((facts.notAfter.getTime() - facts.notBefore.getTime()) / DAY_MS)),
  );
  const receiver = receiverProps(facts.receiver.block);
  const props = {
    renewalId,
    variant,
    alias: facts.alias,
    iflowIds: [...facts.iflowIds],
    receiver,
    newKey: { name: newKeyName, subject: facts.subject, validityDays },
    oldKeyName: facts.oldKeyName,
    ...(downtimeWindow ? { downtimeWindow } : {}),
    retentionDays: MIN_RETENTION_DAYS,
    // the tenant comes from CPI_TENANT_URL where each stage runs: stage 1 runs with receiver access only
  };
  const record: ProposalRecord = {
    renewalId,
    tenant: facts.tenant.name,
    tenantUrl: facts.tenant.connection.tenantUrl,
    alias: facts.alias,
    oldFingerprintSha256: facts.fingerprintSha256,
    oldKeyName: facts.oldKeyName,
    variant,
    iflowIds: [...facts.iflowIds],
  };
  const mainTs = [
    `// Renewal of the encryption certificate under alias "${facts.alias}" of tenant "${facts.tenant.name}", which`,
    `// expires ${facts.notAfter.toISOString()}. Proposed by \`cpi-renewal propose\` from what the tenant and the`,
    `// receiver "${facts.receiver.name}" hold; review it like any change (README.md), then apply the stages in order.`,
    `import { App } from 'cdktf';`,
    `import { EncryptionCertificateRenewal } from '${PACKAGE_NAME}';`,
    '',
    'const app = new App();',
    `new EncryptionCertificateRenewal(app, '${renewalId}', ${JSON.stringify(props, null, 2)});`,
    'app.synth();',
    '',
  ].join('\n');
  const cdktfJson = `${JSON.stringify(
    {
      language: 'typescript',
      app: 'npx tsx main.ts',
      output: 'cdktf.out',
      projectId: renewalId,
      sendCrashReports: 'false',
      terraformProviders: [],
      terraformModules: [],
      context: {},
    },
    null,
    2,
  )}\n`;
  const receiverLine =
    receiver.kind === 'embedded' ? `embedded receiver at ${receiver.url}` : `PKCS#12 keystore ${receiver.keystorePath}`;
  const runbook = renderRunbook({
    renewalId,
    variant,
    alias: facts.alias,
    iflowIds: facts.iflowIds,
    newKeyName,
    oldKeyName: facts.oldKeyName,
    receiver: receiverLine,
    ...(downtimeWindow ? { downtimeWindow } : {}),
    retentionDays: MIN_RETENTION_DAYS,
    stages: renewalStages(variant),
    stacksDir: 'cdktf.out/stacks',
    confirmationsDir: 'renewals',
  });
  const why =
    variant === 'overlap'
      ? `overlap: receiver "${facts.receiver.name}" decrypts with several keys at once, so the old and the new key run side by side and no message waits`
      : `single-key: receiver "${facts.receiver.name}" decrypts with one key only (single_key in the fleet file), so the iFlows stop sending during the agreed window ${downtimeWindow!.start} – ${downtimeWindow!.end}`;
  const readme = [
    `# Renewal ${renewalId}`,
    '',
    `The certificate under alias \`${facts.alias}\` of tenant \`${facts.tenant.name}\` (${facts.tenant.connection.tenantUrl}) expires ${facts.notAfter.toISOString()}.`,
    '',
    '| | |',
    '| --- | --- |',
    `| Alias | \`${facts.alias}\` |`,
    `| Certificate now | ${facts.subject}, SHA-256 \`${facts.fingerprintSha256}\` |`,
    `| iFlows that use it (deployed) | ${facts.iflowIds.map((id) => `\`${id}\``).join(', ')} |`,
    `| Receiver | \`${facts.receiver.name}\`: ${receiverLine} |`,
    `| Old key | \`${facts.oldKeyName}\` |`,
    `| New key | \`${newKeyName}\` (${facts.subject}, ${validityDays} days) |`,
    `| Variant | ${why} |`,
    '',
    '## Review',
    '',
    '- Receiver administrator: the receiver, the old key and the new key are right.',
    '- Tenant administrator: the alias and the tenant are right.',
    '- Integration developer: the iFlows are every one that encrypts with the alias (the list was read from the',
    '  deployed iFlows when this was proposed; an iFlow deployed since is checked again by every stage).',
    '',
    'Then, in this directory (the repository has `cdktf-cpi-renewal`, `cdktf`, `constructs` and `tsx` installed):',
    '',
    '```sh',
    'cdktf synth',
    `npx cpi-renewal status`,
    '```',
    '',
    `The tenant comes from the environment as the provider reads it: \`CPI_TENANT_URL=${facts.tenant.connection.tenantUrl}\` with`,
    '`CPI_USERNAME`/`CPI_PASSWORD` or `CPI_SERVICE_KEY` (the stages that touch the tenant); receiver secrets from the',
    'variables named in `main.ts`.',
    '',
    runbook.replace(/^# /m, '## '),
  ].join('\n');
  return {
    record,
    files: {
      'main.ts': mainTs,
      'cdktf.json': cdktfJson,
      'README.md': readme.endsWith('\n') ? readme : `${readme}\n`,
      [PROPOSAL_FILE]: `${JSON.stringify(record, null, 2)}\n`,
    },
  };
}

/** The proposals already under `root`, by directory. */
function existingProposals(root: string): Array<{ dir: string; record: ProposalRecord }> {
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true }).flatMap((entry) => {
    const file = join(root, entry.name, PROPOSAL_FILE);
    if (!entry.isDirectory() || !existsSync(file)) return [];
    try {
      return [{ dir: join(root, entry.name), record: JSON.parse(readFileSync(file, 'utf8')) as ProposalRecord }];
    } catch {
      return [];
    }
  });
}

/**
 * Writes the proposal into `<root>/<renewalId>/` unless a renewal of the same certificate (tenant, alias, old
 * fingerprint) is already there; then nothing changes and the existing one is reported.
 */
export function writeProposal(root: string, proposal: Proposal): ProposalOutcome {
  const { record } = proposal;
  const same = existingProposals(root).find(
    ({ record: other }) =>
      other.tenantUrl === record.tenantUrl &&
      other.alias.toLowerCase() === record.alias.toLowerCase() &&
      sameFingerprint(other.oldFingerprintSha256, record.oldFingerprintSha256),
  );
  if (same) return { outcome: 'exists', dir: same.dir, record: same.record };
  const dir = join(root, record.renewalId);
  if (existsSync(dir)) {
    throw new CpiError(
      'CPI_PROPOSE_TARGET_INVALID',
      `${dir} exists but holds no renewal of alias "${record.alias}" from the certificate ${record.oldFingerprintSha256}; move it away or give another --dir`,
    );
  }
  mkdirSync(dir, { recursive: true });
  for (const [name, content] of Object.entries(proposal.files)) writeFileSync(join(dir, name), content);
  return { outcome: 'written', dir, record };
}
