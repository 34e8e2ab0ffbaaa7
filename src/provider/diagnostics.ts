// Errors become Terraform diagnostics here, at the provider boundary and nowhere else: the stable code leads the
// summary, the detail says what was wrong and what to do, and the attribute path lets Terraform point at the line.
import { CpiError, errorRegistry } from '../errors';
import type { AttributePath, Diagnostic } from './resource';

export interface WireDiagnostic {
  severity: 'ERROR' | 'WARNING';
  summary: string;
  detail: string;
  attribute?: { steps: object[] };
}

// Strings are attribute names, numbers list indexes (map keys are not used in this provider's paths).
function wirePath(path: AttributePath | undefined): WireDiagnostic['attribute'] {
  if (!path || path.length === 0) return undefined;
  return {
    steps: path.map((step) => (typeof step === 'number' ? { element_key_int: step } : { attribute_name: step })),
  };
}

/** A thrown value or a collected warning, as tfplugin6 expects it. */
export function toDiagnostic(source: unknown): WireDiagnostic {
  if (source instanceof CpiError) {
    return {
      severity: 'ERROR',
      summary: `${source.code}: ${errorRegistry()[source.code].summary}`,
      detail: `${source.detail}\n\nWhat to do: ${source.fix}`,
      attribute: wirePath(source.attribute),
    };
  }
  if (isDiagnostic(source)) {
    return {
      severity: source.severity === 'error' ? 'ERROR' : 'WARNING',
      summary: source.summary,
      detail: source.detail,
      attribute: wirePath(source.attribute),
    };
  }
  const message = source instanceof Error ? source.message : String(source);
  return {
    severity: 'ERROR',
    summary: `CPI_PROVIDER_INTERNAL: ${errorRegistry().CPI_PROVIDER_INTERNAL.summary}`,
    detail: `${message}\n\nWhat to do: ${errorRegistry().CPI_PROVIDER_INTERNAL.fix}`,
  };
}

function isDiagnostic(value: unknown): value is Diagnostic {
  return typeof value === 'object' && value !== null && 'severity' in value && 'summary' in value;
}
