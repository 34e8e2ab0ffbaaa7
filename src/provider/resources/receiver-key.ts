// cpi_receiver_key: one decryption key of the receiver. The key pair is generated inside the receiver backend, so
// the private key never enters Terraform state; state holds the certificate handed to the tenant. `state` moves
// the key forward in place, pending (generated, not used) -> active (decrypts) -> retired (kept, not used) ->
// deleted (gone from the receiver, kept in state as a tombstone); a declared state behind the observed one plans no
// change unless `rollback_reason` is set, and nothing goes back from deleted. Deleting it, by `state = "deleted"` or
// by destroying it, is refused while the key is active or under retention (90 days after retirement by default), at
// plan time, unless an early destruction reason has been applied first. A retired key that is gone after its
// retention reads as deleted, so that a configuration that declares it retired plans no change. Given `encryption_alias`, the alias rule (docs/alias-rule.md) also
// holds: the key under the alias does not stop decrypting while deployed iFlows use the alias, and is not deleted
// within the retention after the alias last held its certificate. A key that vanishes from the receiver before its
// time is reported as an error, never silently recreated: a new key could not decrypt what was sent for the old
// certificate.
import { CpiError, isCpiError } from '../../errors';
import { enforceAliasRule } from '../alias-observation';
import { validateAlias } from '../../rules/alias';
import { containsUnknown, ctyEqual, isObject, isUnknown, UNKNOWN, type ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import { receiverBlock, receiverSettingsFrom } from '../receiver-settings';
import type { CallContext, ResourceType } from '../resource';
import type { ReceiverBackend, ReceiverKey } from '../../receiver/receiver-backend';
import {
  DEFAULT_RECEIVER_KEY_ALGORITHM,
  RECEIVER_KEY_ALGORITHMS,
  RECEIVER_KEY_LIFECYCLE,
  type ReceiverKeyLifecycleState,
  validateKeyName,
} from '../../rules/receiver-key';
import { MIN_RETENTION_DAYS } from '../../rules/retention';
import { parseRfc3339, RFC3339_EXAMPLE } from '../../rules/time';

const DEFAULT_VALIDITY_DAYS = 730;
/** pending and retired keys do not decrypt; the backend knows both as `retired`. */
const decrypts = (state: unknown): boolean => state === 'active';
const backendState = (state: unknown): 'active' | 'retired' => (decrypts(state) ? 'active' : 'retired');
const ORDER: Record<ReceiverKeyLifecycleState, number> = { pending: 0, active: 1, retired: 2, deleted: 3 };
const isDeleted = (state: unknown): boolean => state === 'deleted';
/** A key generated retired is retired at its creation; backends may record the two a moment apart. */
const GENERATED_RETIRED_TOLERANCE_MS = 60_000;
/** Attributes fixed for the key's life: the certificate and its facts change only with a new key. */
const KEY_FACTS = [
  'id',
  'certificate_pem',
  'fingerprint_sha256',
  'issuer_dn',
  'serial_number',
  'subject_key_identifier',
  'created_at',
];
/** Receiver block attributes that say WHERE the key lives; changing them means another key. */
const LOCATION = ['kind', 'url', 'keystore_path', 'archive_path'];

// Backends, PKI and WS-Security code load on first use: most provider launches only need the schema.
const receiverModules = async () => ({
  ...(await import('../../receiver/open-backend')),
  ...(await import('../../receiver/key-retention')),
  ...(await import('../../pki/certificate-info')),
});

export async function backendFor(block: unknown, attribute = 'receiver'): Promise<ReceiverBackend> {
  if (!isObject(block)) throw new CpiError('CPI_VALUE_INVALID', 'the receiver block is required', [attribute]);
  return (await receiverModules()).openReceiverBackend(receiverSettingsFrom(block, process.env, attribute));
}

function parseTime(value: unknown, attribute: string): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const date = parseRfc3339(value);
  if (date === undefined) {
    throw new CpiError(
      'CPI_VALUE_INVALID',
      `${attribute} "${value}" is not an RFC 3339 time such as ${RFC3339_EXAMPLE}`,
      [attribute],
    );
  }
  return date;
}

/** Keeps the configured spelling of a time when it is the same instant (Terraform requires the config value back). */
function timeValue(actual: Date | undefined, stated: unknown): string | null {
  if (!actual) return null;
  if (typeof stated === 'string' && new Date(stated).getTime() === actual.getTime()) return stated;
  return actual.toISOString();
}

/**
 * The lifecycle state from the backend's: a key not decrypting keeps the state recorded for it (`pending` until it
 * has been active). Backends know no `pending`; with nothing recorded (an import, e.g. the single-key switch stage
 * adopting stage 1's key) a key retired at the very moment it was generated has never decrypted: it is `pending`.
 */
function lifecycleState(key: ReceiverKey, recorded: unknown): ReceiverKeyLifecycleState {
  if (key.state === 'active') return 'active';
  if (recorded === 'pending' || recorded === 'retired') return recorded;
  const neverActive = key.retiredAt !== undefined && key.retiredAt.getTime() === key.createdAt.getTime();
  return neverActive ? 'pending' : 'retired';
}

async function stateFrom(key: ReceiverKey, base: ObjectValue): Promise<ObjectValue> {
  const info = (await receiverModules()).parseCertificatePem(key.certificatePem);
  return {
    ...base,
    id: key.name,
    key_name: key.name,
    state: lifecycleState(key, base.state),
    certificate_pem: info.pem,
    fingerprint_sha256: info.fingerprintSha256,
    issuer_dn: info.issuerDn,
    serial_number: info.serialNumber,
    subject_key_identifier: info.subjectKeyIdentifier,
    created_at: key.createdAt.toISOString(),
    retired_at: timeValue(key.retiredAt, base.retired_at),
    retain_until: timeValue(key.retainUntil, base.retain_until),
  };
}

function locationChanged(prior: ObjectValue, planned: ObjectValue): boolean {
  const a = isObject(prior.receiver) ? prior.receiver : {};
  const b = isObject(planned.receiver) ? planned.receiver : {};
  return LOCATION.some((name) => !ctyEqual(a[name] ?? null, b[name] ?? null));
}

/**
 * Whether an existing key is the one this configuration's create generated in an earlier apply that died before
 * Terraform saved its state: same name (key names are never reused), subject, algorithm and validity.
 */
async function leftByInterruptedCreate(key: ReceiverKey, planned: ObjectValue): Promise<boolean> {
  if (key.algorithm !== planned.algorithm || typeof planned.subject !== 'string') return false;
  // A key generated by the interrupted create is still in the state it was generated in. One retired since (a
  // previous renewal's old key under retention) belongs to someone else: adopting it would reactivate it, or let
  // this renewal's cleanup delete a key another renewal keeps (retention bypassed by reusing a key name).
  const plannedState = backendState(planned.state);
  if (key.state !== plannedState) return false;
  if (key.retiredAt && Math.abs(key.retiredAt.getTime() - key.createdAt.getTime()) > GENERATED_RETIRED_TOLERANCE_MS)
    return false;
  const { parseCertificatePem } = await receiverModules();
  const { parseSubject } = await import('../../pki/distinguished-name');
  const info = parseCertificatePem(key.certificatePem);
  const days = Math.round((info.validTo.getTime() - info.validFrom.getTime()) / 86_400_000);
  if (days !== Number(planned.validity_days)) return false;
  try {
    return JSON.stringify(parseSubject(info.subjectDn)) === JSON.stringify(parseSubject(planned.subject));
  } catch {
    return false;
  }
}

/** Refuses to plan the end of a key that is active or under retention, unless a reason is in state. */
async function checkEnd(prior: ObjectValue, ctx: CallContext<ProviderClients>, what: string): Promise<void> {
  const { checkDeletable } = await receiverModules();
  try {
    checkDeletable({
      name: String(prior.key_name),
      state: backendState(prior.state),
      retainUntil: parseTime(prior.retain_until, 'retain_until'),
      now: ctx.now(),
      earlyDestructionReason:
        typeof prior.early_destruction_reason === 'string' ? prior.early_destruction_reason : undefined,
    });
  } catch (error) {
    if (isCpiError(error)) throw new CpiError(error.code, `${what}: ${error.detail}`, ['early_destruction_reason']);
    throw error;
  }
}

/**
 * The alias rule for a key that stops decrypting (retired, or rolled back to pending): refused while the alias
 * holds its certificate and a deployed iFlow uses the alias. Only checked when encryption_alias names the alias.
 */
async function guardDeactivation(
  prior: ObjectValue,
  planned: ObjectValue,
  ctx: CallContext<ProviderClients>,
  fresh: boolean,
): Promise<void> {
  if (typeof planned.encryption_alias !== 'string') return;
  await enforceAliasRule(
    ctx,
    {
      alias: planned.encryption_alias,
      receiver: planned.receiver,
      change: {
        kind: 'deactivate-key',
        keyName: String(prior.key_name),
        fingerprintSha256: String(prior.fingerprint_sha256),
      },
      attribute: ['state'],
      what: `setting key "${String(prior.key_name)}" to ${String(planned.state)}`,
    },
    { fresh },
  );
}

/** The alias rule for deleting a key: not while in use, not within the retention after the alias last held it. */
async function guardDeletion(
  state: ObjectValue,
  ctx: CallContext<ProviderClients>,
  what: string,
  fresh: boolean,
): Promise<void> {
  if (typeof state.encryption_alias !== 'string') return;
  const { MIN_RETENTION_DAYS } = await receiverModules();
  // Recorded as holding but not refreshed since: count as held until now (the safe side).
  const lastHeld =
    parseTime(state.alias_released_at, 'alias_released_at') ??
    (state.alias_holds_certificate === true ? ctx.now() : undefined);
  await enforceAliasRule(
    ctx,
    {
      alias: state.encryption_alias,
      receiver: state.receiver,
      change: {
        kind: 'delete-key',
        keyName: String(state.key_name),
        fingerprintSha256: String(state.fingerprint_sha256),
        aliasLastHeldAt: lastHeld,
        retentionDays: MIN_RETENTION_DAYS,
        earlyDestructionReason:
          typeof state.early_destruction_reason === 'string' ? state.early_destruction_reason : undefined,
      },
      attribute: ['early_destruction_reason'],
      what,
    },
    { fresh },
  );
}

/**
 * Deletes the key from the receiver, re-checking at apply what the plan checked: `-replace` and a plan minutes old
 * reach here too, so the same refusals come before the backend (which refuses under retention too) is asked.
 */
async function deleteKey(
  state: ObjectValue,
  backend: ReceiverBackend,
  ctx: CallContext<ProviderClients>,
): Promise<void> {
  const what = `destroying key "${String(state.key_name)}"`;
  await checkEnd(state, ctx, what);
  await guardDeletion(state, ctx, what, true);
  const reason = typeof state.early_destruction_reason === 'string' ? state.early_destruction_reason : undefined;
  try {
    await backend.deleteKey(
      String(state.key_name),
      { now: ctx.now(), ...(reason ? { earlyDestructionReason: reason } : {}) },
      ctx.signal,
    );
  } catch (error) {
    if (isCpiError(error) && error.code === 'CPI_RECEIVER_KEY_NOT_FOUND') return; // already gone: the goal is reached
    throw error;
  }
}

/**
 * Whether the alias holds this key's certificate, and since when it no longer does: the start of the retention
 * that the alias rule counts. Observed at every refresh. The first refresh that sees the alias moved on (or the
 * first at all, for an imported key whose history is unknown) records when the tenant last changed the entry (its
 * LastModifiedTime: the switch, or a later change), which is never earlier than the alias let go of this key's
 * certificate, so the retention is never shorter. The tenant's record, not this machine's clock: the system that
 * made the change says when it happened. A key seen not held since it was created was never under the alias.
 */
async function aliasFacts(
  state: ObjectValue,
  fingerprint: string,
  ctx: CallContext<ProviderClients>,
): Promise<ObjectValue> {
  if (typeof state.encryption_alias !== 'string') return { alias_holds_certificate: null, alias_released_at: null };
  const entry = await ctx.provider().tenant.keystoreEntry(state.encryption_alias, ctx.signal);
  if (entry?.fingerprintSha256 === fingerprint) return { alias_holds_certificate: true, alias_released_at: null };
  if (typeof state.alias_released_at === 'string' || state.alias_holds_certificate === false)
    return { alias_holds_certificate: false, alias_released_at: state.alias_released_at ?? null };
  return { alias_holds_certificate: false, alias_released_at: (entry?.lastModifiedTime ?? ctx.now()).toISOString() };
}

export const receiverKey: ResourceType<ProviderClients> = {
  name: 'cpi_receiver_key',
  schema: {
    version: 0,
    description:
      'One decryption key of the receiver, generated inside the receiver backend (the private key never enters ' +
      'Terraform state). It moves forward only, `pending` -> `active` -> `retired` -> `deleted`; `state = "retired"` keeps the key but stops decrypting with it; ' +
      '`state = "deleted"` deletes it from the receiver and keeps the resource in state as a tombstone. Deleting it (so, or by destroying the resource) is refused ' +
      'while it is active or before `retain_until` unless `early_destruction_reason` has been applied first.',
    block: {
      attributes: {
        key_name: {
          type: 'string',
          required: true,
          requiresReplace: true,
          description:
            "The key's name in the receiver (the PKCS#12 alias): lower-case letters, digits, `.`, `_`, `-`. Never reused. Changing it creates a new key.",
        },
        subject: {
          type: 'string',
          required: true,
          requiresReplace: true,
          description:
            'Subject DN of the self-signed certificate, e.g. `CN=orders-receiver-2026,O=Example`. Changing it creates a new key.',
        },
        algorithm: {
          type: 'string',
          optional: true,
          computed: true,
          requiresReplace: true,
          default: DEFAULT_RECEIVER_KEY_ALGORITHM,
          oneOf: RECEIVER_KEY_ALGORITHMS,
          description: `Key algorithm. Changing it creates a new key. Defaults to \`${DEFAULT_RECEIVER_KEY_ALGORITHM}\`.`,
        },
        validity_days: {
          type: 'number',
          optional: true,
          computed: true,
          requiresReplace: true,
          default: DEFAULT_VALIDITY_DAYS,
          description: `Days the certificate is valid from creation (1 to 36500). Changing it creates a new key. Defaults to \`${DEFAULT_VALIDITY_DAYS}\`.`,
        },
        state: {
          type: 'string',
          optional: true,
          computed: true,
          default: 'active',
          oneOf: RECEIVER_KEY_LIFECYCLE,
          description:
            '`pending` (generated, not used to decrypt), `active` (the receiver decrypts with it), `retired` (kept for the retention period, not used) or `deleted` (deleted from the receiver once its retention is over; the resource stays in state as a tombstone). Changed in place and forward only: a state behind the one the key has reached (e.g. `pending` for an active key, `retired` for a deleted one) plans no change, unless `rollback_reason` is set; nothing comes back from `deleted`. A retired key that is gone from the receiver after `retain_until` reads as `deleted`. A new key cannot be `deleted`. Defaults to `active`.',
        },
        rollback_reason: {
          type: 'string',
          optional: true,
          description:
            'Why the key goes back in its lifecycle (e.g. `rollback of renewal orders-2026: receiver cannot decrypt`); set by a gated rollback stage. While set, a declared `state` behind the current one is applied. Defaults to none (forward only).',
        },
        encryption_alias: {
          type: 'string',
          optional: true,
          description:
            "The tenant keystore alias this key's certificate is (or will be) under. Given, the provider refuses to retire the key, or roll it back to pending, while the alias holds its certificate and a deployed iFlow uses the alias (`CPI_RECEIVER_KEY_IN_USE`), and refuses to delete it within 90 days after the alias last held its certificate (`CPI_RECEIVER_KEY_RETAINED`). Needs the tenant in the provider configuration. Defaults to none (no alias checks).",
        },
        retain_until: {
          type: 'string',
          optional: true,
          computed: true,
          description: `RFC 3339 time before which a retired key may not be deleted; at least ${MIN_RETENTION_DAYS} days after its retirement. Defaults to the retirement time plus ${MIN_RETENTION_DAYS} days.`,
        },
        early_destruction_reason: {
          type: 'string',
          optional: true,
          description:
            'Why the key may be destroyed before `retain_until` (e.g. it is compromised); apply it, then destroy. Recorded by the receiver. Defaults to none.',
        },
        id: { type: 'string', computed: true, description: 'The key name.' },
        certificate_pem: {
          type: 'string',
          computed: true,
          description: "The key's self-signed certificate (PEM), to hand to the tenant.",
        },
        fingerprint_sha256: {
          type: 'string',
          computed: true,
          description: 'SHA-256 fingerprint of the certificate, colon-separated hex as the tenant shows it.',
        },
        issuer_dn: {
          type: 'string',
          computed: true,
          description: 'Issuer DN of the certificate (RFC 4514); equals the subject (self-signed).',
        },
        serial_number: {
          type: 'string',
          computed: true,
          description: 'Serial number of the certificate, lower-case hex.',
        },
        subject_key_identifier: {
          type: 'string',
          computed: true,
          description: 'Subject key identifier of the certificate, lower-case hex.',
        },
        created_at: { type: 'string', computed: true, description: 'When the key was generated (RFC 3339).' },
        alias_holds_certificate: {
          type: 'bool',
          computed: true,
          description:
            "Whether `encryption_alias` held this key's certificate at the last refresh; null without `encryption_alias`.",
        },
        alias_released_at: {
          type: 'string',
          computed: true,
          description:
            "When a refresh first saw `encryption_alias` no longer holding this key's certificate (RFC 3339): the retention for deleting the key counts from here. Null while it holds it, or never did.",
        },
        retired_at: {
          type: 'string',
          computed: true,
          description: 'When the key was last retired (RFC 3339); null while it has never been retired.',
        },
      },
      blocks: { receiver: receiverBlock },
    },
  },

  async validate(config) {
    if (typeof config.key_name === 'string') validateKeyName(config.key_name);
    if (typeof config.encryption_alias === 'string') validateAlias(config.encryption_alias, ['encryption_alias']);
    if (config.validity_days !== null && !isUnknown(config.validity_days)) {
      const days = Number(config.validity_days);
      if (!Number.isInteger(days) || days < 1 || days > 36500) {
        throw new CpiError(
          'CPI_VALUE_INVALID',
          `validity_days ${String(config.validity_days)} is not a whole number from 1 to 36500`,
          ['validity_days'],
        );
      }
    }
    if (typeof config.subject === 'string') {
      const { parseSubject } = await import('../../pki/distinguished-name');
      parseSubject(config.subject);
    }
    parseTime(config.retain_until, 'retain_until');
    // state defaults to active: an unset state with a retain_until is the same mistake
    if ((config.state === 'active' || config.state === null) && typeof config.retain_until === 'string') {
      throw new CpiError(
        'CPI_VALUE_INVALID',
        'retain_until applies to a retired key; set state = "retired" or remove retain_until',
        ['retain_until'],
      );
    }
  },

  async plan({ prior, proposed, config }, ctx) {
    const planned: ObjectValue = { ...proposed };
    const replacing =
      prior !== null &&
      (['key_name', 'subject', 'algorithm', 'validity_days'].some(
        (n) => !ctyEqual(planned[n] ?? null, prior[n] ?? null),
      ) ||
        locationChanged(prior, planned));
    const now = ctx.now();
    const { retainUntilFor } = await receiverModules();
    const requested = parseTime(config.retain_until, 'retain_until');

    if (prior === null || replacing) {
      if (isDeleted(planned.state))
        throw new CpiError(
          'CPI_RECEIVER_KEY_DELETED',
          `key "${String(planned.key_name)}" would be created with state "deleted"; a new key starts pending, active or retired, and "deleted" deletes a key the receiver holds (adopt it with an import first)`,
          ['state'],
        );
      if (prior !== null) {
        const what = `replacing key "${String(prior.key_name)}" deletes it`;
        await checkEnd(prior, ctx, what);
        await guardDeletion(prior, ctx, what, false);
      }
      for (const name of [...KEY_FACTS, 'retired_at']) planned[name] = UNKNOWN;
      planned.retain_until = !decrypts(planned.state) ? (requested ? String(config.retain_until) : UNKNOWN) : null;
      if (!decrypts(planned.state) && requested) retainUntilFor(now, requested);
      // A key name already taken in the receiver is refused now, not half-way through an apply.
      const sameKeySlot = prior !== null && prior.key_name === planned.key_name && !locationChanged(prior, planned);
      if (
        !sameKeySlot &&
        typeof planned.key_name === 'string' &&
        isObject(planned.receiver) &&
        !containsUnknown(planned.receiver)
      ) {
        const keys = await (await backendFor(planned.receiver)).listKeys(ctx.signal);
        const existing = keys.find((k) => k.name === planned.key_name);
        if (existing && (await leftByInterruptedCreate(existing, planned))) {
          ctx.warn(
            'Adopting a receiver key left by an interrupted apply',
            `the receiver already holds key "${existing.name}" (sha256=${existing.fingerprintSha256}, created ${existing.createdAt.toISOString()}) with this subject, algorithm and validity: an earlier apply generated it and stopped before Terraform saved its state. The apply adopts it instead of generating another key.`,
            ['key_name'],
          );
        } else if (existing) {
          throw new CpiError(
            'CPI_RECEIVER_KEY_EXISTS',
            `the receiver already holds a key named "${String(planned.key_name)}" (managed elsewhere, or left by an earlier run); key names are never reused`,
            ['key_name'],
          );
        }
      }
      return { planned, requiresReplace: replacing && locationChanged(prior!, planned) ? ['receiver'] : [] };
    }

    // In place: the key and its certificate stay; only state, retention and the recorded reason change.
    for (const name of KEY_FACTS) planned[name] = prior[name] ?? null;
    const aliasChanged = planned.encryption_alias !== (prior.encryption_alias ?? null);
    planned.alias_holds_certificate = aliasChanged ? UNKNOWN : (prior.alias_holds_certificate ?? null);
    planned.alias_released_at = aliasChanged ? UNKNOWN : (prior.alias_released_at ?? null);
    const rollback = typeof planned.rollback_reason === 'string' && planned.rollback_reason.trim() !== '';
    const declared = ORDER[planned.state as ReceiverKeyLifecycleState] as number | undefined;
    const observed = ORDER[prior.state as ReceiverKeyLifecycleState] as number | undefined;
    if (declared !== undefined && observed !== undefined && declared < observed && rollback && isDeleted(prior.state))
      throw new CpiError(
        'CPI_RECEIVER_KEY_DELETED',
        `key "${String(prior.key_name)}" (sha256=${String(prior.fingerprint_sha256)}) is deleted; rollback_reason cannot bring it back to ${String(planned.state)}`,
        ['state'],
      );
    if (declared !== undefined && observed !== undefined && declared < observed && !rollback) {
      // Forward-only: an earlier stage re-applied after a later one is a no-op, never a step back.
      ctx.warn(
        'Receiver key state is behind the receiver: no change',
        `key "${String(prior.key_name)}" is ${String(prior.state)}; the configuration declares ${String(planned.state)}, an earlier step of pending -> active -> retired -> deleted. Nothing changes${isDeleted(prior.state) ? '' : '; to go back, set rollback_reason (the gated rollback stage does)'}.`,
        ['state'],
      );
      planned.state = prior.state ?? null;
      planned.retain_until = prior.retain_until ?? null;
      planned.retired_at = prior.retired_at ?? null;
      return { planned };
    }
    if (decrypts(prior.state) && !decrypts(planned.state)) {
      await guardDeactivation(prior, planned, ctx, false);
    }
    if (isDeleted(planned.state) && !isDeleted(prior.state)) {
      // Deleting in place: every rule that refuses destroying the key refuses this too.
      const what = `setting key "${String(prior.key_name)}" to deleted deletes it`;
      await checkEnd({ ...prior, early_destruction_reason: planned.early_destruction_reason ?? null }, ctx, what);
      await guardDeletion(
        { ...prior, early_destruction_reason: planned.early_destruction_reason ?? null },
        ctx,
        what,
        false,
      );
      planned.retired_at = decrypts(prior.state) ? UNKNOWN : (prior.retired_at ?? null);
      planned.retain_until = prior.retain_until ?? null;
      return { planned };
    }
    if (decrypts(planned.state)) {
      planned.retain_until = null;
      planned.retired_at = prior.retired_at ?? null;
    } else if (decrypts(prior.state)) {
      planned.retired_at = UNKNOWN;
      if (requested) retainUntilFor(now, requested);
      planned.retain_until = requested ? String(config.retain_until) : UNKNOWN;
    } else {
      planned.retired_at = prior.retired_at ?? null;
      const retiredAt = parseTime(prior.retired_at, 'retired_at') ?? now;
      if (requested) retainUntilFor(retiredAt, requested);
      planned.retain_until = requested ? String(config.retain_until) : (prior.retain_until ?? UNKNOWN);
    }
    return { planned };
  },

  async planDestroy(prior, ctx) {
    if (isDeleted(prior.state)) return; // a tombstone: the receiver holds nothing to delete
    await checkEnd(prior, ctx, `destroying key "${String(prior.key_name)}"`);
    await guardDeletion(prior, ctx, `destroying key "${String(prior.key_name)}"`, false);
  },

  async create(planned, ctx) {
    const backend = await backendFor(planned.receiver);
    const name = String(planned.key_name);
    const state = backendState(planned.state);
    // Generating and saving state are not atomic: a run killed in between left the key behind. Adopt it.
    const existing = (await backend.listKeys(ctx.signal)).find((k) => k.name === name);
    let key =
      existing && (await leftByInterruptedCreate(existing, planned))
        ? existing
        : // Generated in its planned state: a key planned as retired never decrypts, not even for a moment.
          await backend.generateKey(
            {
              name,
              algorithm: String(planned.algorithm) as ReceiverKey['algorithm'],
              subject: String(planned.subject),
              validityDays: Number(planned.validity_days),
              state,
            },
            ctx.signal,
          );
    const retainUntil = parseTime(planned.retain_until, 'retain_until');
    if (
      key.state !== state ||
      (state === 'retired' && retainUntil && key.retainUntil?.getTime() !== retainUntil.getTime())
    ) {
      key = await backend.setKeyState(name, state, { retainUntil }, ctx.signal);
    }
    return { ...(await stateFrom(key, planned)), ...(await aliasFacts(planned, key.fingerprintSha256, ctx)) };
  },

  async read(state, ctx) {
    const backend = await backendFor(state.receiver);
    const name = String(state.key_name);
    const key = (await backend.listKeys(ctx.signal)).find((k) => k.name === name);
    const retainUntil = parseTime(state.retain_until, 'retain_until');
    if (!key) {
      if (isDeleted(state.state)) return state;
      // Gone after its retention: deleted (by another stage's cleanup, or by hand), the end of its lifecycle, kept
      // as a tombstone so that a configuration declaring it retired plans no change. Gone before: an incident that
      // needs a person.
      if (!decrypts(state.state) && retainUntil && ctx.now() >= retainUntil) return { ...state, state: 'deleted' };
      throw new CpiError(
        'CPI_RECEIVER_KEY_MISSING',
        `key "${name}" (sha256=${String(state.fingerprint_sha256)}) is no longer in the receiver, although it is ${!decrypts(state.state) ? `retained until ${String(state.retain_until)}` : 'active'}`,
        ['key_name'],
      );
    }
    if (key.fingerprintSha256 !== state.fingerprint_sha256) {
      throw new CpiError(
        'CPI_RECEIVER_KEY_MISSING',
        `key "${name}" in the receiver now has certificate sha256=${key.fingerprintSha256}; state holds sha256=${String(state.fingerprint_sha256)}: the key was replaced out of band`,
        ['key_name'],
      );
    }
    return { ...(await stateFrom(key, state)), ...(await aliasFacts(state, key.fingerprintSha256, ctx)) };
  },

  async update(prior, planned, ctx) {
    const backend = await backendFor(planned.receiver);
    const name = String(planned.key_name);
    if (isDeleted(planned.state)) {
      if (!isDeleted(prior.state))
        await deleteKey({ ...prior, early_destruction_reason: planned.early_destruction_reason ?? null }, backend, ctx);
      // The tombstone: the key's facts as they were, so that every configuration that knew the key plans no change.
      const known = (value: ObjectValue[string] | undefined) =>
        value === undefined || isUnknown(value) ? null : value;
      return {
        ...planned,
        retired_at: isUnknown(planned.retired_at) ? ctx.now().toISOString() : known(planned.retired_at),
        alias_holds_certificate: known(planned.alias_holds_certificate),
        alias_released_at: known(planned.alias_released_at),
      };
    }
    const requested = parseTime(planned.retain_until, 'retain_until');
    // Re-checked against the live alias, iFlows and receiver: the plan may be minutes old.
    if (decrypts(prior.state) && !decrypts(planned.state)) await guardDeactivation(prior, planned, ctx, true);
    const needsChange =
      backendState(prior.state) !== backendState(planned.state) ||
      (!decrypts(planned.state) && requested && !ctyEqual(prior.retain_until ?? null, planned.retain_until ?? null));
    const key = needsChange
      ? await backend.setKeyState(name, backendState(planned.state), { retainUntil: requested }, ctx.signal)
      : (await backend.listKeys(ctx.signal)).find((k) => k.name === name);
    if (!key)
      throw new CpiError('CPI_RECEIVER_KEY_MISSING', `key "${name}" is no longer in the receiver`, ['key_name']);
    const state = await stateFrom(key, planned);
    // Known alias facts were planned from the refresh; only a changed encryption_alias leaves them to observe now.
    return isUnknown(planned.alias_holds_certificate)
      ? {
          ...state,
          ...(await aliasFacts(
            { ...planned, alias_holds_certificate: null, alias_released_at: null },
            key.fingerprintSha256,
            ctx,
          )),
        }
      : state;
  },

  /**
   * Adopts an existing key. An import gets no configuration, so the ID carries where the key lives:
   * `{"key_name":"orders-2025","receiver":{"kind":"embedded","url":"http://127.0.0.1:8081"}}`.
   */
  async import(id, ctx) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(id);
    } catch {
      parsed = undefined;
    }
    const spec = isObject(parsed as never) ? (parsed as { key_name?: unknown; receiver?: unknown }) : undefined;
    if (!spec || typeof spec.key_name !== 'string' || !isObject(spec.receiver as never)) {
      throw new CpiError(
        'CPI_IMPORT_ID_INVALID',
        `cpi_receiver_key import ID ${JSON.stringify(id)} is not {"key_name": "...", "receiver": {"kind": "...", ...}}`,
      );
    }
    const receiver = Object.fromEntries(
      Object.keys(receiverBlock.block.attributes).map((name) => [
        name,
        (spec.receiver as Record<string, unknown>)[name] ?? null,
      ]),
    ) as ObjectValue;
    const backend = await backendFor(receiver);
    const key = (await backend.listKeys(ctx.signal)).find((k) => k.name === spec.key_name);
    if (!key)
      throw new CpiError(
        'CPI_RECEIVER_KEY_NOT_FOUND',
        `the receiver has no key named "${String(spec.key_name)}" to import`,
      );
    const info = (await receiverModules()).parseCertificatePem(key.certificatePem);
    const validityDays = Math.round((info.validTo.getTime() - info.validFrom.getTime()) / 86_400_000);
    return stateFrom(key, {
      receiver,
      key_name: key.name,
      subject: info.subjectDn,
      algorithm: key.algorithm,
      validity_days: validityDays,
      early_destruction_reason: null,
      encryption_alias: null,
      rollback_reason: null,
      alias_holds_certificate: null,
      alias_released_at: null,
    });
  },

  async delete(state, ctx) {
    if (isDeleted(state.state)) return; // a tombstone: already gone
    await deleteKey(state, await backendFor(state.receiver), ctx);
  },
};
