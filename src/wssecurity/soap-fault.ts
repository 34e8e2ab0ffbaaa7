// What the SOAP caller learns when a message is refused: one generic fault for every failure, so that the
// answer is no oracle (which key, padding, tag or signature failed). The CpiError itself goes to the logs.
import { NS } from './namespaces';

/** The fault string every refused message gets (the WS-Security 1.1 text of wsse:InvalidSecurity). */
export const GENERIC_FAULT_TEXT = 'An error was discovered processing the <wsse:Security> header';

/** A SOAP fault envelope with the generic WS-Security fault; `soapVersion` follows the request. */
export function genericSoapFault(soapVersion: '1.1' | '1.2' = '1.1'): string {
  const text = GENERIC_FAULT_TEXT.replace(/</g, '&lt;').replace(/>/g, '&gt;');
  if (soapVersion === '1.2') {
    return (
      `<env:Envelope xmlns:env="${NS.soap12}" xmlns:wsse="${NS.wsse}"><env:Body><env:Fault>` +
      `<env:Code><env:Value>env:Sender</env:Value><env:Subcode><env:Value>wsse:InvalidSecurity</env:Value></env:Subcode></env:Code>` +
      `<env:Reason><env:Text xml:lang="en">${text}</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>`
    );
  }
  return (
    `<soapenv:Envelope xmlns:soapenv="${NS.soap11}" xmlns:wsse="${NS.wsse}"><soapenv:Body><soapenv:Fault>` +
    `<faultcode>wsse:InvalidSecurity</faultcode><faultstring>${text}</faultstring>` +
    `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
  );
}
