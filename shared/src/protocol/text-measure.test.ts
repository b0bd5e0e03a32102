/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { codePoints, utf8ByteLength } from './text-measure.js';

test('utf8ByteLength and codePoints agree with the platform', () => {
  const samples = ['', 'abc', 'é', '€', '🎨', 'a🎨b', '\ud800', 'x\udc00y', '\ud83c', '日本語テキスト', 'mixed é€🎨\ud800'];
  // A deterministic spread of code units, lone surrogates included.
  let state = 12345;
  for (let n = 0; n < 200; n++) {
    let s = '';
    for (let i = 0; i < 12; i++) {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      s += String.fromCharCode(state % 0x10000);
    }
    samples.push(s);
  }
  for (const s of samples) {
    assert.equal(utf8ByteLength(s), new TextEncoder().encode(s).length, JSON.stringify(s));
    assert.equal(codePoints(s), [...s].length, JSON.stringify(s));
  }
});
