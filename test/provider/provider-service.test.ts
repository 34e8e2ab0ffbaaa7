import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeMsgpack } from '../../src/provider/codec';
import { createLogger } from '../../src/provider/logger';
import { ProviderService } from '../../src/provider/provider-service';
import type { CallContext, ProviderDefinition, ResourceType } from '../../src/provider/resource';
import { blockType, type BlockSpec } from '../../src/provider/schema';

const block: BlockSpec = {
  attributes: {
    name: { type: 'string', required: true, description: 'Name.' },
    note: { type: 'string', optional: true, description: 'Note.' },
  },
};

/** A resource whose read does what the test decides, per call, through `behaviour`. */
function service(behaviour: (ctx: CallContext<object>) => Promise<void>) {
  const thing: ResourceType<object> = {
    name: 'cpi_thing',
    schema: { version: 0, description: 'A thing.', block },
    async read(state, ctx) {
      await behaviour(ctx);
      return state;
    },
    create: async (planned) => planned,
    delete: async () => {},
  };
  const definition: ProviderDefinition<object> = {
    name: 'cpi',
    version: '0.0.0',
    schema: { version: 0, description: 'Provider.', block: { attributes: {} } },
    configure: async () => ({}),
    resources: [thing],
    dataSources: [],
  };
  const lines: string[] = [];
  return {
    handlers: new ProviderService(
      definition,
      createLogger((l) => lines.push(l)),
    ).handlers(),
    lines,
  };
}

const state = { name: 'a', note: null };
const readRequest = (typeName = 'cpi_thing') => ({
  type_name: typeName,
  current_state: { msgpack: encodeMsgpack(state, blockType(block)) },
  private: new Uint8Array(),
});

type Wire = { diagnostics: { summary: string }[]; new_state?: { msgpack: Uint8Array } };

function waitForAbort(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

describe('ProviderService', () => {
  test('StopProvider interrupts an operation waiting on its signal, and one that starts after it', async () => {
    let started!: () => void;
    const waiting = new Promise<void>((resolve) => (started = resolve));
    let calls = 0;
    const { handlers } = service(async (ctx) => {
      calls++;
      if (calls === 1) started();
      // a call that reaches the provider after StopProvider (it crossed it on the wire) is stopped from the start
      await waitForAbort(ctx.signal);
    });
    const first = handlers.ReadResource!(readRequest());
    await waiting;
    await handlers.StopProvider!({});
    const interrupted = (await first) as Wire;
    assert.equal(interrupted.diagnostics.length, 1);
    assert.match(interrupted.diagnostics[0]!.summary, /^CPI_PROVIDER_INTERRUPTED: /);

    const second = (await handlers.ReadResource!(readRequest())) as Wire;
    assert.equal(second.diagnostics.length, 1);
    assert.match(second.diagnostics[0]!.summary, /^CPI_PROVIDER_INTERRUPTED: /);
  });

  test('StopProvider interrupts every operation in flight, not only the latest', async () => {
    const signals: AbortSignal[] = [];
    const { handlers } = service(async (ctx) => {
      signals.push(ctx.signal);
      await waitForAbort(ctx.signal);
    });
    const calls = [handlers.ReadResource!(readRequest()), handlers.ReadResource!(readRequest())];
    while (signals.length < 2) await new Promise((resolve) => setImmediate(resolve));
    assert.notEqual(signals[0], signals[1]);
    await handlers.StopProvider!({});
    for (const result of (await Promise.all(calls)) as Wire[]) {
      assert.match(result.diagnostics[0]!.summary, /^CPI_PROVIDER_INTERRUPTED: /);
    }
  });

  test('an operation that finished before StopProvider keeps its result, and its signal is not aborted later', async () => {
    let kept: AbortSignal | undefined;
    const { handlers } = service(async (ctx) => {
      kept = ctx.signal;
    });
    const done = (await handlers.ReadResource!(readRequest())) as Wire;
    assert.deepEqual(done.diagnostics, []);
    await handlers.StopProvider!({});
    assert.equal(kept!.aborted, false);
  });

  test('a signal first asked for after the call answered is not held by StopProvider or a timer', async () => {
    let late: (() => AbortSignal) | undefined;
    const { handlers } = service(async (ctx) => {
      late = () => ctx.signal;
    });
    await handlers.ReadResource!(readRequest());
    const signal = late!();
    await handlers.StopProvider!({});
    assert.equal(signal.aborted, false);
  });

  test('answers an unknown resource type with its code, by name', async () => {
    const { handlers } = service(async () => {});
    const result = (await handlers.ReadResource!(readRequest('cpi_nothing'))) as Wire;
    assert.match(result.diagnostics[0]!.summary, /^CPI_PROVIDER_UNKNOWN_TYPE: /);
  });
});
