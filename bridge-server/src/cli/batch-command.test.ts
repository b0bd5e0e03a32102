import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { decodeImage, readPngParameters } from '../image/index.js';
import { parseParameters } from '../metadata/a1111.js';
import { inspectModel } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { makeTestModel, oracleColourToPixel, oracleExpectedPixel, oracleGuidedColour } from '../testmodels/index.js';
import { runPromptBatch } from './batch-command.js';
import { parsePromptList } from '../pipeline/prompt-list.js';

let dir: string;
let oracle: LoadedModel;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-batch-'));
  await makeTestModel('oracle', join(dir, 'oracle'));
  oracle = await LoadedModel.load(await inspectModel(join(dir, 'oracle')));
});

after(async () => {
  await oracle.release();
  await rm(dir, { recursive: true, force: true });
});

test('a prompt list gives one image per line with its parameters readable back', async () => {
  const list = [
    'a red barn',
    '# skipped',
    '{"prompt": "blue sky", "seed": 42, "steps": 3, "negative": "green"}',
    '',
    'yellow :1 | teal :1',
  ].join('\n');
  const entries = parsePromptList(list);
  const out = join(dir, 'out');
  const seen: number[] = [];
  const summary = await runPromptBatch(oracle, entries, { steps: 2, width: 64, height: 64, seed: 7, scheduler: 'euler', guidance: 2 }, out, {
    modelName: 'oracle',
    onItem: (_, i) => seen.push(i),
  });
  assert.deepEqual(seen, [0, 1, 2]);
  assert.deepEqual((await readdir(out)).sort(), ['0001.png', '0002.png', '0003.png', 'summary.json']);
  const expectations = [
    { prompt: 'a red barn', negative: '', seed: 7, steps: 2, line: 1 },
    { prompt: 'blue sky', negative: 'green', seed: 42, steps: 3, line: 3 },
    { prompt: 'yellow :1 | teal :1', negative: '', seed: 7, steps: 2, line: 5 },
  ];
  for (const [i, e] of expectations.entries()) {
    const png = await readFile(join(out, `000${i + 1}.png`));
    const image = await decodeImage(png);
    // The mix of yellow and teal is their mean colour, (0, 0.5, 0).
    const expected =
      i === 2
        ? oracleColourToPixel(oracleGuidedColour([0, 0.5, 0], [0, 0, 0], 2))
        : oracleExpectedPixel({ prompt: e.prompt, negativePrompt: e.negative, guidance: 2 });
    for (let c = 0; c < 3; c++) assert.ok(Math.abs(image.data[c]! - expected[c]!) <= 2, `image ${i + 1} channel ${c}: ${image.data[c]} vs ${expected[c]}`);
    const text = readPngParameters(png);
    assert.ok(text !== null);
    const parsed = parseParameters(text);
    assert.equal(parsed.prompt, e.prompt);
    assert.equal(parsed.negative, e.negative);
    assert.equal(parsed.fields['Seed'], String(e.seed));
    assert.equal(parsed.fields['Steps'], String(e.steps));
    assert.equal(parsed.fields['Size'], '64x64');
    assert.equal(parsed.fields['Sampler'], 'Euler');
    assert.equal(parsed.fields['Model'], 'oracle');
    assert.equal(summary[i]!.line, e.line);
    assert.equal(summary[i]!.file, `000${i + 1}.png`);
  }
  const written = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as { model: string; images: unknown[] };
  assert.equal(written.model, 'oracle');
  assert.deepEqual(written.images, summary);
});
