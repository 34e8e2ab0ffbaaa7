// Which deployed iFlows use a keystore alias. The renewal's safety rules must hold for EVERY iFlow that encrypts
// with the alias, not only the ones a renewal lists, so the tenant itself is asked: list the runtime artifacts, then
// read each deployed iFlow's externalized parameters (`IntegrationDesigntimeArtifacts(Id,Version='active')/
// Configurations`) and keep those with a parameter whose value is the alias. An alias typed into the channel instead
// is in no parameter: for those the iFlow's bundle (`…/$value`, a zip) is read and its .iflw searched
// (iflow-bundle-reader.ts).
//
// Limits (written into docs/alias-rule.md too):
// - Configurations and bundle are those of the design-time `active` version: a parameter or channel changed after
//   the last deploy shows what the next deploy will use, not what the runtime runs with.
// - A bundle the tenant does not hand out (404, not a zip, or refused, as SAP's configure-only content is) leaves
//   typed-in aliases of that iFlow unknown: it is named in `unreadableBundles`.
// One listing plus, per deployed iFlow, one Configurations call and one bundle download; the answers are kept per
// iFlow deployment (id, version, deployment time) for the life of the index, so a re-check after a deploy or
// undeploy costs one listing plus the iFlows deployed since.
import { aliasesTypedIntoBundle } from './iflow-bundle-reader';
import type { ConfigurationParameter, RuntimeArtifact } from './integration-content';
import type { CallOptions } from './keystore';

/** The part of TenantClient discovery needs (a seam for tests). */
export interface AliasUsageSource {
  listRuntimeArtifacts(opts?: CallOptions): Promise<RuntimeArtifact[]>;
  getConfigurations(
    iflowId: string,
    version: string,
    opts?: CallOptions,
  ): Promise<ConfigurationParameter[] | undefined>;
  /** The iFlow's bundle (zip); undefined when the tenant has none. Without it, typed-in aliases are not looked for. */
  getDesigntimeBundle?(iflowId: string, version: string, opts?: CallOptions): Promise<Buffer | undefined>;
}

/** A deployed iFlow that uses the alias, and where it names it. */
export interface AliasUser {
  readonly iflowId: string;
  /** Runtime status: STARTED, STARTING, STOPPING, ERROR. */
  readonly status: string;
  /** The externalized parameter whose value is the alias; null when the alias is typed into the channel. */
  readonly parameterKey: string | null;
  /** Where the alias was found: a configuration parameter, or the channel in the iFlow's bundle. */
  readonly source: 'configuration' | 'bundle';
}

export interface AliasUsage {
  readonly alias: string;
  /** Deployed iFlows with an externalized parameter whose value is the alias, sorted by id. */
  readonly users: readonly AliasUser[];
  /** Deployed iFlows whose configuration the tenant did not give (no design-time artifact): usage unknown. */
  readonly unreadable: readonly string[];
  /** Deployed iFlows whose bundle the tenant did not hand out: an alias typed into their channel is unknown. */
  readonly unreadableBundles: readonly string[];
  /** How many deployed integration flows were looked at. */
  readonly scanned: number;
}

interface DeployedIflow {
  readonly artifact: RuntimeArtifact;
  /** undefined: the tenant has no design-time artifact for it. */
  readonly parameters: readonly ConfigurationParameter[] | undefined;
  /** Aliases typed into its channels; undefined: bundle not read (unreadable, or the source reads none). */
  readonly typedAliases: readonly string[] | undefined;
}

/** Configurations calls in flight at once; the client's rate limiter paces them to the tenant's limit. */
const CONCURRENCY = 4;

/** Keystore aliases are case-insensitive (a Java keystore stores them in lower case). */
const sameAlias = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Runtime artifacts that are integration flows (value mappings and script collections carry no channel). */
const isIntegrationFlow = (artifact: RuntimeArtifact): boolean =>
  artifact.type === undefined || artifact.type === 'INTEGRATION_FLOW';

/** One deployment of an iFlow: what it was configured with cannot change until it is deployed again. */
const deploymentKey = (artifact: RuntimeArtifact): string =>
  `${artifact.id}\u0000${artifact.version}\u0000${artifact.deployedOn?.getTime() ?? ''}`;

export class AliasUsageIndex {
  private scan: Promise<DeployedIflow[]> | undefined;
  private readonly configurations = new Map<string, Promise<readonly ConfigurationParameter[] | undefined>>();
  private readonly bundles = new Map<string, Promise<readonly string[] | undefined>>();

  constructor(private readonly source: AliasUsageSource) {}

  /** The deployed iFlows that use `alias`. One scan of the tenant serves every alias until `forget()`. */
  async usage(alias: string, signal?: AbortSignal): Promise<AliasUsage> {
    const deployed = await this.deployed(signal);
    const users: AliasUser[] = [];
    const unreadable: string[] = [];
    const unreadableBundles: string[] = [];
    const readsBundles = this.source.getDesigntimeBundle !== undefined;
    for (const { artifact, parameters, typedAliases } of deployed) {
      if (!parameters) {
        unreadable.push(artifact.id);
        continue;
      }
      const parameter = parameters.find((p) => sameAlias(p.value, alias));
      if (parameter) {
        users.push({
          iflowId: artifact.id,
          status: artifact.status,
          parameterKey: parameter.key,
          source: 'configuration',
        });
      } else if (typedAliases?.some((typed) => sameAlias(typed, alias))) {
        users.push({ iflowId: artifact.id, status: artifact.status, parameterKey: null, source: 'bundle' });
      } else if (readsBundles && typedAliases === undefined) {
        unreadableBundles.push(artifact.id);
      }
    }
    users.sort((a, b) => a.iflowId.localeCompare(b.iflowId));
    return {
      alias,
      users,
      unreadable: unreadable.sort(),
      unreadableBundles: unreadableBundles.sort(),
      scanned: deployed.length,
    };
  }

  /** Deployments changed (or an apply re-checks): the next question lists the runtime again. */
  forget(): void {
    this.scan = undefined;
  }

  private deployed(signal?: AbortSignal): Promise<DeployedIflow[]> {
    this.scan ??= this.scanTenant(signal);
    const scan = this.scan;
    scan.catch(() => {
      if (this.scan === scan) this.scan = undefined;
    });
    return scan;
  }

  private async scanTenant(signal?: AbortSignal): Promise<DeployedIflow[]> {
    const artifacts = (await this.source.listRuntimeArtifacts({ signal })).filter(isIntegrationFlow);
    const result: DeployedIflow[] = new Array(artifacts.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < artifacts.length) {
        const index = next++;
        const artifact = artifacts[index]!;
        const parameters = await this.configurationOf(artifact, signal);
        const typedAliases = parameters ? await this.typedAliasesOf(artifact, signal) : undefined;
        result[index] = { artifact, parameters, typedAliases };
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, artifacts.length) }, worker));
    return result;
  }

  private typedAliasesOf(artifact: RuntimeArtifact, signal?: AbortSignal): Promise<readonly string[] | undefined> {
    const download = this.source.getDesigntimeBundle?.bind(this.source);
    if (!download) return Promise.resolve(undefined);
    const key = deploymentKey(artifact);
    let known = this.bundles.get(key);
    if (!known) {
      known = download(artifact.id, 'active', { signal })
        .then((bundle) => (bundle ? aliasesTypedIntoBundle(bundle) : undefined))
        .catch((error: unknown) => {
          // a refused or broken bundle leaves this iFlow's typed-in aliases unknown, it does not stop the scan;
          // an abort still ends it
          if (signal?.aborted) throw error;
          return undefined;
        });
      this.bundles.set(key, known);
      known.catch(() => this.bundles.delete(key));
    }
    return known;
  }

  private configurationOf(
    artifact: RuntimeArtifact,
    signal?: AbortSignal,
  ): Promise<readonly ConfigurationParameter[] | undefined> {
    const key = deploymentKey(artifact);
    let known = this.configurations.get(key);
    if (!known) {
      known = this.source.getConfigurations(artifact.id, 'active', { signal });
      this.configurations.set(key, known);
      known.catch(() => this.configurations.delete(key));
    }
    return known;
  }
}
