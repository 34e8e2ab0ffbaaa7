// What a fresh tenant holds, and what the configuration adds on a later start: SAP's own key pair, the signing key
// pairs the iFlows reference, configured certificates, the iFlows themselves and generated credentials. Seeding
// only adds what is missing, so a restart never overwrites what clients changed.
import { randomBytes, X509Certificate } from 'node:crypto';
import { CpiError } from '../errors';
import { channelOf, EXTERNALIZED_CHANNEL, seedChannel, seedParameters } from './channel-parameters';
import type { ResolvedEmulatorConfig } from './emulator-config';
import { isSapReservedAlias } from './hex-alias';
import { generateSelfSignedKeyPair, issueCertificateExpiring } from './key-material';
import type { TenantState, TenantStore } from './tenant-store';

/**
 * SAP's preinstalled key pair (docs/design/sap-api.md#sap-owned-aliases); the tenant administrator cannot change or
 * delete it.
 */
export const SAP_KEY_PAIR_ALIAS = 'sap_cloudintegrationcertificate';

function addKeyPair(state: TenantState, alias: string, owner: 'SAP' | 'Tenant Administrator', now: number): void {
  if (state.keystores.system[alias]) return;
  const pair = generateSelfSignedKeyPair(
    owner === 'SAP' ? 'cloudintegration.emulator.invalid' : alias,
    owner === 'SAP' ? 'SAP' : 'Tenant',
  );
  const by = owner === 'SAP' ? 'SAP' : 'emulator';
  state.keystores.system[alias] = {
    alias,
    type: 'Key Pair',
    owner,
    certificatePem: pair.certificatePem,
    privateKeyPem: pair.privateKeyPem,
    createdBy: by,
    createdTime: now,
    lastModifiedBy: by,
    lastModifiedTime: now,
  };
}

/** Brings the stored state up to the configuration without undoing anything clients did. */
export function seedTenant(store: TenantStore, config: ResolvedEmulatorConfig, now: number): void {
  for (const seed of config.certificates) {
    if (isSapReservedAlias(seed.alias)) {
      throw new CpiError('CPI_EMULATOR_CONFIG_INVALID', `/certificates: the alias "${seed.alias}" is reserved for SAP`);
    }
    if (seed.pem === undefined) continue; // issued below
    try {
      new X509Certificate(seed.pem);
    } catch (error) {
      throw new CpiError(
        'CPI_EMULATOR_CONFIG_INVALID',
        `/certificates: the pem of "${seed.alias}" is not a certificate: ${(error as Error).message}`,
      );
    }
  }
  store.update((state) => {
    addKeyPair(state, SAP_KEY_PAIR_ALIAS, 'SAP', now);
    for (const iflow of config.iflows) {
      if (!isSapReservedAlias(iflow.signingAlias)) addKeyPair(state, iflow.signingAlias, 'Tenant Administrator', now);
    }
    for (const seed of config.certificates) {
      if (state.keystores.system[seed.alias]) continue;
      const pem = seed.pem ?? issueCertificateExpiring(seed.alias, seed.expiresInDays ?? 365, seed.validityDays, now);
      state.keystores.system[seed.alias] = {
        alias: seed.alias,
        type: 'Certificate',
        owner: 'Tenant Administrator',
        certificatePem: new X509Certificate(pem).toString(),
        createdBy: 'emulator',
        createdTime: now,
        lastModifiedBy: 'emulator',
        lastModifiedTime: now,
      };
    }
    // state files from before bundles: every channel setting was an externalized parameter
    for (const stored of Object.values(state.iflows)) stored.channel ??= { ...EXTERNALIZED_CHANNEL };
    // state files from before deletes: every iFlow there was seeded
    const seeded = (state.seededIflows ??= Object.keys(state.iflows));
    for (const iflow of config.iflows) {
      if (!state.iflows[iflow.id] && seeded.includes(iflow.id)) continue; // deleted by a client
      if (!seeded.includes(iflow.id)) seeded.push(iflow.id);
      if (state.iflows[iflow.id]) {
        state.iflows[iflow.id]!.deployError = iflow.deployError; // a test switches failure on and off by config
        continue;
      }
      const stored = {
        id: iflow.id,
        name: iflow.name,
        version: iflow.version,
        packageId: iflow.packageId,
        channel: seedChannel(iflow),
        parameters: seedParameters(iflow),
        deployError: iflow.deployError,
      };
      state.iflows[iflow.id] = stored;
      if (iflow.deployed) {
        state.runtime[iflow.id] = {
          id: iflow.id,
          version: iflow.version,
          name: iflow.name,
          deployedBy: 'emulator',
          deployedOn: now,
          status: iflow.deployError ? 'ERROR' : 'STARTED',
          errorText: iflow.deployError,
          channel: channelOf(stored),
          taskId: null,
          undeployDueAt: null,
        };
      }
    }
    // every iFlow's package exists, also for iFlows kept from an earlier start
    for (const iflow of Object.values(state.iflows)) {
      state.packages[iflow.packageId] ??= {
        id: iflow.packageId,
        name: iflow.packageId,
        createdBy: 'emulator',
        createdAt: now,
      };
    }
    state.generatedCredentials ??= {
      username: 'emulator-admin',
      password: randomBytes(18).toString('base64url'),
      clientId: 'sb-cpi-emulator-api',
      clientSecret: randomBytes(24).toString('base64url'),
    };
  });
}
