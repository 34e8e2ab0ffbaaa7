// `cpi-renewal runbook --spec <file>`: prints (or writes) the runbook of a renewal described in a JSON file whose
// fields are those of EncryptionCertificateRenewalProps. The spec goes through the same construct as `cdktf synth`,
// so the runbook and the stacks cannot disagree, and a spec the construct refuses is refused here too.
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CpiError } from '../errors';
import type { EncryptionCertificateRenewalProps } from '../../constructs/encryption-certificate-renewal';
import type { RenewalManifest } from '../renewal/manifest';

/** Reads a renewal spec file; refuses what is not a JSON object with a renewalId and a variant. */
export function readRenewalSpec(file: string): EncryptionCertificateRenewalProps {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CpiError('CPI_CONSTRUCTS_SPEC_INVALID', `cannot read ${file}: ${(error as Error).message}`);
  }
  let spec: unknown;
  try {
    spec = JSON.parse(text);
  } catch (error) {
    throw new CpiError('CPI_CONSTRUCTS_SPEC_INVALID', `${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
    throw new CpiError(
      'CPI_CONSTRUCTS_SPEC_INVALID',
      `${file} holds ${Array.isArray(spec) ? 'an array' : JSON.stringify(spec)}; expected a JSON object`,
    );
  }
  const missing = ['renewalId', 'variant', 'alias', 'iflowIds', 'receiver', 'newKey', 'oldKeyName'].filter(
    (k) => !(k in spec),
  );
  if (missing.length > 0) throw new CpiError('CPI_CONSTRUCTS_SPEC_INVALID', `${file} lacks ${missing.join(', ')}`);
  return spec as EncryptionCertificateRenewalProps;
}

/** The renewal a spec declares: the runbook Markdown and the manifest status reads, as `cdktf synth` would write them. */
export async function renewalFromSpec(
  spec: EncryptionCertificateRenewalProps,
  outdir = 'cdktf.out',
): Promise<{ markdown: string; manifest: RenewalManifest }> {
  // Loaded here: cdktf is heavy, and no other command needs it.
  const [{ App }, { EncryptionCertificateRenewal }] = await Promise.all([
    import('../../constructs/cdktf'),
    import('../../constructs/encryption-certificate-renewal'),
  ]);
  const app = new App({ outdir, skipValidation: true });
  const renewal = new EncryptionCertificateRenewal(app, 'renewal', { ...spec, writeRunbook: false });
  return { markdown: renewal.runbook(), manifest: renewal._manifest() };
}

/** The runbook Markdown of a spec, as `cdktf synth` would write it for an app in the current directory. */
export async function runbookFromSpec(spec: EncryptionCertificateRenewalProps, outdir = 'cdktf.out'): Promise<string> {
  return (await renewalFromSpec(spec, outdir)).markdown;
}

export function registerRunbookCommand(program: Command): void {
  program
    .command('runbook')
    .description('Print the runbook (parties, stages, gates, commands, sequence diagram) of a renewal spec.')
    .requiredOption('--spec <file>', 'JSON file with the EncryptionCertificateRenewal props')
    .option('--out <file>', 'write the runbook to this file instead of stdout')
    .option('--outdir <dir>', 'the cdktf output directory the commands refer to', 'cdktf.out')
    .option(
      '--json',
      'print {renewal, markdown}: the renewal as its manifest records it (stages, parties, gates, stacks) and the runbook',
    )
    .action(async (options: { spec: string; out?: string; outdir: string; json?: boolean }) => {
      const { markdown, manifest } = await renewalFromSpec(readRenewalSpec(options.spec), options.outdir);
      const text = options.json ? `${JSON.stringify({ renewal: manifest, markdown }, null, 2)}\n` : markdown;
      if (options.out) {
        writeFileSync(options.out, text);
        process.stderr.write(`Wrote ${options.out}\n`);
      } else {
        process.stdout.write(text);
      }
    });
}
