// The demo's closing summary: per stage its duration and what became of the messages sent meanwhile.
import { PARTY_TITLES } from '../renewal/party';
import type { DemoResult } from './renewal-demo';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '))
    .join('\n');
}

export function renderSummary(result: DemoResult, interrupted = false): string {
  const rows = [['stage', 'party', 'result', 'time', 'sent', 'decrypted', 'refused', 'not sent']];
  for (const s of result.stages) {
    rows.push([
      `${s.stage.index} ${s.stage.name}`,
      PARTY_TITLES[s.stage.party],
      s.result,
      `${(s.ms / 1000).toFixed(1)} s`,
      String(s.sent),
      String(s.delivered),
      String(s.refused + s.unreachable),
      String(s.notSent),
    ]);
  }
  const total = (f: (s: DemoResult['stages'][number]) => number) => result.stages.reduce((sum, s) => sum + f(s), 0);
  rows.push([
    'total',
    '',
    '',
    `${(result.totalMs / 1000).toFixed(1)} s`,
    String(total((s) => s.sent)),
    String(total((s) => s.delivered)),
    String(result.lost),
    String(total((s) => s.notSent)),
  ]);
  const lines = [
    '',
    `Renewal ${result.variant}${interrupted ? ' INTERRUPTED' : ''}: ${result.lost === 0 ? 'no message lost' : `${result.lost} message(s) LOST`}`,
    '',
    table(rows),
    '',
  ];
  if (result.downtimeMs !== undefined) {
    lines.push(
      `downtime window (iFlow undeployed → STARTED again, as the traffic saw it): ${(result.downtimeMs / 1000).toFixed(1)} s` +
        (result.transitionFloorMs
          ? ` = ${(result.downtimeMs / result.transitionFloorMs).toFixed(1)}× the emulator's own undeploy + deploy (${(result.transitionFloorMs / 1000).toFixed(1)} s)`
          : '') +
        (result.stopToResumeMs !== undefined
          ? ` (stop-sending apply start → resume-sending apply end: ${(result.stopToResumeMs / 1000).toFixed(1)} s)`
          : '') +
        '; messages posted meanwhile were refused by the tenant (503, not sent), none reached the receiver with the wrong key',
    );
  }
  lines.push(`runbook: ${result.runbook}`, `state:   ${result.stateDir}`, `log:     ${result.logFile}`);
  return lines.join('\n');
}
