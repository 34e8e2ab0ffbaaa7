// The one registry of stable error codes. Every error a user can meet carries one of these codes, a message that
// says what failed and with which value, and what to do next. docs/errors.md is generated from this table and a
// test keeps the two in step. Codes never change meaning once released; retire a code instead of reusing it.

export interface ErrorSpec {
  /** One line: what went wrong, in the domain's words. */
  readonly summary: string;
  /** What the user should do about it. */
  readonly fix: string;
}

function registry<T extends Record<string, ErrorSpec>>(table: T): T {
  return table;
}

export const ERRORS = registry({
  // --- provider runtime (src/provider) ---
  CPI_PROVIDER_INTERNAL: {
    summary: 'The provider failed unexpectedly',
    fix: 'This is a bug in the provider. Re-run with TF_LOG=debug and report the log together with the error text.',
  },
  CPI_PROVIDER_UNKNOWN_TYPE: {
    summary: 'Terraform asked for a resource or data source type this provider does not have',
    fix: 'Check the type name against the provider documentation in docs/, and the provider version in required_providers.',
  },
  CPI_PROVIDER_NOT_CONFIGURED: {
    summary: 'A resource was used before the provider was configured',
    fix: 'Make sure the provider block (or its environment variables) is valid; Terraform configures it before any resource.',
  },
  CPI_PROVIDER_INVALID_CONFIG: {
    summary: 'The provider configuration is invalid',
    fix: 'Correct the named provider attribute or environment variable.',
  },
  CPI_PROVIDER_STATE_UPGRADE: {
    summary: 'The stored state of a resource cannot be read by this provider version',
    fix: 'Use the provider version that wrote the state, or remove the resource from state and import it again.',
  },
  CPI_PROVIDER_INTERRUPTED: {
    summary: 'The operation was interrupted (Ctrl-C or StopProvider) before it finished',
    fix: 'Run the same command again: every operation of this provider is safe to repeat.',
  },
  CPI_PROVIDER_TIMEOUT: {
    summary: 'The operation did not finish within its timeout',
    fix: 'Raise the timeout named in the message, or check the remote system for why it is slow, then re-run.',
  },
  CPI_VALUE_INVALID: {
    summary: 'An attribute value is not valid',
    fix: 'Correct the value of the named attribute as the message describes.',
  },
  CPI_IMPORT_ID_INVALID: {
    summary: 'The import ID is not in the expected form',
    fix: 'Use the import ID form given in the resource documentation.',
  },
  CPI_TEST_OBJECT_NOT_FOUND: {
    summary: 'The object of the test-only resource cpi_test_item does not exist',
    fix: 'Only used by the provider runtime tests; create it first.',
  },
});

export type ErrorCode = keyof typeof ERRORS;

/** An error a user can act on: a stable code, the specific detail, and optionally the attribute it concerns. */
export class CpiError extends Error {
  readonly code: ErrorCode;
  readonly detail: string;
  /** Attribute path (e.g. ['certificate_pem']) that Terraform maps back to a source line. */
  readonly attribute: readonly (string | number)[] | undefined;

  constructor(code: ErrorCode, detail: string, attribute?: readonly (string | number)[]) {
    const spec = ERRORS[code];
    super(`${code}: ${spec.summary}: ${detail}`);
    this.name = 'CpiError';
    this.code = code;
    this.detail = detail;
    this.attribute = attribute;
  }

  /** What the user should do: the registry's advice for this code. */
  get fix(): string {
    return ERRORS[this.code].fix;
  }
}

export function isCpiError(error: unknown): error is CpiError {
  return error instanceof CpiError;
}
