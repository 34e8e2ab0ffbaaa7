// The parties of a renewal: who applies a stage, and whom a gate waits for.

export type Party = 'receiver-admin' | 'tenant-admin' | 'integration-developer';

export const PARTY_TITLES: Readonly<Record<Party, string>> = {
  'receiver-admin': 'receiver administrator',
  'tenant-admin': 'tenant administrator',
  'integration-developer': 'integration developer',
};
