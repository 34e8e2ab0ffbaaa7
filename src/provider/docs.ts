// Renders the provider documentation from the schemas (tfplugindocs layout: description, Example Usage from
// examples/, then Required / Optional / Read-Only attributes and nested blocks) and docs/errors.md from the error
// registry. The schemas are the one source of truth; scripts/generate-docs.ts writes the files and a test keeps
// them in step.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorRegistry } from '../errors';
import type { CtyType } from './cty';
import { renderProviderPackagePage } from './package-docs';
import type { ProviderDefinition } from './resource';
import { attributeDescription, type AttributeSpec, type BlockSpec, type SchemaSpec } from './schema';

function typeName(type: CtyType): string {
  if (typeof type === 'string') return type.charAt(0).toUpperCase() + type.slice(1);
  const [kind, inner] = type;
  if (kind === 'object') return 'Object';
  if (kind === 'tuple') return 'Tuple';
  return `${kind.charAt(0).toUpperCase() + kind.slice(1)} of ${typeName(inner as CtyType).replace(/^(\w)/, (c) => c.toLowerCase())}`;
}

function attributeLine(name: string, a: AttributeSpec): string {
  const flags = [typeName(a.type), a.sensitive ? 'Sensitive' : '', a.writeOnly ? 'Write-only' : '']
    .filter(Boolean)
    .join(', ');
  return `- \`${name}\` (${flags}) ${attributeDescription(a)}`;
}

function renderBlock(block: BlockSpec, heading: string, anchor: string): string[] {
  const attrs = Object.entries(block.attributes);
  const blocks = Object.entries(block.blocks ?? {});
  const sections: [string, string[]][] = [
    [
      'Required',
      [
        ...attrs.filter(([, a]) => a.required).map(([n, a]) => attributeLine(n, a)),
        ...blocks
          .filter(([, b]) => (b.minItems ?? 0) > 0)
          .map(
            ([n, b]) =>
              `- \`${n}\` (Block${b.nesting === 'list' ? ' List' : ''}) See [below for nested schema](#nestedblock--${anchor}${n}).`,
          ),
      ],
    ],
    [
      'Optional',
      [
        ...attrs.filter(([, a]) => a.optional).map(([n, a]) => attributeLine(n, a)),
        ...blocks
          .filter(([, b]) => (b.minItems ?? 0) === 0)
          .map(
            ([n, b]) =>
              `- \`${n}\` (Block${b.nesting === 'list' ? ' List' : ''}${b.maxItems ? `, Max: ${b.maxItems}` : ''}) See [below for nested schema](#nestedblock--${anchor}${n}).`,
          ),
      ],
    ],
    ['Read-Only', attrs.filter(([, a]) => a.computed && !a.optional).map(([n, a]) => attributeLine(n, a))],
  ];
  const out: string[] = [];
  for (const [title, lines] of sections) {
    if (lines.length === 0) continue;
    out.push(`${heading} ${title}`, '', ...lines, '');
  }
  for (const [name, nested] of blocks) {
    out.push(
      `<a id="nestedblock--${anchor}${name}"></a>`,
      `${heading} Nested Schema for \`${anchor.replace(/--/g, '.')}${name}\``,
      '',
    );
    out.push(...renderBlock(nested.block, heading, `${anchor}${name}--`));
  }
  return out;
}

function example(
  examplesDir: string,
  kind: 'resources' | 'data-sources' | 'provider',
  name: string,
  file: string,
): string[] {
  const path = kind === 'provider' ? join(examplesDir, 'provider', file) : join(examplesDir, kind, name, file);
  if (!existsSync(path)) return [];
  return ['```terraform', readFileSync(path, 'utf8').trimEnd(), '```', ''];
}

function page(title: string, schema: SchemaSpec, usage: string[], importUsage: string[]): string {
  const lines = [`# ${title}`, '', schema.description, ''];
  if (usage.length > 0) lines.push('## Example Usage', '', ...usage);
  lines.push('## Schema', '', ...renderBlock(schema.block, '###', ''));
  if (importUsage.length > 0)
    lines.push('## Import', '', 'Import is supported using the following syntax:', '', ...importUsage);
  return `${lines.join('\n').trimEnd()}\n`;
}

/** Every documentation page, by path relative to docs/. */
export function renderProviderDocs(provider: ProviderDefinition, examplesDir: string): Map<string, string> {
  const pages = new Map<string, string>();
  pages.set(
    'index.md',
    page(`${provider.name} Provider`, provider.schema, example(examplesDir, 'provider', '', 'provider.tf'), []),
  );
  for (const r of provider.resources) {
    pages.set(
      `resources/${r.name.replace(`${provider.name}_`, '')}.md`,
      page(
        `${r.name} (Resource)`,
        r.schema,
        example(examplesDir, 'resources', r.name, 'resource.tf'),
        example(examplesDir, 'resources', r.name, 'import.sh').map((l) => l.replace('```terraform', '```shell')),
      ),
    );
  }
  for (const d of provider.dataSources) {
    pages.set(
      `data-sources/${d.name.replace(`${provider.name}_`, '')}.md`,
      page(`${d.name} (Data Source)`, d.schema, example(examplesDir, 'data-sources', d.name, 'data-source.tf'), []),
    );
  }
  pages.set('errors.md', renderErrorsPage());
  pages.set('provider-package.md', renderProviderPackagePage(provider.version));
  return pages;
}

/** docs/errors.md: every stable error code with what it means and how to fix it. */
export function renderErrorsPage(): string {
  const lines = [
    '# Error codes',
    '',
    'Every error this project reports starts with a stable code. The message after it names the value that was',
    'wrong; this page says what the code means and what to do. Generated from `src/errors.ts`.',
    '',
    '| Code | Meaning | What to do |',
    '| --- | --- | --- |',
  ];
  for (const [code, spec] of Object.entries(errorRegistry())) {
    lines.push(`| \`${code}\` | ${spec.summary.replace(/\|/g, '\\|')} | ${spec.fix.replace(/\|/g, '\\|')} |`);
  }
  return `${lines.join('\n')}\n`;
}
