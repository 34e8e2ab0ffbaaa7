// The `receiver` block shared by cpi_receiver_key, cpi_receiver_keyring and cpi_renewal_gate: which receiver
// backend holds the keys. Passwords and tokens are named by environment variable, so that they are available on
// every refresh yet never stored in Terraform state.
import { CpiError } from '../errors';
import { checkReceiverSecretEnvName, RECEIVER_SECRET_ENV_PREFIX, secretBearingUrl } from '../rules/secret-routes';
import type { ReceiverSettings } from '../receiver/receiver-backend';
import { RECEIVER_KINDS } from '../rules/receiver-key';
import type { ObjectValue } from './cty';
import type { NestedBlockSpec } from './schema';

export const DEFAULT_PASSWORD_ENV = 'CPI_RECEIVER_KEYSTORE_PASSWORD';
export const DEFAULT_ADMIN_TOKEN_ENV = 'CPI_RECEIVER_ADMIN_TOKEN';

export const receiverBlock: NestedBlockSpec = {
  nesting: 'single',
  minItems: 1,
  maxItems: 1,
  block: {
    attributes: {
      kind: {
        type: 'string',
        required: true,
        oneOf: RECEIVER_KINDS,
        description:
          "The backend: `pkcs12` (a keystore pair a Java receiver on WSS4J/CXF reads) or `embedded` (the embedded receiver's admin API).",
      },
      url: {
        type: 'string',
        optional: true,
        description: '`embedded`: base URL of the receiver, e.g. `http://127.0.0.1:8081`; https:// unless loopback.',
      },
      admin_token_env: {
        type: 'string',
        optional: true,
        description: `\`embedded\`: environment variable that holds the admin token (the embedded receiver requires one). Must start with \`${RECEIVER_SECRET_ENV_PREFIX}\`. Defaults to \`${DEFAULT_ADMIN_TOKEN_ENV}\`.`,
      },
      keystore_path: {
        type: 'string',
        optional: true,
        description: '`pkcs12`: path of the active keystore (the keys the receiver decrypts with).',
      },
      archive_path: {
        type: 'string',
        optional: true,
        description: '`pkcs12`: path of the archive keystore (retired keys kept for the retention period).',
      },
      password_env: {
        type: 'string',
        optional: true,
        description: `\`pkcs12\`: environment variable that holds the keystore password. Must start with \`${RECEIVER_SECRET_ENV_PREFIX}\`. Defaults to \`${DEFAULT_PASSWORD_ENV}\`.`,
      },
    },
  },
};

function required(block: ObjectValue, name: string, path: string): string {
  const value = block[name];
  if (typeof value !== 'string' || value === '') {
    throw new CpiError('CPI_VALUE_INVALID', `receiver.${name} is required for kind "${String(block.kind)}"`, [
      path,
      name,
    ]);
  }
  return value;
}

/** Settings from the block, with secrets read from the environment. `path` is the block's attribute name. */
export function receiverSettingsFrom(
  block: ObjectValue,
  env: NodeJS.ProcessEnv = process.env,
  path = 'receiver',
): ReceiverSettings {
  if (block.kind === 'embedded') {
    const url = required(block, 'url', path);
    if (!/^https?:\/\/[^/\s]+/.test(url))
      throw new CpiError('CPI_VALUE_INVALID', `receiver.url "${url}" is not an http(s) URL`, [path, 'url']);
    // the admin token goes there
    secretBearingUrl(url, 'receiver.url', [path, 'url']);
    const tokenEnv = typeof block.admin_token_env === 'string' ? block.admin_token_env : DEFAULT_ADMIN_TOKEN_ENV;
    checkReceiverSecretEnvName(tokenEnv, [path, 'admin_token_env']);
    const adminToken = env[tokenEnv];
    return { kind: 'embedded', url, ...(adminToken ? { adminToken } : {}) };
  }
  if (block.kind === 'pkcs12') {
    const passwordEnv = typeof block.password_env === 'string' ? block.password_env : DEFAULT_PASSWORD_ENV;
    checkReceiverSecretEnvName(passwordEnv, [path, 'password_env']);
    const password = env[passwordEnv];
    if (!password) {
      throw new CpiError(
        'CPI_VALUE_INVALID',
        `the environment variable ${passwordEnv} (receiver.password_env) holds no keystore password`,
        [path, 'password_env'],
      );
    }
    return {
      kind: 'pkcs12',
      keystorePath: required(block, 'keystore_path', path),
      archivePath: required(block, 'archive_path', path),
      password,
    };
  }
  throw new CpiError(
    'CPI_VALUE_INVALID',
    `receiver.kind "${String(block.kind)}" is not one of ${RECEIVER_KINDS.join(', ')}`,
    [path, 'kind'],
  );
}
