// `npm run bench`: the three targets of issue 17, each as a ratio to a floor measured in the same run, with the
// machine's load and `node -e 0` time beside it; `npm run bench -- --all` then runs every other benchmark too.
// Numbers and how they compare with the targets are kept in bench/README.md.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { conditions, nodeFloorMs } from './floor';
import { describeStartup, measureStartup, STARTUP_TARGET_RATIO } from './provider-startup';
import { benchKeystoreRefresh, describeKeystoreRefresh, PLAN_TARGET_RATIO } from './terraform-plan';
import { measureSingleKeyWindow, WINDOW_TARGET_RATIO } from './renewal-demo';

const others = ['alias-usage.ts', 'wssecurity.ts', 'receiver-dos.ts'];

void (async () => {
  const startup = await measureStartup();
  const startupConditions = conditions(startup.floorMedian);
  console.log(`== provider start-up\n${describeStartup(startup)}; ${startupConditions}`);

  const plan = await benchKeystoreRefresh(1000);
  const planConditions = conditions();
  console.log(`== no-op plan\n${describeKeystoreRefresh(plan)}; ${planConditions}`);

  const window = measureSingleKeyWindow();
  const windowConditions = conditions(nodeFloorMs());
  console.log(`== single-key window\n${window.line}; ${windowConditions}`);

  const verdict = (ratio: number, target: number) =>
    `${ratio.toFixed(2)}× (target ≤ ${target}×: ${ratio <= target ? 'met' : 'NOT met'})`;
  console.log(
    [
      '',
      '== issue 17 targets, each against its floor in this run',
      `provider spawn → handshake / node -e 0 (${startup.floorMedian.toFixed(0)} ms): ${verdict(startup.ratio, STARTUP_TARGET_RATIO)}; ${startupConditions}`,
      `no-op plan, 1,000 cpi_keystore_certificate / same-data terraform_data (${plan.sameData.wallMs.toFixed(0)} ms): ${verdict(plan.sameDataRatio, PLAN_TARGET_RATIO)}; ${planConditions}`,
      window.ratio === undefined
        ? `single-key window: not measured (${window.line})`
        : `single-key window / emulator undeploy + deploy (${(window.floorMs! / 1000).toFixed(1)} s): ${verdict(window.ratio, WINDOW_TARGET_RATIO)}; ${windowConditions}`,
    ].join('\n'),
  );

  let failed = false;
  if (process.argv.includes('--all')) {
    for (const bench of ['renewal-demo.ts', ...others]) {
      console.log(`\n== ${bench}`);
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, bench)], { stdio: 'inherit' });
      failed ||= result.status !== 0;
    }
  }
  process.exit(failed ? 1 : 0);
})();
