// The I/O edge of the alias rule (alias-invariant.ts): observe the alias, its deployed users and the receiver's
// keys, ask the pure decision, and turn its verdict into a refusal (CpiError) or a warning. Plan observes through
// the provider's caches; apply re-observes (fresh) right before it changes anything, because another resource of
// the same apply, or someone else, may have moved the world since the plan.
import { CpiError } from '../errors';
import { isObject, containsUnknown } from './cty';
import { decideAliasChange, type AliasChange, type AliasObservation } from './alias-invariant';
import type { ProviderClients } from './provider-config';
import { receiverSettingsFrom } from './receiver-settings';
import type { AttributePath, CallContext } from './resource';

export interface ObserveOptions {
  /**
   * Apply-time re-check: observe from keystore and runtime listings made during this operation, not from the
   * configuration's caches.
   */
  readonly fresh?: boolean;
}

/** Whether a `receiver` block value can be used to reach the receiver now (set and fully known). */
export function receiverGiven(block: unknown): boolean {
  return isObject(block) && !containsUnknown(block);
}

/** What the tenant and (when `receiver` is given) the receiver show for the alias now. */
export async function observeAlias(
  ctx: CallContext<ProviderClients>,
  alias: string,
  receiver: unknown,
  options: ObserveOptions = {},
): Promise<
  AliasObservation & { readonly unreadable: readonly string[]; readonly unreadableBundles: readonly string[] }
> {
  const { tenant } = ctx.provider();
  const freshFor = options.fresh ? ctx : undefined;
  const [entry, usage, receiverKeys] = await Promise.all([
    tenant.keystoreEntry(alias, ctx.signal, freshFor),
    tenant.aliasUsage(alias, ctx.signal, freshFor),
    receiverGiven(receiver) ? keysOf(receiver, ctx.signal) : Promise.resolve(undefined),
  ]);
  return {
    alias,
    fingerprintSha256: entry?.fingerprintSha256,
    users: usage.users.map((u) => ({ iflowId: u.iflowId, status: u.status })),
    receiverKeys,
    unreadable: usage.unreadable,
    unreadableBundles: usage.unreadableBundles,
  };
}

async function keysOf(receiver: unknown, signal: AbortSignal) {
  const { openReceiverBackend } = await import('../receiver/open-backend');
  const backend = await openReceiverBackend(receiverSettingsFrom(receiver as never, process.env, 'receiver'));
  return (await backend.listKeys(signal)).map((k) => ({
    name: k.name,
    state: k.state,
    fingerprintSha256: k.fingerprintSha256,
  }));
}

/**
 * Refuses `change` (CpiError with the rule's code, pointing at `attribute`) when it would break the alias rule;
 * warns when part of it could not be checked. `what` names the action for the message, e.g. `exchanging the
 * certificate of cpi_keystore_certificate "orders"`.
 */
export async function enforceAliasRule(
  ctx: CallContext<ProviderClients>,
  request: {
    readonly alias: string;
    readonly receiver: unknown;
    readonly change: AliasChange;
    readonly attribute: AttributePath;
    readonly what: string;
  },
  options: ObserveOptions = {},
): Promise<AliasObservation> {
  const seen = await observeAlias(ctx, request.alias, request.receiver, options);
  const verdict = decideAliasChange(seen, request.change, ctx.now());
  if (!verdict.ok) {
    throw new CpiError(verdict.code, `${request.what}: ${verdict.detail}; nothing was changed`, request.attribute);
  }
  if (verdict.unverified) ctx.warn('The receiver side of the alias rule was not checked', verdict.unverified);
  if (seen.unreadable.length > 0) {
    ctx.warn(
      'Some deployed iFlows could not be checked for the alias',
      `the tenant gave no design-time configuration for the deployed iFlows ${seen.unreadable.map((id) => `"${id}"`).join(', ')}, so whether they use alias "${request.alias}" is unknown`,
    );
  }
  if (seen.unreadableBundles.length > 0) {
    ctx.warn(
      'Some deployed iFlows could not be checked for an alias typed into their channels',
      `the tenant did not hand out the bundles of the deployed iFlows ${seen.unreadableBundles.map((id) => `"${id}"`).join(', ')}, so whether a channel names alias "${request.alias}" directly (not through a parameter) is unknown`,
    );
  }
  return seen;
}
