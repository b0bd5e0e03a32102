import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodePng, insertTextChunk, PARAMETERS_KEYWORD } from '../image/index.js';
import type { LoadedModel } from '../pipeline/loaded-model.js';
import type { GenerateParams } from '../pipeline/params.js';
import type { RunOptions } from '../pipeline/txt2img.js';
import { numericOptions, requireOption } from './args.js';
import { parametersText } from '../metadata/parameters-text.js';
import { generatePromptBatch, parsePromptList, type PromptListEntry } from '../pipeline/prompt-list.js';
import { loadModelOption } from './load-model.js';

const USAGE = `latent-bridge batch --model DIR|NAME --file PROMPTS.txt --out DIR [options]
  PROMPTS.txt: one prompt per line, or one JSON object per line with its own parameters:
    a lighthouse at dusk, (oil painting:1.2)
    {"prompt": "a frog :0.7 | a stilt house :0.3", "seed": 42, "steps": 20}
  blank lines and lines starting with # are skipped.
  --negative TEXT  --steps N  --guidance G  --scheduler NAME  --seed N  --width W  --height H
                   defaults for every line (a line's JSON fields win); with --seed every line
                   uses that seed, without it each line gets a random one
  --mix-mode embeddings|noise   how "a | b" prompts are combined (default embeddings)
  --provider P     cpu (default), cuda, dml, coreml
  --out DIR        writes 0001.png, 0002.png, ... (with A1111 "parameters") and summary.json`;

export interface BatchItemSummary {
  file: string;
  line: number;
  prompt: string;
  negative: string;
  seed: number;
  steps: number;
  guidance: number;
  scheduler: string;
  width: number;
  height: number;
  ms: number;
}

export interface BatchOptions extends RunOptions {
  modelName: string;
  /** Called after each image is written. */
  onItem?: (item: BatchItemSummary, index: number, total: number) => void;
}

/**
 * Generates one image per entry into outDir as 0001.png, 0002.png, ... each carrying its A1111
 * "parameters" text, then writes summary.json listing them. Returns the summary.
 */
export async function runPromptBatch(
  model: LoadedModel,
  entries: readonly PromptListEntry[],
  defaults: Omit<GenerateParams, 'prompt'>,
  outDir: string,
  options: BatchOptions,
): Promise<BatchItemSummary[]> {
  await mkdir(outDir, { recursive: true });
  const digits = Math.max(4, String(entries.length).length);
  const summary: BatchItemSummary[] = [];
  let started = performance.now();
  for await (const { entry, index: i, result } of generatePromptBatch(model, entries, defaults, options)) {
    const image = result.images[0];
    if (image === undefined) continue;
    const text = parametersText(result.params, image.seed, result.scheduler, options.modelName, { ...model.info.schedulerConfig });
    const file = `${String(i + 1).padStart(digits, '0')}.png`;
    await writeFile(join(outDir, file), insertTextChunk(await encodePng(image.image), PARAMETERS_KEYWORD, text));
    const item: BatchItemSummary = {
      file,
      line: entry.line,
      prompt: result.params.prompt,
      negative: result.params.negative,
      seed: image.seed,
      steps: result.params.steps,
      guidance: result.params.guidance,
      scheduler: result.scheduler,
      width: result.params.width,
      height: result.params.height,
      ms: Math.round(performance.now() - started),
    };
    summary.push(item);
    options.onItem?.(item, i, entries.length);
    started = performance.now();
  }
  await writeFile(join(outDir, 'summary.json'), `${JSON.stringify({ model: options.modelName, images: summary }, null, 2)}\n`);
  return summary;
}

export async function batchCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      file: { type: 'string' },
      out: { type: 'string', default: 'latent-bridge-batch' },
      negative: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      scheduler: { type: 'string' },
      seed: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      'mix-mode': { type: 'string' },
      provider: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const file = requireOption('file', values.file);
  const entries = parsePromptList(await readFile(file, 'utf8'), 'file');
  const defaults: Omit<GenerateParams, 'prompt'> = numericOptions(values, ['steps', 'guidance', 'seed', 'width', 'height'] as const);
  if (values.negative !== undefined) defaults.negative = values.negative;
  if (values.scheduler !== undefined) defaults.scheduler = values.scheduler;
  if (values['mix-mode'] !== undefined) defaults.mixMode = values['mix-mode'] as GenerateParams['mixMode'];

  const { info, model } = await loadModelOption(values.model, values.provider);
  try {
    const summary = await runPromptBatch(model, entries, defaults, values.out, {
      modelName: info.name,
      onItem: (item, i, total) => console.log(`[${i + 1}/${total}] ${join(values.out, item.file)}  seed ${item.seed}  ${item.prompt}`),
    });
    console.log(`${summary.length} images, summary in ${join(values.out, 'summary.json')}`);
  } finally {
    await model.release();
  }
}
