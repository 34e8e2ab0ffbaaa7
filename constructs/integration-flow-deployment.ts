// L2: whether an integration flow is deployed on the tenant.
import { DataCpiIflowRuntime } from './bindings/data-cpi-iflow-runtime';
import { IflowDeployment } from './bindings/iflow-deployment';
import type { CpiProvider } from './bindings/provider';
import { Construct, type ITerraformDependable } from './cdktf';
import { receiverBlockFrom, type ReceiverBackendSettings } from './receiver-backend-settings';
import { invalidProp, isLiteral, requireInteger, requireNonEmpty } from './validation';

const NAME = 'IntegrationFlowDeployment';

export interface IntegrationFlowDeploymentProps {
  /** The integration flow's artifact ID (not its display name). */
  readonly iflowId: string;
  /**
   * Deployed (`true`) or undeployed (`false`).
   * @default true
   */
  readonly deployed?: boolean;
  /**
   * The design-time version to deploy.
   * @default 'active'
   */
  readonly version?: string;
  /**
   * How long to wait for the runtime to reach STARTED, in seconds.
   * @default 600 (the provider's default)
   */
  readonly deployTimeoutSeconds?: number;
  /**
   * Adopt the iFlow's current deployment (a Terraform `import` block) instead of deploying it anew; used when a
   * renewal stage changes an iFlow that is already deployed.
   * @default false
   */
  readonly adoptExisting?: boolean;
  /**
   * The keystore alias the iFlow encrypts with: deploying is refused while the alias holds no certificate or (with
   * `receiver`) the receiver has no active key for it.
   * @default - no check
   */
  readonly encryptionAlias?: string;
  /**
   * With `deployed: false`: the SHA-256 fingerprint of the certificate after which the undeployment is over; once
   * `encryptionAlias` holds it, re-applying plans no change and destroying undeploys nothing.
   * @default - undeployed for good
   */
  readonly undeployedUntilAliasHolds?: string;
  /**
   * The receiver whose keys decrypt what the iFlow sends, for the deploy check.
   * @default - only the tenant side is checked
   */
  readonly receiver?: ReceiverBackendSettings;
  /**
   * What must be applied first, e.g. the stage's gate.
   * @default - nothing
   */
  readonly dependsOn?: ITerraformDependable[];
  /**
   * The provider instance to use.
   * @default - the stack's default `cpi` provider
   */
  readonly provider?: CpiProvider;
}

/** An integration flow's deployment: deploys or undeploys it and waits for the runtime. */
export class IntegrationFlowDeployment extends Construct {
  /** Reads an iFlow's runtime state without managing it (the `cpi_iflow_runtime` data source). */
  static fromIflowId(scope: Construct, id: string, iflowId: string): DataCpiIflowRuntime {
    return new DataCpiIflowRuntime(scope, id, { iflowId: requireIflowId(iflowId) });
  }

  readonly resource: IflowDeployment;
  readonly iflowId: string;

  constructor(scope: Construct, id: string, props: IntegrationFlowDeploymentProps) {
    super(scope, id);
    this.iflowId = requireIflowId(props.iflowId);
    if (props.version !== undefined) requireNonEmpty(NAME, 'version', props.version);
    if (props.undeployedUntilAliasHolds !== undefined && props.encryptionAlias === undefined)
      invalidProp(
        NAME,
        'undeployedUntilAliasHolds',
        props.undeployedUntilAliasHolds,
        'set together with encryptionAlias',
      );
    if (props.deployTimeoutSeconds !== undefined)
      requireInteger(NAME, 'deployTimeoutSeconds', props.deployTimeoutSeconds, 1, 86_400);
    this.resource = new IflowDeployment(this, 'deployment', {
      iflowId: this.iflowId,
      deployed: props.deployed ?? true,
      version: props.version,
      deployTimeoutSeconds: props.deployTimeoutSeconds,
      encryptionAlias: props.encryptionAlias,
      undeployedUntilAliasHolds: props.undeployedUntilAliasHolds,
      receiver: props.receiver ? receiverBlockFrom(NAME, props.receiver) : undefined,
      dependsOn: props.dependsOn,
      provider: props.provider,
    });
    if (props.adoptExisting) this.resource.importFrom(this.iflowId, props.provider);
  }
}

function requireIflowId(iflowId: string): string {
  requireNonEmpty(NAME, 'iflowId', iflowId);
  if (isLiteral(iflowId) && /\s|\//.test(iflowId))
    invalidProp(NAME, 'iflowId', iflowId, 'an artifact ID without spaces or slashes');
  return iflowId;
}
