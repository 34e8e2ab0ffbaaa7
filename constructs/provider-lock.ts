// `cdktf diff` and `cdktf deploy` run `terraform providers lock` unless the stack's .terraform.lock.hcl already
// locks every required provider at a version its constraint allows. That command asks the origin registry and
// ignores every mirror, and no registry has this provider, so it fails. A stack that uses this provider therefore
// gets the provider's lock entry at synth: its version and the published h1: hash of its package
// (src/rules/provider-package.ts). cdktf then skips the lock step, and `terraform init` verifies the package it
// finds in the implied local mirror against that hash. An entry already there for the same version (a committed
// lock file) is left as it is.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withProviderLocked } from '../src/rules/provider-package';
import type { IStackSynthesizer, ISynthesisSession, TerraformProvider, TerraformStack } from './cdktf';

const LOCK_FILE = '.terraform.lock.hcl';

/** Makes `stack`'s synthesis also lock `provider` (this library's provider) in the stack's working directory. */
export function lockProviderAtSynth(stack: TerraformStack, provider: TerraformProvider): void {
  const version = provider.terraformGeneratorMetadata?.providerVersion;
  if (!version) throw new Error(`provider ${provider.node.path} has no version to lock`);
  const synthesizer: IStackSynthesizer = stack.synthesizer;
  stack.synthesizer = {
    synthesize(session: ISynthesisSession): void {
      synthesizer.synthesize(session);
      const file = join(session.outdir, session.manifest.forStack(stack).workingDirectory, LOCK_FILE);
      const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
      const locked = withProviderLocked(existing, version);
      if (locked !== existing) writeFileSync(file, locked);
    },
  };
}
