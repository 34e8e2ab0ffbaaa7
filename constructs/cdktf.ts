// The one module through which this library uses cdktf and constructs. cdktf was archived upstream on 2025-12-10;
// moving to a fork (e.g. cdktn) then means changing the imports of this file only.
export { Construct, type IConstruct } from 'constructs';
export {
  App,
  Aspects,
  DataResource,
  Fn,
  LocalBackend,
  PgBackend,
  S3Backend,
  TerraformBackend,
  TerraformDataSource,
  TerraformOutput,
  TerraformProvider,
  TerraformResource,
  TerraformStack,
  Testing,
  Token,
} from 'cdktf';
export type {
  AppConfig,
  IAspect,
  IResolvable,
  IStackSynthesizer,
  ISynthesisSession,
  ITerraformDependable,
  S3BackendConfig,
  TerraformMetaArguments,
  TerraformResourceLifecycle,
} from 'cdktf';
