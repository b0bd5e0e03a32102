import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { BridgeError, crc32 } from '@latent-bridge/shared';
import { insertPngText, insertTextChunk, readPngParameters, readPngText, textChunk } from './png-text.js';

async function tinyPng(): Promise<Uint8Array> {
  const buf = await sharp({ create: { width: 3, height: 2, channels: 3, background: '#336699' } }).png().toBuffer();
  return new Uint8Array(buf);
}

function chunkTypes(png: Uint8Array): string[] {
  const types: string[] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let pos = 8; pos < png.length; ) {
    const len = view.getUint32(pos);
    types.push(String.fromCharCode(...png.subarray(pos + 4, pos + 8)));
    pos += 12 + len;
  }
  return types;
}

test('crc32 matches the standard check value', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  assert.equal(crc32(new Uint8Array(0)), 0);
});

test('tEXt round trip, readable by sharp and by our reader; placed before IDAT', async () => {
  const text = 'a photo of a cat, (masterpiece:1.2)\nNegative prompt: blurry\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42';
  const png = insertTextChunk(await tinyPng(), 'parameters', text);
  assert.equal(readPngParameters(png), text);
  const types = chunkTypes(png);
  assert.equal(types[1], 'tEXt');
  assert.ok(types.indexOf('tEXt') < types.indexOf('IDAT'));
  const meta = await sharp(png).metadata();
  assert.deepEqual(meta.comments, [{ keyword: 'parameters', text }]);
  // pixels still decode (every CRC is right)
  const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  assert.deepEqual([...data.subarray(0, 3)], [0x33, 0x66, 0x99]);
});

test('non-ASCII text goes into iTXt as UTF-8 (sharp garbles Latin-1 in tEXt); ASCII stays tEXt', async () => {
  const base = await tinyPng();
  const png = insertPngText(base, [
    { keyword: 'parameters', text: '猫 ✓ ünïcode' },
    { keyword: 'Comment', text: 'café crème' },
    { keyword: 'Software', text: 'latent-bridge' },
  ]);
  assert.deepEqual(chunkTypes(png).slice(1, 4), ['iTXt', 'iTXt', 'tEXt']);
  assert.deepEqual(readPngText(png), [
    { keyword: 'parameters', text: '猫 ✓ ünïcode' },
    { keyword: 'Comment', text: 'café crème' },
    { keyword: 'Software', text: 'latent-bridge' },
  ]);
  const meta = await sharp(png).metadata();
  assert.deepEqual(meta.comments?.map((c) => c.text), ['猫 ✓ ünïcode', 'café crème', 'latent-bridge']);
});

test('tEXt from other writers: Latin-1 per the spec, UTF-8 when the bytes are valid UTF-8', async () => {
  const base = await tinyPng();
  const latin1 = makeChunk('tEXt', new Uint8Array([...Buffer.from('Comment\0caf\xe9', 'latin1')]));
  const utf8 = makeChunk('tEXt', new Uint8Array([...Buffer.from('Title\0', 'latin1'), ...Buffer.from('café ✓', 'utf8')]));
  const png = new Uint8Array([...base.subarray(0, 33), ...latin1, ...utf8, ...base.subarray(33)]);
  assert.deepEqual(readPngText(png), [
    { keyword: 'Comment', text: 'café' },
    { keyword: 'Title', text: 'café ✓' },
  ]);
});

test('writing a keyword again replaces the old entry', async () => {
  const once = insertTextChunk(await tinyPng(), 'parameters', 'old');
  const twice = insertTextChunk(once, 'parameters', 'new ✓');
  assert.deepEqual(readPngText(twice), [{ keyword: 'parameters', text: 'new ✓' }]);
});

test('zTXt and compressed iTXt written by other tools are read', async () => {
  const base = await tinyPng();
  const ztxt = (() => {
    const body = deflateSync(Buffer.from('Steps: 30', 'latin1'));
    const data = new Uint8Array([...Buffer.from('parameters\0\0', 'latin1'), ...body]);
    return makeChunk('zTXt', data);
  })();
  const itxt = (() => {
    const body = deflateSync(Buffer.from('日本語', 'utf8'));
    const data = new Uint8Array([...Buffer.from('Title\0\x01\x00ja\0Titel\0', 'latin1'), ...body]);
    return makeChunk('iTXt', data);
  })();
  const png = new Uint8Array(base.length + ztxt.length + itxt.length);
  png.set(base.subarray(0, 33));
  png.set(ztxt, 33);
  png.set(itxt, 33 + ztxt.length);
  png.set(base.subarray(33), 33 + ztxt.length + itxt.length);
  assert.deepEqual(readPngText(png), [
    { keyword: 'parameters', text: 'Steps: 30' },
    { keyword: 'Title', text: '日本語' },
  ]);
});

function makeChunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(Buffer.from(type, 'latin1'), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

test('corrupt files and bad keywords are BridgeErrors', async () => {
  const png = insertTextChunk(await tinyPng(), 'parameters', 'x');
  const broken = png.slice();
  broken[40] = broken[40]! ^ 1; // inside the tEXt chunk: CRC no longer matches
  assert.throws(() => readPngText(broken), (e) => e instanceof BridgeError && e.code === 'image_invalid' && /CRC/.test(e.message));
  assert.throws(() => readPngText(png.subarray(0, png.length - 5)), (e) => e instanceof BridgeError && e.code === 'image_invalid');
  assert.throws(() => readPngText(new Uint8Array([1, 2, 3])), (e) => e instanceof BridgeError && e.code === 'image_invalid');
  assert.throws(() => insertTextChunk(png, ' lead', 'x'), (e) => e instanceof BridgeError && e.field === 'keyword');
  assert.throws(() => insertTextChunk(png, 'k'.repeat(80), 'x'), (e) => e instanceof BridgeError && e.field === 'keyword');
  assert.throws(() => textChunk({ keyword: 'a', text: 'nul\0inside' }), (e) => e instanceof BridgeError && e.field === 'text');
  assert.equal(readPngParameters(await tinyPng()), null);
});
