// How a scan is shown: a table for the terminal, and a Markdown report with a Mermaid gantt timeline of each
// tenant's expiries (GitHub renders Mermaid in Markdown), for an issue, a pull request or a job summary.
import type { CertificateExpiry, ScanResult, TenantScan } from './expiry-scan';

const STATUS_WORD = { ok: 'ok', due: 'DUE', expired: 'EXPIRED' } as const;

function iflowList(certificate: CertificateExpiry): string {
  return certificate.iflows.map((i) => i.iflowId).join(', ');
}

function keyText(certificate: CertificateExpiry): string {
  const key = certificate.receiverKey;
  return key ? `${key.receiver}/${key.key} (${key.state})` : '-';
}

function summaryLine(result: ScanResult): string {
  const { certificates, due, expired, failedTenants } = result.summary;
  const failed = failedTenants > 0 ? `, ${failedTenants} tenant(s) not scanned` : '';
  return `${certificates} certificate(s) in use, ${due} due, ${expired} expired (renew before: ${result.renewBefore})${failed}`;
}

/** A plain table, one row per certificate, then what could not be read. */
export function formatScanTable(result: ScanResult): string {
  const header = ['TENANT', 'ALIAS', 'STATUS', 'DAYS LEFT', 'NOT AFTER', 'IFLOWS', 'RECEIVER KEY'];
  const rows = result.tenants.flatMap((tenant) =>
    tenant.certificates.map((c) => [
      tenant.tenant,
      c.alias,
      STATUS_WORD[c.status],
      String(c.daysLeft),
      c.notAfter.slice(0, 10),
      iflowList(c),
      keyText(c),
    ]),
  );
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const notes = result.tenants.flatMap((tenant) => [
    ...(tenant.error ? [`! ${tenant.error.code}: ${tenant.error.message}`] : []),
    ...(tenant.unreadableIflows.length > 0
      ? [
          `! tenant "${tenant.tenant}": aliases of ${tenant.unreadableIflows.length} deployed iFlow(s) unknown (configuration or bundle not handed out): ${tenant.unreadableIflows.join(', ')}`,
        ]
      : []),
  ]);
  return [line(header), ...rows.map(line), '', summaryLine(result), ...notes, ''].join('\n');
}

/** Characters that end a Mermaid gantt name or section (`:` starts the task data, `#` and `;` a comment). */
function ganttText(text: string): string {
  return text.replace(/[:#;\r\n]/g, '_');
}

const day = (iso: string): string => iso.slice(0, 10);

/** A Mermaid gantt of one tenant: per alias the valid span, the renew-before window, and the expiry. */
export function tenantGantt(tenant: TenantScan): string {
  const lines = [
    'gantt',
    `  title Certificate expiries of ${ganttText(tenant.tenant)}`,
    '  dateFormat YYYY-MM-DD',
    '  axisFormat %Y-%m-%d',
    '  todayMarker on',
  ];
  tenant.certificates.forEach((c, n) => {
    const windowOpens = c.renewFrom < c.notBefore ? c.notBefore : c.renewFrom;
    const late = c.status === 'ok' ? 'active' : 'crit';
    lines.push(`  section ${ganttText(c.alias)}`);
    lines.push(`  valid :c${n}v, ${day(c.notBefore)}, ${day(windowOpens)}`);
    lines.push(`  renew window :${late}, c${n}w, ${day(windowOpens)}, ${day(c.notAfter)}`);
    lines.push(
      `  ${c.status === 'expired' ? 'expired' : 'expires'} :milestone, ${late}, c${n}x, ${day(c.notAfter)}, 0d`,
    );
  });
  return lines.join('\n');
}

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The Markdown report: summary, then per tenant a table and its gantt. */
export function formatScanMarkdown(result: ScanResult): string {
  const out = ['# Certificate expiry scan', '', `Scanned ${result.scannedAt}. ${summaryLine(result)}.`, ''];
  for (const tenant of result.tenants) {
    out.push(`## ${tenant.tenant}`, '', `Tenant ${tenant.tenantUrl}.`, '');
    if (tenant.error) {
      out.push(`> **Not scanned** (${tenant.error.code}): ${cell(tenant.error.message)}`, '');
      continue;
    }
    if (tenant.certificates.length === 0) {
      out.push('No deployed iFlow encrypts with a certificate of this tenant.', '');
    } else {
      out.push(
        '| Alias | Status | Days left | Not after | iFlows | Receiver key |',
        '| --- | --- | --- | --- | --- | --- |',
      );
      for (const c of tenant.certificates) {
        out.push(
          `| ${cell(c.alias)} | ${STATUS_WORD[c.status]} | ${c.daysLeft} | ${day(c.notAfter)} | ${cell(iflowList(c))} | ${cell(keyText(c))} |`,
        );
      }
      out.push('', '```mermaid', tenantGantt(tenant), '```', '');
    }
    if (tenant.unreadableIflows.length > 0) {
      out.push(
        `Aliases unknown for ${tenant.unreadableIflows.length} deployed iFlow(s) whose configuration or bundle the tenant did not hand out: ${cell(tenant.unreadableIflows.join(', '))}.`,
        '',
      );
    }
  }
  return out.join('\n');
}
