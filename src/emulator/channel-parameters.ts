// The emulated iFlows externalize their WS-Security receiver channel settings as configuration parameters, the way a
// developer exposes `{{Receiver_PublicKeyAlias}}` (docs/design/sap-api.md#configuration-parameters). A deploy freezes
// them into the runtime artifact.
import type { KeyIdentifier, ResolvedIflow } from './emulator-config';
import type { DeployedChannel, StoredParameter } from './tenant-store';

/** ParameterKey of each channel setting in `…/Configurations`. */
export const CHANNEL_PARAMETER_KEYS = {
  receiverUrl: 'Receiver_Address',
  publicKeyAlias: 'Receiver_PublicKeyAliasEncryption',
  signingAlias: 'Receiver_PrivateKeyAliasSigning',
  keyIdentifier: 'Receiver_KeyIdentifier',
} as const satisfies Record<keyof DeployedChannel, string>;

const DESCRIPTIONS: Record<keyof DeployedChannel, string> = {
  receiverUrl: 'Address of the SOAP receiver',
  publicKeyAlias: 'Public Key Alias for Encryption (receiver certificate in the tenant keystore)',
  signingAlias: 'Private Key Alias for Signing (tenant key pair)',
  keyIdentifier: 'How the message references the encryption certificate',
};

/** The externalized parameters of a freshly seeded iFlow. */
export function seedParameters(iflow: ResolvedIflow): StoredParameter[] {
  const channel: Array<[keyof DeployedChannel, string]> = [
    ['receiverUrl', iflow.receiverUrl],
    ['publicKeyAlias', iflow.publicKeyAlias],
    ['signingAlias', iflow.signingAlias],
    ['keyIdentifier', iflow.keyIdentifier],
  ];
  return [
    ...channel.map(([field, value]) => ({
      ParameterKey: CHANNEL_PARAMETER_KEYS[field],
      ParameterValue: value,
      DataType: 'xsd:string',
      Description: DESCRIPTIONS[field],
    })),
    ...Object.entries(iflow.parameters).map(([key, value]) => ({
      ParameterKey: key,
      ParameterValue: value,
      DataType: 'xsd:string',
      Description: '',
    })),
  ];
}

/** The channel an iFlow would run with if deployed now. */
export function channelOf(parameters: readonly StoredParameter[]): DeployedChannel {
  const value = (field: keyof DeployedChannel): string =>
    parameters.find((p) => p.ParameterKey === CHANNEL_PARAMETER_KEYS[field])?.ParameterValue ?? '';
  return {
    receiverUrl: value('receiverUrl'),
    publicKeyAlias: value('publicKeyAlias'),
    signingAlias: value('signingAlias'),
    keyIdentifier: value('keyIdentifier') as KeyIdentifier,
  };
}
