import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GenerationParams, infotext, parseGenerationParameters, pyFloat, pyInt, pythonFloat, quote } from './infotext.js';
import { pythonJsonDumps, PyFloat } from './python-json.js';

test("parse_generation_parameters on its docstring's example", () => {
  const text = [
    "girl with an artist's beret, determined, blue eyes, desert scene, computer monitors, heavy makeup, by Alphonse Mucha and Charlie Bowater, ((eyeshadow)), (coquettish), detailed, intricate",
    'Negative prompt: ugly, fat, obese, chubby, (((deformed))), [blurry], bad anatomy, disfigured, poorly drawn face, mutation, mutated, (extra_limb), (ugly), (poorly drawn hands), messy drawing',
    'Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 965400086, Size: 512x512, Model hash: 45dee52b',
  ].join('\n');
  const p = parseGenerationParameters(text);
  assert.equal(p['Prompt'], text.split('\n')[0]);
  assert.match(String(p['Negative prompt']), /^ugly, fat, .* messy drawing$/);
  assert.deepEqual([p['Steps'], p['Sampler'], p['CFG scale'], p['Seed'], p['Size-1'], p['Size-2'], p['Model hash']], ['20', 'Euler a', '7', '965400086', '512', '512', '45dee52b']);
  // A1111's defaults for what the text leaves out.
  assert.deepEqual([p['Clip skip'], p['RNG'], p['Schedule type'], p['Hires resize-1'], p['Emphasis']], ['1', 'GPU', 'Automatic', 0, 'Original']);
});

test('infotexts write values as Python prints them and quote what A1111 quotes', () => {
  assert.deepEqual([pythonFloat(7), pythonFloat(0.75), pythonFloat(1e-7)], ['7.0', '0.75', '1e-07']);
  assert.equal(quote('a, b'), '"a, b"');
  assert.equal(quote('plain'), 'plain');
  const params = new GenerationParams().set('Steps', pyInt(20)).set('CFG scale', pyFloat(7)).set('Hires prompt', 'a castle, at night').set('Skipped', undefined);
  assert.equal(infotext('p', '', params), 'p\nSteps: 20, CFG scale: 7.0, Hires prompt: "a castle, at night"');
  const round = parseGenerationParameters(infotext('p', 'n', params));
  assert.deepEqual([round['Prompt'], round['Negative prompt'], round['Hires prompt']], ['p', 'n', 'a castle, at night']);
});

test("the info string is Python's json.dumps", () => {
  assert.equal(pythonJsonDumps({ a: [1, new PyFloat(2)], b: 'café ☕', c: null, d: true }), '{"a": [1, 2.0], "b": "caf\\u00e9 \\u2615", "c": null, "d": true}');
});
