// cpi_iflow_deployment: whether an integration flow runs on the tenant. The integration developer's step of the
// single-key renewal ("undeploy, exchange, redeploy") is `deployed = false`, then `deployed = true`. Given
// `encryption_alias`, deploying keeps the alias rule (docs/alias-rule.md), and `undeployed_until_alias_holds`
// ends the undeployment once the alias holds the new certificate, so that re-applying the stop-sending stage after
// the renewal is a no-op instead of an outage.
import { setTimeout as sleep } from 'node:timers/promises';
import { CpiError } from '../../errors';
import { enforceAliasRule } from '../alias-observation';
import { receiverBlock } from '../receiver-settings';
import { validateAlias } from '../../rules/alias';
import { requireSha256Fingerprint } from '../../rules/fingerprint';
import type { RuntimeArtifact } from '../../tenant/integration-content';
import { statusPollPause } from '../../tenant/status-poll';
import type { ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import type { CallContext, ResourceType } from '../resource';

const DEFAULT_DEPLOY_TIMEOUT_SECONDS = 600;
const UNDEPLOYED = 'UNDEPLOYED';
// The longest pause between status polls while a deploy or undeploy runs (they start shorter: statusPollPause):
// quick enough that a downtime window is not stretched by waiting, rare enough to stay far below the tenant's
// rate limit.
const STATUS_POLL_MS = 500;

function runtimeFacts(artifact: RuntimeArtifact | undefined): ObjectValue {
  return {
    status: artifact?.status ?? UNDEPLOYED,
    runtime_version: artifact?.version ?? null,
    deployed_on: artifact?.deployedOn?.toISOString() ?? null,
    deployed_by: artifact?.deployedBy ?? null,
  };
}

/** Undeploys and waits until the runtime no longer has the iFlow: only then is no message sent through it. */
async function undeploy(id: string, timeoutSeconds: number, ctx: CallContext<ProviderClients>): Promise<void> {
  const client = await ctx.provider().tenant.tenant();
  ctx.provider().tenant.forgetDeployments();
  await client.undeployIntegrationFlow(id, { signal: ctx.signal });
  const started = Date.now();
  const deadline = started + timeoutSeconds * 1000;
  for (;;) {
    const artifact = await client.getRuntimeArtifact(id, { signal: ctx.signal });
    if (!artifact) return;
    if (Date.now() > deadline) {
      throw new CpiError(
        'CPI_PROVIDER_TIMEOUT',
        `iFlow "${id}" is still in status ${artifact.status} ${timeoutSeconds} s after the undeploy; raise deploy_timeout_seconds or check the tenant`,
      );
    }
    await sleep(statusPollPause(Date.now() - started, STATUS_POLL_MS), undefined, { signal: ctx.signal });
  }
}

async function converge(planned: ObjectValue, ctx: CallContext<ProviderClients>): Promise<ObjectValue> {
  const client = await ctx.provider().tenant.tenant();
  const id = String(planned.iflow_id);
  let artifact: RuntimeArtifact | undefined;
  if (planned.deployed === false) {
    await undeploy(id, Number(planned.deploy_timeout_seconds), ctx);
  } else {
    const version = String(planned.version);
    // Re-checked against the live alias and receiver right before the deploy: the plan may be minutes old.
    await guardDeploy(planned, ctx, true);
    ctx.provider().tenant.forgetDeployments();
    const { taskId } = await client.deployIntegrationFlow(id, version, { signal: ctx.signal });
    artifact = await client.waitForDeployment(id, taskId, {
      timeoutMs: Number(planned.deploy_timeout_seconds) * 1000,
      pollMs: STATUS_POLL_MS,
      signal: ctx.signal,
      ...(version === 'active' ? {} : { expectedVersion: version }),
    });
  }
  return { ...planned, id, ...runtimeFacts(artifact) };
}

/** Deploying an iFlow that encrypts with encryption_alias: refused while the receiver could not decrypt. */
async function guardDeploy(planned: ObjectValue, ctx: CallContext<ProviderClients>, fresh: boolean): Promise<void> {
  if (typeof planned.encryption_alias !== 'string') return;
  await enforceAliasRule(
    ctx,
    {
      alias: planned.encryption_alias,
      receiver: planned.receiver,
      change: { kind: 'deploy', iflowId: String(planned.iflow_id) },
      attribute: ['deployed'],
      what: `deploying iFlow "${String(planned.iflow_id)}"`,
    },
    { fresh },
  );
}

/**
 * Destroying the deployment of a running iFlow that sends with `encryption_alias` (e.g. a renewal's resume-sending
 * stack torn down after the renewal) would stop its traffic: refused. Releasing it silently would hide the mistake;
 * `terraform state rm` releases it on purpose, `deployed = false` stops it on purpose.
 */
async function guardUndeploy(state: ObjectValue, ctx: CallContext<ProviderClients>, what: string): Promise<void> {
  if (typeof state.encryption_alias !== 'string' || state.deployed === false) return;
  // A stop-sending resource whose undeployment is over deletes nothing (see delete).
  if (await undeploymentOver({ ...state, deployed: false }, ctx)) return;
  const client = await ctx.provider().tenant.tenant();
  const artifact = await client.getRuntimeArtifact(String(state.iflow_id), { signal: ctx.signal });
  if (!artifact) return;
  throw new CpiError(
    'CPI_IFLOW_UNDEPLOY_REFUSED',
    `${what} would undeploy iFlow "${String(state.iflow_id)}", which is deployed (${artifact.status}) and sends with alias "${state.encryption_alias}"; no message would go through it until someone deploys it again`,
    ['deployed'],
  );
}

/**
 * Whether an undeployment that lasts only "until the alias holds <fingerprint>" is over: then `deployed = false`
 * asks for nothing any more (the renewal has moved past the exchange).
 */
async function undeploymentOver(state: ObjectValue, ctx: CallContext<ProviderClients>): Promise<boolean> {
  if (typeof state.undeployed_until_alias_holds !== 'string' || typeof state.encryption_alias !== 'string')
    return false;
  const entry = await ctx.provider().tenant.keystoreEntry(state.encryption_alias, ctx.signal);
  return (
    entry?.fingerprintSha256 ===
    requireSha256Fingerprint(state.undeployed_until_alias_holds, 'undeployed_until_alias_holds')
  );
}

/** The runtime facts of prior state, which a no-op plan keeps. */
const RUNTIME = ['id', 'status', 'runtime_version', 'deployed_on', 'deployed_by'];

export const iflowDeployment: ResourceType<ProviderClients> = {
  name: 'cpi_iflow_deployment',
  schema: {
    version: 0,
    description:
      'Whether an integration flow is deployed on the tenant, and which version. `deployed = false` undeploys it ' +
      '(no message is sent through it until it is deployed again); destroying the resource undeploys it too, except ' +
      'that with `encryption_alias` destroying a deployed iFlow is refused (`CPI_IFLOW_UNDEPLOY_REFUSED`): it would ' +
      'stop traffic that sends with the alias; `terraform state rm` releases it without undeploying. ' +
      'Import with the iFlow ID.',
    block: {
      attributes: {
        iflow_id: {
          type: 'string',
          required: true,
          requiresReplace: true,
          description: "The integration flow's artifact ID.",
        },
        version: {
          type: 'string',
          optional: true,
          computed: true,
          default: 'active',
          description: 'The design-time version to deploy, or `active` for the current one. Defaults to `active`.',
        },
        deployed: {
          type: 'bool',
          optional: true,
          computed: true,
          default: true,
          description: 'Deployed (`true`) or undeployed (`false`). Defaults to `true`.',
        },
        deploy_timeout_seconds: {
          type: 'number',
          optional: true,
          computed: true,
          default: DEFAULT_DEPLOY_TIMEOUT_SECONDS,
          description: `How long to wait for the runtime to reach STARTED. Defaults to \`${DEFAULT_DEPLOY_TIMEOUT_SECONDS}\`.`,
        },
        id: { type: 'string', computed: true, description: 'The iFlow ID.' },
        status: { type: 'string', computed: true, description: 'Runtime status: `STARTED`, `ERROR`, or `UNDEPLOYED`.' },
        runtime_version: {
          type: 'string',
          computed: true,
          description: 'The version the runtime runs; null when undeployed.',
        },
        deployed_on: {
          type: 'string',
          computed: true,
          description: 'When it was deployed (RFC 3339); null when undeployed.',
        },
        deployed_by: { type: 'string', computed: true, description: 'Who deployed it; null when undeployed.' },
        encryption_alias: {
          type: 'string',
          optional: true,
          description:
            'The keystore alias the iFlow encrypts with (its "Public Key Alias for Encryption"). Given, deploying is refused (`CPI_IFLOW_DEPLOY_UNSAFE`) while the alias holds no certificate or, with the `receiver` block, while the receiver has no active key for the certificate under it, and destroying the resource while the iFlow is deployed is refused (`CPI_IFLOW_UNDEPLOY_REFUSED`). Defaults to no check.',
        },
        undeployed_until_alias_holds: {
          type: 'string',
          optional: true,
          description:
            'With `deployed = false`: the SHA-256 fingerprint of the certificate after which the undeployment is over. Once `encryption_alias` holds it, `deployed = false` plans no change and destroying undeploys nothing, so re-applying a stop-sending stage after the renewal never stops the iFlow again. Needs `encryption_alias`. Defaults to none (undeployed for good).',
        },
      },
      // The receiver whose keys decrypt what the iFlow sends: given, the deploy check includes the receiver's keys.
      blocks: { receiver: { ...receiverBlock, minItems: 0, maxItems: 0 } },
    },
  },

  validate(config) {
    if (typeof config.encryption_alias === 'string') validateAlias(config.encryption_alias, ['encryption_alias']);
    if (typeof config.undeployed_until_alias_holds === 'string') {
      requireSha256Fingerprint(config.undeployed_until_alias_holds, 'undeployed_until_alias_holds');
      if (config.encryption_alias === null) {
        throw new CpiError(
          'CPI_VALUE_INVALID',
          'undeployed_until_alias_holds needs encryption_alias: the alias whose certificate ends the undeployment',
          ['encryption_alias'],
        );
      }
    }
  },

  async plan({ prior, proposed }, ctx) {
    // The stop-sending stage re-applied after the exchange: the undeployment is over, keep what runs.
    if (
      prior !== null &&
      proposed.deployed === false &&
      prior.iflow_id === proposed.iflow_id &&
      (await undeploymentOver(proposed, ctx))
    ) {
      const planned: ObjectValue = { ...proposed, deployed: prior.deployed ?? null, version: prior.version ?? null };
      for (const name of RUNTIME) planned[name] = prior[name] ?? null;
      return { planned };
    }
    // What the runtime will show is known from the inputs, except when and by whom.
    const planned: ObjectValue = { ...proposed, id: proposed.iflow_id ?? null };
    if (planned.deployed === false) Object.assign(planned, runtimeFacts(undefined));
    // A deploy of an iFlow or version the tenant does not have is refused now, not half-way through an apply
    // (in a single-key renewal, after the other iFlows were already undeployed).
    const deploying =
      planned.deployed !== false &&
      (prior === null ||
        prior.deployed === false ||
        prior.version !== planned.version ||
        prior.iflow_id !== planned.iflow_id);
    if (deploying && typeof planned.iflow_id === 'string' && typeof planned.version === 'string') {
      const client = await ctx.provider().tenant.tenant();
      const artifact = await client.getDesigntimeArtifact(planned.iflow_id, planned.version, { signal: ctx.signal });
      if (!artifact) {
        throw new CpiError(
          'CPI_IFLOW_NOT_FOUND',
          planned.version === 'active'
            ? `the tenant has no integration flow with artifact ID "${planned.iflow_id}"`
            : `the tenant has no integration flow "${planned.iflow_id}" in version "${planned.version}"; use an existing version or "active"`,
          [planned.version === 'active' ? 'iflow_id' : 'version'],
        );
      }
      await guardDeploy(planned, ctx, false);
    }
    return { planned };
  },

  create: converge,
  async update(prior, planned, ctx) {
    // Only the attributes that say how to decide changed (e.g. undeployed_until_alias_holds): nothing to run.
    if (
      prior.deployed === planned.deployed &&
      prior.version === planned.version &&
      (planned.deployed === false || prior.status === 'STARTED')
    ) {
      const client = await ctx.provider().tenant.tenant();
      const artifact = await client.getRuntimeArtifact(String(planned.iflow_id), { signal: ctx.signal });
      return { ...planned, id: String(planned.iflow_id), ...runtimeFacts(artifact) };
    }
    return converge(planned, ctx);
  },

  async read(state, ctx) {
    const client = await ctx.provider().tenant.tenant();
    const artifact = await client.getRuntimeArtifact(String(state.iflow_id), { signal: ctx.signal });
    const running = artifact !== undefined && artifact.status !== 'ERROR';
    const facts = runtimeFacts(artifact);
    // A version pinned in config that the runtime no longer runs is drift; `active` follows whatever runs.
    const version = state.version === 'active' || !artifact ? state.version : artifact.version;
    return { ...state, ...facts, version: version ?? null, deployed: running };
  },

  async planDestroy(prior, ctx) {
    await guardUndeploy(prior, ctx, `destroying the deployment of iFlow "${String(prior.iflow_id)}"`);
  },

  async delete(state, ctx) {
    if (state.deployed === false) return;
    // The stop-sending stage destroyed after the renewal: its undeployment is over, the iFlow keeps running.
    if (await undeploymentOver({ ...state, deployed: false }, ctx)) return;
    // Also at apply: a replacement (iflow_id changed) reaches here without a destroy plan.
    await guardUndeploy(state, ctx, `destroying the deployment of iFlow "${String(state.iflow_id)}"`);
    await undeploy(String(state.iflow_id), Number(state.deploy_timeout_seconds ?? DEFAULT_DEPLOY_TIMEOUT_SECONDS), ctx);
  },

  async import(id, ctx) {
    const artifact = await (await ctx.provider().tenant.tenant()).getRuntimeArtifact(id, { signal: ctx.signal });
    return {
      iflow_id: id,
      id,
      version: 'active',
      deployed: artifact !== undefined,
      deploy_timeout_seconds: DEFAULT_DEPLOY_TIMEOUT_SECONDS,
      encryption_alias: null,
      undeployed_until_alias_holds: null,
      receiver: null,
      ...runtimeFacts(artifact),
    };
  },
};
