// The one module through which this library, its constructs and its generated bindings (constructs/bindings,
// whose imports scripts/generate-bindings.ts points here) use cdktf and constructs. An app on cdktf's community
// fork cdktn maps the package name `cdktf` to cdktn (docs/cdktf-and-cdktn.md); building this library against a
// fork instead would mean changing the imports of this file only.
export { Construct, type IConstruct } from 'constructs';
export * from 'cdktf';
