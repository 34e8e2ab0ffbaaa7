// cpi_iflow_runtime: the runtime state of an integration flow, as the tenant reports it now.
import type { ProviderClients } from '../provider-config';
import type { DataSourceType } from '../resource';

export const iflowRuntime: DataSourceType<ProviderClients> = {
  name: 'cpi_iflow_runtime',
  schema: {
    version: 0,
    description: 'The runtime state of an integration flow: whether it is deployed, which version, since when.',
    block: {
      attributes: {
        iflow_id: { type: 'string', required: true, description: "The integration flow's artifact ID." },
        deployed: { type: 'bool', computed: true, description: 'True when the runtime has the iFlow (in any status).' },
        status: {
          type: 'string',
          computed: true,
          description: '`STARTING`, `STARTED`, `STOPPING`, `ERROR`, or `UNDEPLOYED`.',
        },
        version: { type: 'string', computed: true, description: 'The version the runtime runs.' },
        deployed_on: { type: 'string', computed: true, description: 'When it was deployed (RFC 3339).' },
        deployed_by: { type: 'string', computed: true, description: 'Who deployed it.' },
      },
    },
  },
  async read(config, ctx) {
    const id = String(config.iflow_id);
    const artifact = await (await ctx.provider().tenant.tenant()).getRuntimeArtifact(id, { signal: ctx.signal });
    return {
      iflow_id: id,
      deployed: artifact !== undefined,
      status: artifact?.status ?? 'UNDEPLOYED',
      version: artifact?.version ?? null,
      deployed_on: artifact?.deployedOn?.toISOString() ?? null,
      deployed_by: artifact?.deployedBy ?? null,
    };
  },
};
