// The one module through which this library uses cdktf and constructs. cdktf was archived upstream on 2025-12-10;
// moving to a fork (e.g. cdktn) then means changing the imports of this file only.
export { Construct, type IConstruct } from 'constructs';
export {
  App,
  Aspects,
  DataResource,
  Fn,
  LocalBackend,
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
  TerraformMetaArguments,
  TerraformResourceLifecycle,
} from 'cdktf';
