// The WS-Security receiver channel of an emulated iFlow, as its .iflw writes each setting: either a literal value
// typed into the channel, or a `{{ParameterKey}}` reference to an externalized configuration parameter, the way a
// developer exposes `{{Receiver_PublicKeyAlias}}` (docs/design/sap-api.md#configuration-parameters). A deploy
// resolves the references and freezes the result into the runtime artifact.
import type { KeyIdentifier, ResolvedIflow } from './emulator-config';
import type { ChannelTemplate, DeployedChannel, StoredParameter } from './tenant-store';

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

const CHANNEL_FIELDS = Object.keys(CHANNEL_PARAMETER_KEYS) as Array<keyof DeployedChannel>;

/** The channel of an iFlow whose every setting is an externalized parameter (the default). */
export const EXTERNALIZED_CHANNEL: ChannelTemplate = Object.fromEntries(
  CHANNEL_FIELDS.map((field) => [field, `{{${CHANNEL_PARAMETER_KEYS[field]}}}`]),
) as unknown as ChannelTemplate;

/** The channel of a freshly seeded iFlow: externalized, or the configured values typed into the channel. */
export function seedChannel(iflow: ResolvedIflow): ChannelTemplate {
  if (iflow.externalizeChannel) return { ...EXTERNALIZED_CHANNEL };
  return {
    receiverUrl: iflow.receiverUrl,
    publicKeyAlias: iflow.publicKeyAlias,
    signingAlias: iflow.signingAlias,
    keyIdentifier: iflow.keyIdentifier,
  };
}

/** The externalized parameters of a freshly seeded iFlow: the channel's (when externalized) and the further ones. */
export function seedParameters(iflow: ResolvedIflow): StoredParameter[] {
  const channel: Array<[keyof DeployedChannel, string]> = [
    ['receiverUrl', iflow.receiverUrl],
    ['publicKeyAlias', iflow.publicKeyAlias],
    ['signingAlias', iflow.signingAlias],
    ['keyIdentifier', iflow.keyIdentifier],
  ];
  return [
    ...(iflow.externalizeChannel ? channel : []).map(([field, value]) => ({
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

/** Replaces each `{{ParameterKey}}` by the parameter's value (empty when the iFlow has no such parameter). */
export function resolveSetting(setting: string, parameters: readonly StoredParameter[]): string {
  return setting.replace(
    /\{\{([^{}]+)\}\}/g,
    (_, key: string) => parameters.find((p) => p.ParameterKey === key)?.ParameterValue ?? '',
  );
}

/** The channel an iFlow would run with if deployed now. */
export function channelOf(iflow: {
  channel: ChannelTemplate;
  parameters: readonly StoredParameter[];
}): DeployedChannel {
  const value = (field: keyof DeployedChannel): string => resolveSetting(iflow.channel[field], iflow.parameters);
  return {
    receiverUrl: value('receiverUrl'),
    publicKeyAlias: value('publicKeyAlias'),
    signingAlias: value('signingAlias'),
    keyIdentifier: value('keyIdentifier') as KeyIdentifier,
  };
}
