// Where the state of each stage's stack lives. A renewal is several stacks, each with a state of its own (the cleanup
// continues the retiring stage's), so a backend here is not one backend block but a rule that gives each state its
// own place: a file, a PostgreSQL schema, an S3 key. Any cdktf backend fits by implementing IRenewalStateBackend.
import { relative, resolve } from 'node:path';
import { CpiError } from '../src/errors';
import {
  App,
  LocalBackend,
  PgBackend,
  S3Backend,
  type S3BackendConfig,
  type TerraformBackend,
  type TerraformStack,
} from './cdktf';

/** Gives each stack of a renewal its backend. Implement it for a backend the factories below do not cover. */
export interface IRenewalStateBackend {
  /**
   * Adds the backend of one stack of the renewal and returns it. `stateName` names the state, unique within the
   * renewal: the stack's name, except for the cleanup stack, which continues the state of the stage that retired the
   * old key and so gets that stage's state name. Two calls with the same `stateName` must reach the same state.
   */
  addBackend(stack: TerraformStack, stateName: string): TerraformBackend;
}

/** PostgreSQL (Terraform's `pg` backend): one schema per state, with the lock Terraform takes on it. */
export interface PgRenewalStateProps {
  /**
   * Prefix of each state's schema name: the schema is `<prefix><state name>`, lower-cased, every character other
   * than a-z, 0-9 and `_` replaced by `_` (at most 63 characters in all, PostgreSQL's limit).
   * @default 'cpi_'
   */
  readonly schemaPrefix?: string;
  /**
   * The connection string. It carries a password, and what is given here is written into the synthesized stacks
   * (cdktf.out), so leave it out and set PG_CONN_STR where terraform runs.
   * @default - PG_CONN_STR in terraform's environment
   */
  readonly connStr?: string;
}

/** S3 (Terraform's `s3` backend): cdktf's S3BackendConfig, `key` being the prefix of every state's key. */
export interface S3RenewalStateProps extends S3BackendConfig {
  /**
   * Lock each state with a lock file beside it in the bucket (Terraform 1.10 and later; cdktf 0.21's
   * S3BackendConfig predates it). Give this or `dynamodbTable`.
   * @default - no lock file
   */
  readonly useLockfile?: boolean;
}

const PG_IDENTIFIER_MAX = 63;

/** Factories of IRenewalStateBackend for the backends the docs show (docs/remote-state.md). */
export class RenewalStateBackend {
  /**
   * Local state files `<dir>/<state name>.tfstate`, `dir` relative to the directory synth runs in (the default:
   * what the renewal used before backends could be chosen). Terraform locks a local file only on one machine.
   */
  static local(dir = 'state'): IRenewalStateBackend {
    return {
      addBackend(stack, stateName) {
        // Terraform runs each stack in <outdir>/stacks/<stack>; a relative path in the stack starts there.
        const stackDir = resolve(App.of(stack).outdir, 'stacks', stack.node.id);
        return new LocalBackend(stack, { path: relative(stackDir, resolve(dir, `${stateName}.tfstate`)) });
      },
    };
  }

  /** PostgreSQL through Terraform's `pg` backend: a schema per state (see PgRenewalStateProps). */
  static pg(props: PgRenewalStateProps = {}): IRenewalStateBackend {
    const prefix = props.schemaPrefix ?? 'cpi_';
    const schemas = new Map<string, string>();
    return {
      addBackend(stack, stateName) {
        const schemaName = pgSchemaName(prefix, stateName);
        const other = schemas.get(schemaName);
        if (other !== undefined && other !== stateName)
          throw new CpiError(
            'CPI_CONSTRUCTS_PROPS_INVALID',
            `RenewalStateBackend.pg: the states "${other}" and "${stateName}" would share the schema "${schemaName}"; rename one of the stacks (stackNames)`,
          );
        schemas.set(schemaName, stateName);
        // conn_str left out of the stack when not given: terraform reads PG_CONN_STR (no password in cdktf.out).
        return new PgBackend(stack, {
          ...(props.connStr === undefined ? {} : { connStr: props.connStr }),
          schemaName,
        } as { connStr: string; schemaName: string });
      },
    };
  }

  /**
   * S3 through Terraform's `s3` backend: every setting of `config` as given, with the key of each state
   * `<config.key>/<state name>.tfstate`. Give `useLockfile: true` (Terraform 1.10 and later) or a `dynamodbTable`,
   * so that two pipelines never apply the same stage at once.
   */
  static s3(config: S3RenewalStateProps): IRenewalStateBackend {
    const prefix = config.key.replace(/\/+$/, '');
    return {
      addBackend(stack, stateName) {
        return new S3Backend(stack, { ...config, key: `${prefix}/${stateName}.tfstate` });
      },
    };
  }
}

/** The schema of one state: `<prefix><state name>`, as a plain lower-case PostgreSQL identifier. */
export function pgSchemaName(prefix: string, stateName: string): string {
  const schema = `${prefix}${stateName}`.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z_]/.test(schema) || schema.length > PG_IDENTIFIER_MAX)
    throw new CpiError(
      'CPI_CONSTRUCTS_PROPS_INVALID',
      `RenewalStateBackend.pg: the schema name "${schema}" (schemaPrefix "${prefix}" + state "${stateName}") must start with a letter or "_" and have at most ${PG_IDENTIFIER_MAX} characters; choose a shorter schemaPrefix or shorter stack names`,
    );
  return schema;
}

/** Where a renewal's stacks (forward and way back) keep their state: its `backend`, else local files in `stateDir`. */
export function stateBackend(renewal: {
  readonly backend?: IRenewalStateBackend;
  readonly stateDir?: string;
}): IRenewalStateBackend {
  return renewal.backend ?? RenewalStateBackend.local(renewal.stateDir ?? 'state');
}
