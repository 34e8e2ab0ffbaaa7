// cpi_receiver_keyring: every key the receiver holds, active and retired, for gates, outputs and monitoring.
import type { CtyType, ObjectValue } from '../cty';
import type { ProviderClients } from '../provider-config';
import { receiverBlock } from '../receiver-settings';
import type { DataSourceType } from '../resource';
import { backendFor } from '../resources/receiver-key';

const keyType: CtyType = [
  'object',
  {
    name: 'string',
    state: 'string',
    algorithm: 'string',
    fingerprint_sha256: 'string',
    certificate_pem: 'string',
    created_at: 'string',
    retired_at: 'string',
    retain_until: 'string',
  },
];

export const receiverKeyring: DataSourceType<ProviderClients> = {
  name: 'cpi_receiver_keyring',
  schema: {
    version: 0,
    description:
      'The keys the receiver holds (never their private keys): name, state, certificate and retention of each.',
    block: {
      attributes: {
        keys: {
          type: ['list', keyType],
          computed: true,
          description:
            'Every key, sorted by name: `name`, `state` (`active` or `retired`), `algorithm`, `fingerprint_sha256`, `certificate_pem`, `created_at`, `retired_at` and `retain_until` (RFC 3339, null when not set).',
        },
      },
      blocks: { receiver: receiverBlock },
    },
  },
  async read(config, ctx) {
    const keys = await (await backendFor(config.receiver)).listKeys(ctx.signal);
    const value: ObjectValue[] = [...keys]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((k) => ({
        name: k.name,
        state: k.state,
        algorithm: k.algorithm,
        fingerprint_sha256: k.fingerprintSha256,
        certificate_pem: k.certificatePem,
        created_at: k.createdAt.toISOString(),
        retired_at: k.retiredAt?.toISOString() ?? null,
        retain_until: k.retainUntil?.toISOString() ?? null,
      }));
    return { ...config, keys: value };
  },
};
