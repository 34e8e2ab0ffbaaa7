// The cpi provider: its configuration and the list of its resources and data sources.
import type { ProviderDefinition } from './resource';
import { iflowRuntime } from './data-sources/iflow-runtime';
import { keystoreEntries, keystoreEntry } from './data-sources/keystore-entries';
import { receiverKeyring } from './data-sources/receiver-keyring';
import { iflowDeployment } from './resources/iflow-deployment';
import { keystoreCertificate } from './resources/keystore-certificate';
import { receiverKey } from './resources/receiver-key';
import { renewalGate } from './resources/renewal-gate';
import { providerConfigSchema, configureProvider, type ProviderClients } from './provider-config';

export const PROVIDER_VERSION = '0.1.0';

export const cpiProvider: ProviderDefinition<ProviderClients> = {
  name: 'cpi',
  version: PROVIDER_VERSION,
  schema: providerConfigSchema,
  configure: configureProvider,
  resources: [keystoreCertificate, iflowDeployment, receiverKey, renewalGate],
  dataSources: [keystoreEntry, keystoreEntries, iflowRuntime, receiverKeyring],
};
