// Which deployed iFlows use a keystore alias. The renewal's safety rules must hold for EVERY iFlow that encrypts
// with the alias, not only the ones a renewal lists, so the tenant itself is asked: list the runtime artifacts, then
// read each deployed iFlow's externalized parameters (`IntegrationDesigntimeArtifacts(Id,Version='active')/
// Configurations`) and keep those with a parameter whose value is the alias.
//
// Limits (written into docs/alias-usage.md too):
// - An alias typed directly into the iFlow's channel (not externalized) is not in Configurations. The tenant API
//   can hand out the bundle (`…/$value`, a zip), but the emulator does not serve it, so it is not read here.
// - Configurations are those of the design-time `active` version: a parameter changed after the last deploy shows
//   the value the next deploy will use, not the one the runtime runs with.
// One listing plus one Configurations call per deployed iFlow; the Configurations answers are kept per iFlow
// deployment (id, version, deployment time) for the life of the index, so a re-check after a deploy or undeploy
// costs one listing plus the iFlows deployed since.
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
}

/** A deployed iFlow that uses the alias, and through which parameter. */
export interface AliasUser {
  readonly iflowId: string;
  /** Runtime status: STARTED, STARTING, STOPPING, ERROR. */
  readonly status: string;
  readonly parameterKey: string;
}

export interface AliasUsage {
  readonly alias: string;
  /** Deployed iFlows with an externalized parameter whose value is the alias, sorted by id. */
  readonly users: readonly AliasUser[];
  /** Deployed iFlows whose configuration the tenant did not give (no design-time artifact): usage unknown. */
  readonly unreadable: readonly string[];
  /** How many deployed integration flows were looked at. */
  readonly scanned: number;
}

interface DeployedIflow {
  readonly artifact: RuntimeArtifact;
  /** undefined: the tenant has no design-time artifact for it. */
  readonly parameters: readonly ConfigurationParameter[] | undefined;
}

/** Configurations calls in flight at once; the client's rate limiter paces them to the tenant's limit. */
const CONCURRENCY = 4;

/** Keystore aliases are case-insensitive (a Java keystore stores them in lower case). */
const sameAlias = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

/** Runtime artifacts that are integration flows (value mappings and script collections carry no channel). */
const isIntegrationFlow = (artifact: RuntimeArtifact): boolean =>
  artifact.type === undefined || artifact.type === 'INTEGRATION_FLOW';

export class AliasUsageIndex {
  private scan: Promise<DeployedIflow[]> | undefined;
  private readonly configurations = new Map<string, Promise<readonly ConfigurationParameter[] | undefined>>();

  constructor(private readonly source: AliasUsageSource) {}

  /** The deployed iFlows that use `alias`. One scan of the tenant serves every alias until `forget()`. */
  async usage(alias: string, signal?: AbortSignal): Promise<AliasUsage> {
    const deployed = await this.deployed(signal);
    const users: AliasUser[] = [];
    const unreadable: string[] = [];
    for (const { artifact, parameters } of deployed) {
      if (!parameters) {
        unreadable.push(artifact.id);
        continue;
      }
      const parameter = parameters.find((p) => sameAlias(p.value, alias));
      if (parameter) users.push({ iflowId: artifact.id, status: artifact.status, parameterKey: parameter.key });
    }
    users.sort((a, b) => a.iflowId.localeCompare(b.iflowId));
    return { alias, users, unreadable: unreadable.sort(), scanned: deployed.length };
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
        result[index] = { artifact, parameters: await this.configurationOf(artifact, signal) };
      }
    };
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, artifacts.length) }, worker));
    return result;
  }

  private configurationOf(
    artifact: RuntimeArtifact,
    signal?: AbortSignal,
  ): Promise<readonly ConfigurationParameter[] | undefined> {
    const key = `${artifact.id}\u0000${artifact.version}\u0000${artifact.deployedOn?.getTime() ?? ''}`;
    let known = this.configurations.get(key);
    if (!known) {
      known = this.source.getConfigurations(artifact.id, 'active', { signal });
      this.configurations.set(key, known);
      known.catch(() => this.configurations.delete(key));
    }
    return known;
  }
}
