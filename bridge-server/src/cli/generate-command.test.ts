import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { decodeImage, encodePng, readPngParameters } from '../image/index.js';
import { makeTestModel } from '../testmodels/index.js';
import { generateCommand, maskFromImage, parseExpand } from './generate-command.js';

test('parseExpand takes four non-negative integers', () => {
  assert.deepEqual(parseExpand('64, 0,8,32'), { left: 64, top: 0, right: 8, bottom: 32 });
  for (const bad of ['1,2,3', '1,2,3,-4', '1,2,x,4', '1,,2,3', '1.5,0,0,0']) {
    assert.throws(() => parseExpand(bad), (e: unknown) => e instanceof BridgeError && e.field === 'expand', bad);
  }
});

test('maskFromImage: white is repaint, transparent is keep', () => {
  const data = Uint8Array.from([255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 255, 128, 128, 128, 255]);
  assert.deepEqual([...maskFromImage({ width: 4, height: 1, data }).data], [255, 0, 0, 128]);
});

test('generate --init --mask inpaints and --expand outpaints from the command line', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lb-cli-edit-'));
  const log = console.log;
  console.log = () => {};
  try {
    await makeTestModel('oracle', join(dir, 'model'), { inpaint: true });
    const w = 40;
    const h = 32;
    const src = new Uint8Array(w * h * 4).fill(200);
    const mask = new Uint8Array(w * h * 4);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) mask.set(x >= 10 && x < 25 && y >= 5 && y < 20 ? [255, 255, 255, 255] : [0, 0, 0, 255], (y * w + x) * 4);
    await writeFile(join(dir, 'src.png'), await encodePng({ width: w, height: h, data: src }));
    await writeFile(join(dir, 'mask.png'), await encodePng({ width: w, height: h, data: mask }));
    const common = ['--model', join(dir, 'model'), '--prompt', 'red', '--steps', '3', '--guidance', '1', '--seed', '1', '--scheduler', 'euler', '--width', '64', '--height', '64'];
    await generateCommand([...common, '--init', join(dir, 'src.png'), '--mask', join(dir, 'mask.png'), '--grow', '0', '--feather', '0', '--out', join(dir, 'in.png')]);
    const bytes = await readFile(join(dir, 'in.png'));
    const inpainted = await decodeImage(bytes);
    assert.equal(inpainted.width, w);
    assert.deepEqual([...inpainted.data.subarray(0, 4)], [200, 200, 200, 200]); // semi-transparent source kept as it was
    assert.deepEqual([...inpainted.data.subarray((12 * w + 17) * 4, (12 * w + 17) * 4 + 3)], [191, 64, 64]);
    assert.match(readPngParameters(bytes) ?? '', /Denoising strength: 1/);

    await generateCommand([...common, '--init', join(dir, 'src.png'), '--expand', '8,0,0,16', '--fill', 'noise', '--out', join(dir, 'out.png')]);
    const grown = await decodeImage(await readFile(join(dir, 'out.png')));
    assert.equal(grown.width, w + 8);
    assert.equal(grown.height, h + 16);
    await assert.rejects(generateCommand([...common, '--mask', join(dir, 'mask.png')]), (e: unknown) => e instanceof BridgeError && e.field === 'mask');
    await writeFile(join(dir, 'bad.png'), Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
    await assert.rejects(
      generateCommand([...common, '--init', join(dir, 'bad.png'), '--strength', '0.5']),
      (e: unknown) => e instanceof BridgeError && e.code === 'image_invalid' && e.field === 'init',
    );
  } finally {
    console.log = log;
    await rm(dir, { recursive: true, force: true });
  }
});

test('generate --variation-seed/--variation-strength and --mix-mode reach the pipeline and the parameters text', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'lb-cli-creative-'));
  const log = console.log;
  console.log = () => {};
  try {
    await makeTestModel('oracle', join(dir, 'model'));
    // DDIM keeps a trace of the initial noise, so the seed shows in the pixels.
    const common = ['--model', join(dir, 'model'), '--prompt', 'red', '--steps', '3', '--guidance', '1', '--scheduler', 'ddim', '--width', '64', '--height', '64'];
    const make = async (name: string, args: string[]) => {
      await generateCommand([...common, ...args, '--out', join(dir, name)]);
      const bytes = await readFile(join(dir, name));
      return { pixels: (await decodeImage(bytes)).data, parameters: readPngParameters(bytes) ?? '' };
    };
    const seed9 = await make('s9.png', ['--seed', '9']);
    const varied = await make('v.png', ['--seed', '5', '--variation-seed', '9', '--variation-strength', '1']);
    const seed5 = await make('s5.png', ['--seed', '5']);
    assert.notDeepEqual(seed5.pixels, seed9.pixels);
    assert.deepEqual(varied.pixels, seed9.pixels);
    assert.match(varied.parameters, /Seed: 5, .*Variation seed: 9, Variation seed strength: 1/);

    const mixed = await make('mix.png', ['--seed', '5', '--scheduler', 'euler', '--prompt', 'red :0.5 | blue :0.5', '--mix-mode', 'noise']);
    for (let i = 0; i < mixed.pixels.length; i += 4) {
      assert.deepEqual([...mixed.pixels.subarray(i, i + 3)].map((v, c) => Math.abs(v - [128, 64, 128][c]!) <= 1), [true, true, true], `pixel ${i / 4}`);
    }
    assert.match(mixed.parameters, /Mix mode: noise/);

    const refused: [string[], string][] = [
      [['--mix-mode', 'average'], 'mix-mode'],
      [['--variation-seed', '9'], 'variation-strength'],
      [['--variation-strength', '0.5'], 'variation-seed'],
      [['--variation-seed', '9', '--variation-strength', '2'], 'variation.strength'],
      [['--prompt', 'red (x'], 'prompt'],
    ];
    for (const [args, field] of refused) {
      await assert.rejects(generateCommand([...common, ...args]), (e: unknown) => e instanceof BridgeError && e.field === field, field);
    }
  } finally {
    console.log = log;
    await rm(dir, { recursive: true, force: true });
  }
});
