import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { resultLayerName, seedFromLayerName } from './layer-name.js';
import { placeRgba, resizeRgba, to8Bit } from './pixels.js';
import { plainError } from './plain-words.js';

test('layer names carry prompt and seed, and the seed reads back', () => {
  const name = resultLayerName('  a red   door ', 123456789, 1, 3);
  assert.equal(name, 'a red door · seed 123456789 (2/3)');
  assert.equal(seedFromLayerName(name), 123456789);
  assert.equal(seedFromLayerName(resultLayerName('x'.repeat(100), 5, 0, 1)), 5);
  assert.equal(seedFromLayerName('Layer 1'), null);
  assert.equal(seedFromLayerName(null), null);
});

test('16-bit Photoshop samples map 0..32768 onto 0..255', () => {
  assert.deepEqual([...to8Bit(Uint16Array.of(0, 16384, 32768), 16)], [0, 128, 255]);
});

test('placeRgba pads a trimmed RGB answer into an RGBA region', () => {
  const out = placeRgba(Uint8Array.of(1, 2, 3), 3, { left: 5, top: 5, width: 1, height: 1 }, { left: 4, top: 5, width: 2, height: 1 });
  assert.deepEqual([...out], [0, 0, 0, 0, 1, 2, 3, 255]);
});

test('resizeRgba keeps uniform colour and sizes', () => {
  const src = new Uint8Array(4 * 4 * 4);
  for (let i = 0; i < src.length; i += 4) src.set([191, 64, 64, 255], i);
  const out = resizeRgba(src, 4, 4, 7, 3);
  assert.equal(out.length, 7 * 3 * 4);
  assert.deepEqual([...out.subarray(40, 44)], [191, 64, 64, 255]);
});

test('plain words: what happened and what to do', () => {
  const down = plainError(new BridgeError('bridge_unreachable', 'connect ECONNREFUSED'));
  assert.equal(down.text, 'The bridge server cannot be reached.');
  assert.match(down.action, /latent-bridge serve/);
  const own = plainError(new BridgeError('host_unsupported', 'No document is open. Open or create a document, then generate.'));
  assert.equal(own.text, 'No document is open. Open or create a document, then generate.');
  assert.equal(plainError(new Error('boom')).code, 'internal');
});
