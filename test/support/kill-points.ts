// Kill points of the renewal harness: an apply killed (SIGKILL to terraform's process group, the providers with
// it) at the moment a trigger fires, as a crashed pipeline runner would leave it.
import { watch } from 'node:fs';
import { dirname } from 'node:path';
import type { RenewalHarness } from './renewal-harness';

/** When to kill: a line terraform prints, a request the tenant answered, or a receiver keystore file being replaced. */
export type Trigger =
  | { readonly output: RegExp }
  | { readonly request: RegExp; readonly after?: RegExp }
  | { readonly file: 'active.p12' | 'archive.p12' | 'active.p12.keys.json' | 'active.p12.lock' };

/** Terraform's line when it starts creating or changing a resource whose address starts with `resource`. */
export const creating = (resource: string): Trigger => ({
  output: new RegExp(`${resource}\\S*: (Creating|Modifying)\\.\\.\\.`),
});

/** Runs one apply of `stage` and kills it when the trigger fires; resolves whether it was killed by the trigger. */
export async function applyAndKill(
  harness: RenewalHarness,
  stage: string,
  trigger: Trigger,
): Promise<{ killed: boolean; output: string }> {
  let fire: () => void = () => {};
  let fired = false;
  const stops: (() => void)[] = [];
  const run = harness.terraform(stage, ['apply', '-input=false', '-auto-approve'], (_chunk, all) => {
    if ('output' in trigger && trigger.output.test(all)) fire();
  });
  fire = () => {
    if (fired) return;
    fired = true;
    run.kill();
  };
  if ('request' in trigger) {
    let armed = trigger.after === undefined;
    stops.push(
      harness.onRequests((line) => {
        if (!armed) armed = trigger.after!.test(line);
        else if (trigger.request.test(line)) fire();
      }),
    );
  }
  if ('file' in trigger) {
    const watcher = watch(dirname(harness.keystorePath), (_event, name) => {
      if (name === trigger.file) fire();
    });
    stops.push(() => watcher.close());
  }
  const result = await run;
  stops.forEach((stop) => stop());
  return { killed: result.killed, output: result.output };
}
