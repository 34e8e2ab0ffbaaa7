// The bundle of a design-time iFlow (`IntegrationDesigntimeArtifacts(…)/$value`, a zip): its OSGi manifest, its
// BPMN model (`.iflw`) whose SOAP receiver channel carries the WS-Security settings, and `parameters.prop` with the
// values of its externalized parameters. The channel's property keys are the ones community tools read from bundles
// saved by a tenant (docs/emulator.md, UNCONFIRMED against SAP); the key reference is the emulator's own setting.
import { DOMParser } from '@xmldom/xmldom';
import { readZip, writeZip, type ZipEntry } from '../zip-archive';
import type { ChannelTemplate, DeployedChannel, StoredIflow, StoredParameter } from './tenant-store';

/** Property key in the .iflw of each channel setting. */
export const IFLW_CHANNEL_KEYS = {
  receiverUrl: 'address',
  publicKeyAlias: 'PublicKeyAliasEncryption',
  signingAlias: 'PrivateKeyAliasSigning',
  keyIdentifier: 'KeyIdentifier',
} as const satisfies Record<keyof DeployedChannel, string>;

const MANIFEST = 'META-INF/MANIFEST.MF';
const PARAMETERS = 'src/main/resources/parameters.prop';
const IFLW_FOLDER = 'src/main/resources/scenarioflows/integrationflow/';
const BPMN = 'http://www.omg.org/spec/BPMN/20100524/MODEL';
const IFL = 'http:///com.sap.ifl.model/Ifl.xsd';

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Java properties escaping of a key or value (the format of parameters.prop). */
function propertyText(text: string): string {
  return text.replace(/[\\:=#! ]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
}

function property(key: string, value: string): string {
  return `          <ifl:property><key>${xml(key)}</key><value>${xml(value)}</value></ifl:property>`;
}

function iflw(iflow: StoredIflow): string {
  const channel = (Object.keys(IFLW_CHANNEL_KEYS) as Array<keyof DeployedChannel>).map((field) =>
    property(IFLW_CHANNEL_KEYS[field], iflow.channel[field]),
  );
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<bpmn2:definitions xmlns:bpmn2="${BPMN}" xmlns:ifl="${IFL}" id="Definitions_1">`,
    `  <bpmn2:collaboration id="Collaboration_1" name="${xml(iflow.name)}">`,
    '    <bpmn2:participant id="Participant_Receiver" ifl:type="EndpointRecevier" name="Receiver"/>',
    '    <bpmn2:participant id="Participant_Process" ifl:type="IntegrationProcess" name="Integration Process" processRef="Process_1"/>',
    '    <bpmn2:messageFlow id="MessageFlow_Receiver" name="SOAP" sourceRef="EndEvent_1" targetRef="Participant_Receiver">',
    '      <bpmn2:extensionElements>',
    property('ComponentType', 'SOAP'),
    property('direction', 'Receiver'),
    property('MessageProtocol', 'SOAP 1.x'),
    property('WSSecurity_outbound', 'ManualConfiguration'),
    property('WSSecurityType_outbound', 'SignAndEncryptMessage'),
    ...channel,
    '      </bpmn2:extensionElements>',
    '    </bpmn2:messageFlow>',
    '  </bpmn2:collaboration>',
    '  <bpmn2:process id="Process_1" name="Integration Process">',
    '    <bpmn2:startEvent id="StartEvent_1"/>',
    '    <bpmn2:endEvent id="EndEvent_1"/>',
    '    <bpmn2:sequenceFlow id="SequenceFlow_1" sourceRef="StartEvent_1" targetRef="EndEvent_1"/>',
    '  </bpmn2:process>',
    '</bpmn2:definitions>',
    '',
  ].join('\n');
}

function manifest(iflow: StoredIflow): string {
  return [
    'Manifest-Version: 1.0',
    'Bundle-ManifestVersion: 2',
    `Bundle-Name: ${iflow.name}`,
    `Bundle-SymbolicName: ${iflow.id}; singleton:=true`,
    `Bundle-Version: ${iflow.version}`,
    'SAP-BundleType: IntegrationFlow',
    'SAP-NodeType: IFLMAP',
    'SAP-RuntimeProfile: iflmap',
    '',
  ].join('\r\n');
}

function parametersProp(parameters: readonly StoredParameter[]): string {
  return parameters.map((p) => `${propertyText(p.ParameterKey)}=${propertyText(p.ParameterValue)}\n`).join('');
}

/** The bundle as a client downloads it: an uploaded one with the current parameter values, or one generated. */
export function bundleOf(iflow: StoredIflow, modified: Date): Buffer {
  const parameters: ZipEntry = { name: PARAMETERS, data: Buffer.from(parametersProp(iflow.parameters), 'utf8') };
  if (iflow.bundle !== undefined) {
    const entries = readZip(Buffer.from(iflow.bundle, 'base64')).filter((entry) => entry.name !== PARAMETERS);
    return writeZip([...entries, parameters], modified);
  }
  return writeZip(
    [
      { name: MANIFEST, data: Buffer.from(manifest(iflow), 'utf8') },
      { name: `${IFLW_FOLDER}${iflow.id}.iflw`, data: Buffer.from(iflw(iflow), 'utf8') },
      parameters,
    ],
    modified,
  );
}

/** The bundle with its manifest's Bundle-Version set to `version` (the rest as it was). */
export function withBundleVersion(zip: Buffer, version: string, modified: Date = new Date()): Buffer {
  const entries = readZip(zip).map((entry) => {
    if (entry.name !== MANIFEST) return entry;
    // manifest lines continue after a single leading space: unfold, replace the header, keep the line ends
    const text = entry.data.toString('utf8').replace(/\r?\n /g, '');
    const replaced = /^Bundle-Version:.*$/m.test(text)
      ? text.replace(/^Bundle-Version:.*$/m, `Bundle-Version: ${version}`)
      : text.replace(/\r?\n*$/, `\r\nBundle-Version: ${version}\r\n`);
    return { name: entry.name, data: Buffer.from(replaced, 'utf8') };
  });
  return writeZip(entries, modified);
}

/** What the emulator takes from an uploaded bundle. */
export interface BundleContent {
  /** Bundle-SymbolicName and Bundle-Version of the manifest, when present. */
  readonly symbolicName: string | undefined;
  readonly version: string | undefined;
  readonly name: string | undefined;
  readonly channel: ChannelTemplate;
  readonly parameters: StoredParameter[];
}

function manifestHeader(text: string, header: string): string | undefined {
  // manifest lines continue on the next line after a single leading space
  const unfolded = text.replace(/\r?\n /g, '');
  const line = unfolded.split(/\r?\n/).find((l) => l.startsWith(`${header}:`));
  return (
    line
      ?.slice(header.length + 1)
      .split(';')[0]!
      .trim() || undefined
  );
}

function readProperties(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const raw of text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/)) {
    const line = raw.trimStart();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const match = /^((?:\\.|[^\\:=\s])*)\s*[:=\s]\s*(.*)$/.exec(line);
    const unescape = (s: string) => s.replace(/\\n/g, '\n').replace(/\\(.)/g, '$1');
    if (match) values.set(unescape(match[1]!), unescape(match[2]!));
    else values.set(unescape(line), '');
  }
  return values;
}

/**
 * Reads an uploaded bundle: its .iflw must have a SOAP receiver channel (the one the emulator runs); throws an Error
 * that says what is missing.
 */
export function readBundle(zip: Buffer): BundleContent {
  const entries = readZip(zip);
  const model = entries.find((e) => e.name.startsWith(IFLW_FOLDER) && e.name.endsWith('.iflw'));
  if (!model) throw new Error(`the bundle has no ${IFLW_FOLDER}<name>.iflw`);
  const document = new DOMParser({ onError: () => undefined }).parseFromString(model.data.toString('utf8'), 'text/xml');
  const flows = Array.from(document.getElementsByTagNameNS(BPMN, 'messageFlow')).map((flow) => {
    const properties = new Map<string, string>();
    for (const node of Array.from(flow.getElementsByTagNameNS(IFL, 'property'))) {
      const key = node.getElementsByTagName('key')[0]?.textContent ?? '';
      properties.set(key, node.getElementsByTagName('value')[0]?.textContent ?? '');
    }
    return properties;
  });
  const soap = flows.find((p) => p.get('ComponentType') === 'SOAP' && p.get('direction') === 'Receiver');
  if (!soap) throw new Error(`${model.name} has no SOAP receiver channel`);
  const setting = (field: keyof DeployedChannel): string => soap.get(IFLW_CHANNEL_KEYS[field]) ?? '';
  const manifestText = entries.find((e) => e.name === MANIFEST)?.data.toString('utf8') ?? '';
  const values = readProperties(entries.find((e) => e.name === PARAMETERS)?.data.toString('utf8') ?? '');
  return {
    symbolicName: manifestHeader(manifestText, 'Bundle-SymbolicName'),
    version: manifestHeader(manifestText, 'Bundle-Version'),
    name: manifestHeader(manifestText, 'Bundle-Name'),
    channel: {
      receiverUrl: setting('receiverUrl'),
      publicKeyAlias: setting('publicKeyAlias'),
      signingAlias: setting('signingAlias'),
      keyIdentifier: setting('keyIdentifier') || 'IssuerSerial',
    },
    parameters: [...values].map(([key, value]) => ({
      ParameterKey: key,
      ParameterValue: value,
      DataType: 'xsd:string',
      Description: '',
    })),
  };
}
