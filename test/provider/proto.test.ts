// The provider's gRPC definitions: the services Terraform 1.11.4 and go-plugin call exist with the right shapes,
// the wire numbers that matter encode as Terraform expects, and descriptor.json matches the .proto files.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { fromJSON, type MethodDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { createGrpcServer } from '../../src/provider/grpc-server';
import { callUnary, pluginClient } from '../support/plugin-client';
import {
  loadPackageDefinition,
  loadPluginProtocols,
  PROTO_LOADER_OPTIONS,
} from '../../src/provider/proto/load-protocols';

const descriptorPath = fileURLToPath(new URL('../../src/provider/proto/descriptor.json', import.meta.url));
const buildScript = fileURLToPath(new URL('../../scripts/build-proto.mjs', import.meta.url));
const descriptorText = readFileSync(descriptorPath, 'utf8');
const descriptor = JSON.parse(descriptorText) as Parameters<typeof fromJSON>[0];

const packageDefinition = fromJSON(descriptor, {
  keepCase: true,
  enums: String,
  longs: Number,
  defaults: true,
  oneofs: true,
});
const loaded = grpc.loadPackageDefinition(packageDefinition);

type AnyMethod = MethodDefinition<object, object>;

/** The service definition behind a fully qualified name such as 'tfplugin6.Provider'. */
function serviceOf(qualified: string): Record<string, AnyMethod> {
  let node: unknown = loaded;
  for (const part of qualified.split('.')) node = (node as Record<string, unknown>)[part];
  assert.equal(typeof node, 'function', `${qualified} is not a service in descriptor.json`);
  return (node as grpc.ServiceClientConstructor).service as unknown as Record<string, AnyMethod>;
}

/** [request type, response type, client streams, server streams] of one method. */
function shape(method: AnyMethod | undefined): [string, string, boolean, boolean] {
  assert.ok(method, 'method missing');
  const typeName = (t: unknown) => (t as { type: { name: string } }).type.name;
  return [typeName(method.requestType), typeName(method.responseType), method.requestStream, method.responseStream];
}

/** The message descriptor (fields with names, numbers, types) behind a method's request or response. */
const methodType = (definition: unknown) => (definition as { type: unknown }).type;

/** The descriptor of message `name` nested in the top-level message `parent` (proto-loader lists top-level ones only). */
function nestedType(parent: string, name: string): unknown {
  const outer = packageDefinition[parent] as { type: { nestedType: { name: string }[] } } | undefined;
  const found = outer?.type.nestedType.find((nested) => nested.name === name);
  assert.ok(found, `${parent}.${name} is not in descriptor.json`);
  return found;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('tfplugin6.Provider (protocol 6.8, as Terraform 1.11.4 speaks it)', () => {
  const provider = serviceOf('tfplugin6.Provider');

  test('has exactly the 20 RPCs of 6.8: none of the later state-store, list, action or identity RPCs', () => {
    assert.deepEqual(Object.keys(provider).sort(), [
      'ApplyResourceChange',
      'CallFunction',
      'CloseEphemeralResource',
      'ConfigureProvider',
      'GetFunctions',
      'GetMetadata',
      'GetProviderSchema',
      'ImportResourceState',
      'MoveResourceState',
      'OpenEphemeralResource',
      'PlanResourceChange',
      'ReadDataSource',
      'ReadResource',
      'RenewEphemeralResource',
      'StopProvider',
      'UpgradeResourceState',
      'ValidateDataResourceConfig',
      'ValidateEphemeralResourceConfig',
      'ValidateProviderConfig',
      'ValidateResourceConfig',
    ]);
  });

  test('every RPC Terraform 1.11.4 calls is unary, with <Rpc>.Request in and <Rpc>.Response out', () => {
    const called = [
      'GetProviderSchema',
      'ValidateProviderConfig',
      'ConfigureProvider',
      'ValidateResourceConfig',
      'ValidateDataResourceConfig',
      'UpgradeResourceState',
      'ReadResource',
      'PlanResourceChange',
      'ApplyResourceChange',
      'ReadDataSource',
      'ImportResourceState',
      'StopProvider',
    ];
    for (const rpc of called) {
      const method = provider[rpc];
      assert.deepEqual(shape(method), ['Request', 'Response', false, false], rpc);
      // 'Request' alone is ambiguous: it must be the one nested in the message named after the RPC.
      assert.deepEqual(methodType(method?.requestType), nestedType(`tfplugin6.${rpc}`, 'Request'), `${rpc} request`);
      assert.deepEqual(methodType(method?.responseType), nestedType(`tfplugin6.${rpc}`, 'Response'), `${rpc} response`);
    }
  });

  test('the gRPC paths are exactly the ones Terraform dials', () => {
    assert.equal(provider.PlanResourceChange?.path, '/tfplugin6.Provider/PlanResourceChange');
    assert.equal(provider.StopProvider?.path, '/tfplugin6.Provider/StopProvider');
    assert.equal(provider.GetProviderSchema?.path, '/tfplugin6.Provider/GetProviderSchema');
  });
});

describe('go-plugin and health services', () => {
  test('GRPCController.Shutdown is unary plugin.Empty -> plugin.Empty', () => {
    const controller = serviceOf('plugin.GRPCController');
    assert.deepEqual(Object.keys(controller), ['Shutdown']);
    assert.deepEqual(shape(controller.Shutdown), ['Empty', 'Empty', false, false]);
    assert.equal(controller.Shutdown?.path, '/plugin.GRPCController/Shutdown');
  });

  test('GRPCStdio.StreamStdio streams StdioData from google.protobuf.Empty', () => {
    const stdio = serviceOf('plugin.GRPCStdio');
    assert.deepEqual(Object.keys(stdio), ['StreamStdio']);
    assert.deepEqual(shape(stdio.StreamStdio), ['Empty', 'StdioData', false, true]);
    // Go sends google.protobuf.Empty here; an empty message encodes to zero bytes either way.
    assert.equal(stdio.StreamStdio?.requestSerialize({}).length, 0);
    assert.equal(
      hex(stdio.StreamStdio!.responseSerialize({ channel: 'STDERR', data: Buffer.from('x') })),
      '0802120178',
    );
  });

  test('GRPCBroker.StartStream is a bidirectional stream of ConnInfo', () => {
    const broker = serviceOf('plugin.GRPCBroker');
    assert.deepEqual(Object.keys(broker), ['StartStream']);
    assert.deepEqual(shape(broker.StartStream), ['ConnInfo', 'ConnInfo', true, true]);
    // service_id=1 (uint32), knock=4 { knock=1 }
    assert.equal(
      hex(broker.StartStream!.requestSerialize({ service_id: 7, knock: { knock: true } })),
      '08072202' + '0801',
    );
  });

  test('grpc.health.v1.Health has Check (unary) and Watch (server stream)', () => {
    const health = serviceOf('grpc.health.v1.Health');
    assert.deepEqual(Object.keys(health).sort(), ['Check', 'Watch']);
    assert.deepEqual(shape(health.Check), ['HealthCheckRequest', 'HealthCheckResponse', false, false]);
    assert.deepEqual(shape(health.Watch), ['HealthCheckRequest', 'HealthCheckResponse', false, true]);
    assert.equal(hex(health.Check!.responseSerialize({ status: 'SERVING' })), '0801');
  });
});

describe('wire numbers Terraform relies on', () => {
  const provider = serviceOf('tfplugin6.Provider');

  test('PlanResourceChange.Response.requires_replace is field 2 of AttributePath with steps=1, attribute_name=1', () => {
    const bytes = provider.PlanResourceChange!.responseSerialize({
      requires_replace: [{ steps: [{ attribute_name: 'name' }] }],
    });
    // 12 = field 2 (len), 0a = steps (len), 0a = attribute_name (len), "name"
    assert.equal(hex(bytes), '1208' + '0a06' + '0a04' + hex(Buffer.from('name')));
  });

  test('DynamicValue.msgpack is field 1 and DynamicValue.json is field 2', () => {
    const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
    const DynamicValue = root.lookupType('tfplugin6.DynamicValue');
    assert.equal(
      hex(DynamicValue.encode(DynamicValue.fromObject({ msgpack: Buffer.from([0xc0]) })).finish()),
      '0a01c0',
    );
    assert.equal(hex(DynamicValue.encode(DynamicValue.fromObject({ json: Buffer.from('{}') })).finish()), '12027b7d');
  });

  test('StopProvider.Response keeps its capitalised Error field as number 1', () => {
    assert.equal(hex(provider.StopProvider!.responseSerialize({ Error: 'stop' })), '0a04' + hex(Buffer.from('stop')));
  });

  test('a ConfigureProvider request as Terraform encodes it decodes into snake_case fields and defaults', () => {
    // terraform_version=1 "1.11.4", config=2 { msgpack=1 [0x80] (empty map) }
    const wire = Buffer.from('0a06' + hex(Buffer.from('1.11.4')) + '1203' + '0a0180', 'hex');
    const request = provider.ConfigureProvider!.requestDeserialize(wire) as {
      terraform_version: string;
      config: { msgpack: Buffer; json: Buffer };
      client_capabilities: unknown;
    };
    assert.equal(request.terraform_version, '1.11.4');
    assert.equal(hex(request.config.msgpack), '80');
    assert.equal(request.config.json.length, 0);
  });

  test('UpgradeResourceState carries state as RawState.json (raw_state=3, json=1) and version as a number', () => {
    const wire = Buffer.from('0a01' + hex(Buffer.from('t')) + '1002' + '1a04' + '0a02' + hex(Buffer.from('{}')), 'hex');
    const request = provider.UpgradeResourceState!.requestDeserialize(wire) as {
      type_name: string;
      version: number;
      raw_state: { json: Buffer };
    };
    assert.equal(request.type_name, 't');
    assert.equal(request.version, 2);
    assert.equal(request.raw_state.json.toString(), '{}');
  });

  test('diagnostics encode severity as an enum string and attribute paths through the selector oneof', () => {
    const method = provider.ValidateResourceConfig!;
    const bytes = method.responseSerialize({
      diagnostics: [{ severity: 'ERROR', summary: 's', attribute: { steps: [{ attribute_name: 'a' }] } }],
    });
    // diagnostics=1 { severity=1 (1), summary=2 "s", attribute=4 { steps=1 { attribute_name=1 "a" } } }
    assert.equal(hex(bytes), '0a0c' + '0801' + '120173' + '2205' + '0a03' + '0a0161');
    const decoded = method.responseDeserialize(bytes) as {
      diagnostics: { severity: string; attribute: { steps: { attribute_name: string; selector: string }[] } }[];
    };
    assert.equal(decoded.diagnostics[0]?.severity, 'ERROR');
    assert.equal(decoded.diagnostics[0]?.attribute.steps[0]?.selector, 'attribute_name');
    assert.equal(decoded.diagnostics[0]?.attribute.steps[0]?.attribute_name, 'a');
  });

  test('fields added during 1.11 are where 1.11.4 puts them', () => {
    const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
    const id = (type: string, field: string) => root.lookupType(type).fields[field]?.id;
    const expected: [string, string, number][] = [
      ['tfplugin6.Schema.Attribute', 'write_only', 11],
      ['tfplugin6.Schema.Attribute', 'nested_type', 10],
      ['tfplugin6.ClientCapabilities', 'write_only_attributes_allowed', 2],
      ['tfplugin6.ValidateResourceConfig.Request', 'client_capabilities', 3],
      ['tfplugin6.GetProviderSchema.Response', 'server_capabilities', 6],
      ['tfplugin6.GetProviderSchema.Response', 'ephemeral_resource_schemas', 8],
      ['tfplugin6.ServerCapabilities', 'plan_destroy', 1],
      ['tfplugin6.ValidateProviderConfig.Response', 'diagnostics', 2],
      ['tfplugin6.ReadResource.Response', 'new_state', 1],
      ['tfplugin6.ApplyResourceChange.Response', 'new_state', 1],
      ['tfplugin6.PlanResourceChange.Request', 'proposed_new_state', 3],
    ];
    for (const [type, field, number] of expected) assert.equal(id(type, field), number, `${type}.${field}`);
  });
});

describe('descriptor.json', () => {
  test('is what scripts/build-proto.mjs makes from the .proto files now', () => {
    const run = spawnSync(process.execPath, [buildScript, '--stdout'], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.ok(
      run.stdout === descriptorText,
      'descriptor.json is stale: run node scripts/build-proto.mjs and commit it',
    );
  });

  test("loadPluginProtocols serves all five services over the provider's server to grpc-js clients, on loopback", async () => {
    const protocols = loadPluginProtocols();
    assert.equal(loadPackageDefinition(), loadPackageDefinition(), 'the descriptor is parsed once per process');
    assert.equal(PROTO_LOADER_OPTIONS.keepCase, true);

    const server = createGrpcServer(
      [
        [protocols.health, { Check: async () => ({ status: 'SERVING' }), Watch: () => {} }],
        [protocols.provider, { StopProvider: async () => ({ Error: 'interrupted' }) }],
        [protocols.controller, { Shutdown: async () => ({}) }],
        [protocols.stdio, {}],
        [protocols.broker, {}],
      ],
      { maxMessageBytes: 1024 * 1024, onError: (_path, error) => assert.fail(String(error)) },
    );
    const port = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    try {
      const address = `127.0.0.1:${port}`;
      const insecure = grpc.credentials.createInsecure();
      const health = pluginClient('grpc.health.v1.Health', address, insecure);
      const provider = pluginClient('tfplugin6.Provider', address, insecure);
      const controller = pluginClient('plugin.GRPCController', address, insecure);
      const call = callUnary;
      assert.deepEqual(await call(health, 'Check', { service: 'plugin' }), { status: 'SERVING' });
      assert.deepEqual(await call(provider, 'StopProvider', {}), { Error: 'interrupted' });
      assert.deepEqual(await call(controller, 'Shutdown', {}), {});
      await assert.rejects(call(provider, 'GetMetadata', {}), { code: grpc.status.UNIMPLEMENTED });
      for (const client of [health, provider, controller]) client.close();
    } finally {
      server.close();
    }
  });
});
