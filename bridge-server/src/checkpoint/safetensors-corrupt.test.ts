import assert from 'node:assert/strict';
import { open as openFile, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CheckpointError } from './checkpoint-error.js';
import { openCheckpoint } from './open-checkpoint.js';
import { openSafetensors } from './safetensors.js';
import { writeSafetensors } from './safetensors-writer.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-st-bad-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

function bytesOf(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

/** A file with this header object (or raw header bytes) and `dataLength` bytes of data. */
async function craft(name: string, header: unknown, dataLength: number, lengthField?: bigint): Promise<string> {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(JSON.stringify(header));
  const file = join(dir, name);
  const out = new Uint8Array(8 + json.byteLength + dataLength);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.byteLength), true);
  out.set(json, 8);
  await writeFile(file, out);
  return file;
}

/** Refused by openSafetensors, and by openCheckpoint too when the bytes still look like safetensors. */
async function assertInvalid(file: string, key: string | undefined, pattern: RegExp, byMagic = true): Promise<void> {
  for (const open of byMagic ? [openSafetensors, openCheckpoint] : [openSafetensors]) {
    await assert.rejects(open(file), (err: unknown) => {
      assert.ok(err instanceof CheckpointError, `${file}: ${String(err)}`);
      assert.equal(err.code, 'checkpoint_invalid');
      assert.equal(err.file, file);
      assert.equal(err.key, key);
      assert.ok(err.message.includes(file), err.message);
      assert.match(err.message, pattern);
      return true;
    });
  }
}

test('a safetensors file cut anywhere is refused, naming the tensor that runs past the end', async () => {
  const file = join(dir, 'whole.safetensors');
  await writeSafetensors(file, [
    { key: 'first', dtype: 'F32', shape: [4], data: bytesOf([1, 2, 3, 4]) },
    { key: 'second', dtype: 'F32', shape: [2, 2], data: bytesOf([5, 6, 7, 8]) },
    { key: 'third', dtype: 'F32', shape: [3], data: bytesOf([9, 10, 11]) },
  ]);
  const whole = await readFile(file);
  const headerEnd = 8 + Number(whole.readBigUInt64LE(0));
  const sorted = (await openSafetensors(file).then(async (f) => [f.keys(), await f.close()]))[0] as readonly string[];
  assert.deepEqual(sorted, ['first', 'second', 'third']);
  const cuts: Array<[number, string | undefined, RegExp]> = [
    [4, undefined, /8-byte header length/],
    [8, undefined, /runs past the end/],
    [Math.floor(headerEnd / 2), undefined, /runs past the end/],
    [headerEnd, 'first', /run past the data area/],
    [headerEnd + 16 + 5, 'second', /run past the data area/],
    [whole.byteLength - 1, 'third', /run past the data area/],
  ];
  for (const [at, key, pattern] of cuts) {
    const cut = join(dir, `cut-${at}.safetensors`);
    await writeFile(cut, whole.subarray(0, at));
    await assertInvalid(cut, key, pattern, at > 8);
  }
  // Too short to tell what it is: openCheckpoint says so.
  await assert.rejects(openCheckpoint(join(dir, 'cut-4.safetensors')), { code: 'checkpoint_invalid', message: /not a checkpoint/ });
});

test('lying headers are refused before any tensor is read, naming the tensor', async () => {
  const t = (dtype: unknown, shape: unknown, offsets: unknown) => ({ dtype, shape, data_offsets: offsets });
  const cases: Array<[string, unknown, number, string | undefined, RegExp]> = [
    ['beyond', { a: t('F32', [4], [0, 16]), b: t('F32', [4], [16, 32]) }, 24, 'b', /run past the data area/],
    ['backwards', { a: t('F32', [0], [16, 8]) }, 16, 'a', /end before they begin/],
    ['size-mismatch', { a: t('F32', [3], [0, 16]) }, 16, 'a', /hold 16 bytes but F32 \[3\] needs 12/],
    ['overlap', { a: t('F32', [4], [0, 16]), b: t('F16', [4], [8, 16]) }, 16, 'b', /overlap tensor "a"/],
    ['overlap-past-empty', { a: t('F32', [8], [0, 32]), e: t('F32', [0], [4, 4]), b: t('F32', [2], [16, 24]) }, 32, 'b', /overlap tensor "a"/],
    ['bad-dtype', { a: t('F4', [2], [0, 1]) }, 1, 'a', /unsupported dtype "F4"/],
    ['torch-dtype-name', { a: t('float32', [1], [0, 4]) }, 4, 'a', /unsupported dtype "float32"/],
    ['negative-shape', { a: t('F32', [-1], [0, 4]) }, 4, 'a', /not a list of non-negative integers/],
    ['fractional-shape', { a: t('F32', [1.5], [0, 6]) }, 6, 'a', /not a list of non-negative integers/],
    ['string-shape', { a: t('F32', '4', [0, 16]) }, 16, 'a', /not a list/],
    ['huge-shape', { a: t('F32', [2 ** 40, 2 ** 40], [0, 4]) }, 4, 'a', /too many elements/],
    ['no-offsets', { a: { dtype: 'F32', shape: [1] } }, 4, 'a', /data_offsets/],
    ['entry-not-object', { a: [1, 2] }, 0, 'a', /not an object/],
    ['metadata-number', { __metadata__: { steps: 3 }, a: t('F32', [1], [0, 4]) }, 4, undefined, /__metadata__ value for "steps"/],
    ['metadata-list', { __metadata__: ['x'] }, 0, undefined, /__metadata__ is not an object/],
    ['top-level-array', new TextEncoder().encode('[{"a": 1}]  '), 0, undefined, /does not start with "\{"/],
    ['not-json', new TextEncoder().encode('{"a": {"dtype": "F32",'), 0, undefined, /not valid JSON/],
    ['not-utf8', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 0, undefined, /not valid UTF-8/],
  ];
  for (const [name, header, dataLength, key, pattern] of cases) {
    await assertInvalid(await craft(`${name}.safetensors`, header, dataLength), key, pattern, name !== 'top-level-array');
  }
});

test('an impossible header length is refused without reading it', async () => {
  const header = { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } };
  await assertInvalid(await craft('len-past-end.safetensors', header, 4, 1000n), undefined, /runs past the end of the \d+-byte file/);
  await assertInvalid(await craft('len-huge.safetensors', header, 4, 2n ** 62n), undefined, /over the 100000000-byte limit/);
  await assertInvalid(await craft('len-zero.safetensors', header, 4, 0n), undefined, /too short/);
});

test('a multi-gigabyte sparse file opens with bounded memory and reads past 4 GiB', async () => {
  const big = 5_000_000_000;
  const file = await craft('sparse.safetensors', {
    __metadata__: { format: 'pt' },
    huge: { dtype: 'F16', shape: [50_000, 50_000], data_offsets: [0, big] },
    tail: { dtype: 'F32', shape: [4], data_offsets: [big, big + 16] },
  }, 0);
  const headerEnd = (await readFile(file)).byteLength;
  await truncate(file, headerEnd + big + 16);
  const handle = await openFile(file, 'r+');
  await handle.write(bytesOf([1.5, -2, 3.25, 1e-3]), 0, 16, headerEnd + big);
  await handle.close();
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  const st = await openSafetensors(file);
  try {
    assert.equal(st.fileSize, headerEnd + big + 16);
    assert.equal(st.entry('huge')?.byteLength, big);
    assert.deepEqual([...(await st.readFloat32('tail'))], [1.5, -2, 3.25, new Float32Array([1e-3])[0]]);
    const grown = process.memoryUsage().rss - rssBefore;
    assert.ok(grown < 64 * 1024 * 1024, `RSS grew by ${grown} bytes opening a 5 GB file`);
  } finally {
    await st.close();
    await rm(file);
  }
});
