import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { invalidField } from '@latent-bridge/shared';
import { decodeImage, encodePng, insertTextChunk, type Mask, type RgbaImage } from '../image/index.js';
import { parametersText } from '../metadata/parameters-text.js';
import { generate, type GenerateRequest } from '../pipeline/generate.js';
import { resolveCreativeParams } from '../pipeline/creative-params.js';
import type { GenerateResult } from '../pipeline/txt2img.js';
import { choiceOption, numberOption, numericOptions, variationOption } from './args.js';
import { createProgressBar } from './progress-bar.js';
import { loadModelOption } from './load-model.js';

const USAGE = `latent-bridge generate --model DIR|NAME --prompt TEXT [options]
  --negative TEXT     negative prompt
  --steps N           denoising steps (default 30)
  --guidance G        classifier-free guidance scale (default 7.5; <= 1 disables it)
  --scheduler NAME    e.g. euler, euler_a, ddim, pndm, lms, heun, dpmpp_2m, dpmpp_2m_karras, unipc, lcm
  --seed N            seed (default: random, printed)
  --width W --height H  multiples of 8 (default: the model's native size)
  --batch N           images to make (image i uses seed+i)
  --variation-seed N --variation-strength S
                      pull the initial noise towards seed N's (S: 0 = none .. 1 = seed N's);
                      image i of a batch uses variation seed N+i
  --mix-mode embeddings|noise   how "a :0.7 | b :0.3" prompts combine (default embeddings)
  --provider P        cpu (default), cuda, dml, coreml
  --out FILE.png      output (batch: FILE-1.png, FILE-2.png, ...)
Editing an image (results have the image's size; outpaint: grown by --expand):
  --init IMAGE        source image (PNG, JPEG, WebP; 8 or 16 bit): img2img
  --strength S        0..1, how much to change (img2img 0.75, inpaint/outpaint 1)
  --mask MASK         white = repaint, black = keep (same size as --init): inpaint
  --grow N            grow (negative: shrink) the mask by N pixels (default 4)
  --feather N         blend edge radius in pixels (inpaint: 10 % of the selection; outpaint: 0)
  --padding N         context around the selection the model sees (default 32)
  --expand L,T,R,B    add pixels on each side: outpaint
  --fill edge|noise   how the added area is pre-filled (default edge)
  --width/--height    for edits: the generation size hint (short side = min(width, height))`;

/** "L,T,R,B" → four non-negative integers. */
export function parseExpand(raw: string): { left: number; top: number; right: number; bottom: number } {
  const parts = raw.split(',').map((p) => p.trim());
  const values = parts.map(Number);
  if (parts.length !== 4 || parts.some((p) => p === '') || values.some((v) => !Number.isInteger(v) || v < 0)) {
    throw invalidField('expand', `--expand takes four non-negative integers L,T,R,B, got "${raw}"`);
  }
  const [left, top, right, bottom] = values as [number, number, number, number];
  return { left, top, right, bottom };
}

/** A mask image as coverage: the first channel weighted by alpha, so white on transparent works too. */
export function maskFromImage(image: RgbaImage): Mask {
  const data = new Uint8Array(image.width * image.height);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(((image.data[i * 4] as number) * (image.data[i * 4 + 3] as number)) / 255);
  return { width: image.width, height: image.height, data };
}

async function readImage(path: string, field: string): Promise<RgbaImage> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw invalidField(field, `cannot read ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return decodeImage(bytes, { field });
}

type CliValues = Record<string, string | boolean | undefined>;

/** The pipeline request the options describe: the mode follows from --expand, --mask and --init. */
export async function editRequest(values: CliValues): Promise<Omit<GenerateRequest, 'prompt'>> {
  const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const init = str('init');
  const maskPath = str('mask');
  const expand = str('expand');
  if (init === undefined) {
    if (maskPath !== undefined) throw invalidField('mask', '--mask needs --init IMAGE');
    if (expand !== undefined) throw invalidField('expand', '--expand needs --init IMAGE');
    return { mode: 'txt2img' };
  }
  const image = await readImage(init, 'init');
  const fill = str('fill');
  if (fill !== undefined && fill !== 'edge' && fill !== 'noise') throw invalidField('fill', `--fill must be edge or noise, got "${fill}"`);
  const numbers = numericOptions(values, ['strength', 'grow', 'feather', 'padding'] as const);
  if (expand !== undefined) {
    if (maskPath !== undefined) throw invalidField('mask', '--mask and --expand cannot be combined');
    return { mode: 'outpaint', image, expand: parseExpand(expand), ...(fill ? { fill } : {}), ...numbers };
  }
  if (maskPath !== undefined) return { mode: 'inpaint', image, mask: maskFromImage(await readImage(maskPath, 'mask')), ...numbers };
  return { mode: 'img2img', image, ...numbers };
}

export function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const dot = out.toLowerCase().endsWith('.png') ? out.length - 4 : out.length;
  return Array.from({ length: count }, (_, i) => `${out.slice(0, dot)}-${i + 1}${out.slice(dot)}`);
}

/** Writes each image as PNG with its A1111 "parameters" text, so other tools can read them back. */
export async function writeResults(
  result: GenerateResult,
  out: string,
  model: string | { name: string; hash?: string | undefined },
  config: Record<string, unknown>,
  strength?: number,
): Promise<string[]> {
  const paths = outputPaths(out, result.images.length);
  for (const [i, item] of result.images.entries()) {
    const text = parametersText(result.params, item.seed, result.scheduler, model, config, {}, strength);
    const png = insertTextChunk(await encodePng(item.image), 'parameters', text);
    await writeFile(paths[i] as string, png);
  }
  return paths;
}

export async function generateCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      negative: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      scheduler: { type: 'string' },
      seed: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      batch: { type: 'string' },
      provider: { type: 'string' },
      out: { type: 'string', default: 'latent-bridge.png' },
      init: { type: 'string' },
      strength: { type: 'string' },
      mask: { type: 'string' },
      grow: { type: 'string' },
      feather: { type: 'string' },
      padding: { type: 'string' },
      expand: { type: 'string' },
      fill: { type: 'string' },
      'variation-seed': { type: 'string' },
      'variation-strength': { type: 'string' },
      'mix-mode': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const variation = variationOption(values['variation-seed'], values['variation-strength']);
  const mixMode = choiceOption('mix-mode', values['mix-mode'], ['embeddings', 'noise'] as const);
  // Prompt typos and out-of-range creative options fail before the (slow) model load.
  resolveCreativeParams({ prompt: values.prompt ?? '', negative: values.negative, variation, mixMode });
  const edit = await editRequest(values);
  const { info, model } = await loadModelOption(values.model, values.provider);
  const bar = createProgressBar({ label: 'denoising', total: numberOption('steps', values.steps) ?? 30, unit: 'steps' });
  try {
    const result = await generate(
      model,
      {
        ...edit,
        prompt: values.prompt ?? '',
        ...(values.negative !== undefined ? { negative: values.negative } : {}),
        ...numericOptions(values, ['steps', 'guidance', 'seed', 'width', 'height', 'batch'] as const),
        ...(values.scheduler !== undefined ? { scheduler: values.scheduler } : {}),
        ...(variation !== undefined ? { variation } : {}),
        ...(mixMode !== undefined ? { mixMode } : {}),
      },
      { onProgress: (e) => bar.update(e.step, e.total) },
    );
    bar.finish();
    const paths = await writeResults(result, values.out, { name: info.name, hash: info.provenance?.shortHash }, { ...info.schedulerConfig }, result.strength);
    for (const [i, p] of paths.entries()) console.log(`${p}  seed ${result.images[i]?.seed}`);
    console.log(`${result.scheduler}, ${result.params.steps} steps, ${(result.timings.totalMs / 1000).toFixed(2)} s`);
  } finally {
    await model.release();
  }
}

