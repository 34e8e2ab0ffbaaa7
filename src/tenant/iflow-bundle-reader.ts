// Finds the encryption aliases typed into an iFlow's channels, reading its bundle (the zip of
// `IntegrationDesigntimeArtifacts(…)/$value`): every `.iflw` model, every channel property that names the public key
// alias for encryption. A value that is a `{{parameter}}` reference is not an alias: the parameter's value, which
// Configurations list, is. Property key as community tools read it from bundles saved by a tenant (docs/alias-rule.md).
import { DOMParser } from '@xmldom/xmldom';
import { readZip } from '../zip-archive';

/** Channel property keys that hold the public key alias for encryption (SOAP 1.x receiver, also its WSDL variant). */
const ENCRYPTION_ALIAS_KEYS = new Set(['PublicKeyAliasEncryption', 'PublicKeyAliasEncryption_wsdl']);
const IFL = 'http:///com.sap.ifl.model/Ifl.xsd';

/** The aliases typed into the bundle's channels (not `{{parameter}}` references); throws when it is no zip. */
export function aliasesTypedIntoBundle(bundle: Buffer): string[] {
  const aliases = new Set<string>();
  for (const entry of readZip(bundle)) {
    if (!entry.name.endsWith('.iflw')) continue;
    const document = new DOMParser({ onError: () => undefined }).parseFromString(
      entry.data.toString('utf8'),
      'text/xml',
    );
    for (const property of Array.from(document.getElementsByTagNameNS(IFL, 'property'))) {
      const key = property.getElementsByTagName('key')[0]?.textContent?.trim() ?? '';
      const value = property.getElementsByTagName('value')[0]?.textContent?.trim() ?? '';
      if (ENCRYPTION_ALIAS_KEYS.has(key) && value !== '' && !value.includes('{{')) aliases.add(value);
    }
  }
  return [...aliases];
}
