import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_UNZIPPED_BYTES, readZip, writeZip } from '../../src/zip-archive';
import { unzip } from './support/unzip';

describe('zip archives of iFlow bundles', () => {
  test('what the emulator writes, an independent reader reads, and so does the emulator', async () => {
    const entries = [
      { name: 'META-INF/MANIFEST.MF', data: Buffer.from('Manifest-Version: 1.0\r\n') },
      { name: 'src/main/resources/parameters.prop', data: Buffer.from('Alias=ünïcode\n') },
      { name: 'empty', data: Buffer.alloc(0) },
    ];
    const zip = writeZip(entries);
    const read = await unzip(zip);
    assert.deepEqual(
      [...read.keys()],
      entries.map((e) => e.name),
    );
    assert.equal(read.get('src/main/resources/parameters.prop')?.toString('utf8'), 'Alias=ünïcode\n');
    assert.deepEqual(readZip(zip), entries);
  });

  test('refuses what is not a zip, a cut archive, and one that unzips to more than the limit', () => {
    assert.throws(() => readZip(Buffer.from('not a zip at all, just text')), /not a readable zip archive/);
    const zip = writeZip([{ name: 'a', data: Buffer.from('hello') }]);
    assert.throws(() => readZip(zip.subarray(10)), /not a readable zip archive/);
    const big = Buffer.alloc(MAX_UNZIPPED_BYTES + 1);
    const bomb = writeZip([{ name: 'big', data: big }]);
    assert.ok(bomb.length < 100_000, `the bomb is small (${bomb.length} bytes)`);
    assert.throws(() => readZip(bomb), /more than/);
  });
});
