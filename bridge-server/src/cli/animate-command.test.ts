import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { decodeImage, readPngParameters } from '../image/index.js';
import { parseParameters } from '../metadata/a1111.js';
import { inspectModel } from '../models/index.js';
import { animate } from '../pipeline/animate.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { makeTestModel } from '../testmodels/index.js';
import { writeAnimation } from './animate-command.js';

let dir: string;
let oracle: LoadedModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-animate-'));
  await makeTestModel('oracle', join(dir, 'oracle'));
  oracle = await LoadedModel.load(await inspectModel(join(dir, 'oracle')));
});

after(async () => {
  await oracle.release();
  await rm(dir, { recursive: true, force: true });
});

test('animate writes an APNG and frame PNGs that carry their parameters', async () => {
  const result = await animate(oracle, { prompt: 'red', toPrompt: 'blue', frames: 3, steps: 2, width: 64, height: 64, seed: 4, toSeed: 6, scheduler: 'euler', guidance: 1 });
  const out = join(dir, 'anim.png');
  await writeAnimation(result, out, 'oracle', {}, { fps: 4, framesDir: join(dir, 'frames') });
  const apng = await readFile(out);
  assert.deepEqual((await decodeImage(apng)).data, result.frames[0]!.image.data);
  const parsed = parseParameters(readPngParameters(apng) ?? '');
  assert.equal(parsed.prompt, 'red');
  assert.equal(parsed.fields['Seed'], '4');
  assert.equal(parsed.fields['Frames'], '3');
  assert.equal(parsed.fields['To prompt'], 'blue');
  assert.equal(parsed.fields['To seed'], '6');
  assert.deepEqual((await readdir(join(dir, 'frames'))).sort(), ['frame-0001.png', 'frame-0002.png', 'frame-0003.png']);
  const last = await readFile(join(dir, 'frames', 'frame-0003.png'));
  assert.deepEqual((await decodeImage(last)).data, result.frames[2]!.image.data);
  assert.equal(parseParameters(readPngParameters(last) ?? '').fields['Frame t'], '1');
  await assert.rejects(writeAnimation(result, join(dir, 'anim.gif'), 'oracle', {}), (e: unknown) => e instanceof BridgeError && e.field === 'out');
});

test('animate writes an animated WebP with one page per frame', async () => {
  const result = await animate(oracle, { prompt: 'red', toPrompt: 'blue', frames: 3, steps: 2, width: 64, height: 64, seed: 4, scheduler: 'euler', guidance: 1 });
  const out = join(dir, 'anim.webp');
  await writeAnimation(result, out, 'oracle', {}, { fps: 5 });
  const webp = await readFile(out);
  assert.equal(webp.toString('latin1', 0, 4), 'RIFF');
  assert.equal(webp.toString('latin1', 8, 12), 'WEBP');
  // Walk the RIFF chunks: one ANMF per frame, each 64×64 shown for 200 ms (1000 / fps 5).
  const frames: { width: number; height: number; ms: number }[] = [];
  for (let at = 12; at + 8 <= webp.length; ) {
    const id = webp.toString('latin1', at, at + 4);
    const size = webp.readUInt32LE(at + 4);
    if (id === 'ANMF') {
      const p = at + 8;
      frames.push({ width: webp.readUIntLE(p + 6, 3) + 1, height: webp.readUIntLE(p + 9, 3) + 1, ms: webp.readUIntLE(p + 12, 3) });
    }
    at += 8 + size + (size % 2);
  }
  assert.deepEqual(frames, [0, 1, 2].map(() => ({ width: 64, height: 64, ms: 200 })));
});
