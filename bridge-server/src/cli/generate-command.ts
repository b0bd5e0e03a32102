import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { encodePng, insertTextChunk } from '../image/index.js';
import { formatParameters, samplerLabel } from '../metadata/a1111.js';
import { ModelStore } from '../models/index.js';
import { LoadedModel } from '../pipeline/loaded-model.js';
import { txt2img, type GenerateResult } from '../pipeline/txt2img.js';
import type { ExecutionProvider } from '../runtime/index.js';
import { numberOption, requireOption } from './args.js';
import { createProgressBar } from './progress-bar.js';

const USAGE = `latent-bridge generate --model DIR|NAME --prompt TEXT [options]
  --negative TEXT     negative prompt
  --steps N           denoising steps (default 30)
  --guidance G        classifier-free guidance scale (default 7.5; <= 1 disables it)
  --scheduler NAME    e.g. euler, euler_a, ddim, pndm, lms, heun, dpmpp_2m, dpmpp_2m_karras, unipc, lcm
  --seed N            seed (default: random, printed)
  --width W --height H  multiples of 8 (default: the model's native size)
  --batch N           images to make (image i uses seed+i)
  --provider P        cpu (default), cuda, dml, coreml
  --out FILE.png      output (batch: FILE-1.png, FILE-2.png, ...)`;

export function outputPaths(out: string, count: number): string[] {
  if (count === 1) return [out];
  const dot = out.toLowerCase().endsWith('.png') ? out.length - 4 : out.length;
  return Array.from({ length: count }, (_, i) => `${out.slice(0, dot)}-${i + 1}${out.slice(dot)}`);
}

/** Writes each image as PNG with its A1111 "parameters" text, so other tools can read them back. */
export async function writeResults(result: GenerateResult, out: string, modelName: string, config: Record<string, unknown>): Promise<string[]> {
  const paths = outputPaths(out, result.images.length);
  for (const [i, item] of result.images.entries()) {
    const text = formatParameters({
      prompt: result.params.prompt,
      negative: result.params.negative,
      steps: result.params.steps,
      sampler: samplerLabel(result.scheduler, config),
      guidance: result.params.guidance,
      seed: item.seed,
      width: result.params.width,
      height: result.params.height,
      model: modelName,
    });
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
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const store = new ModelStore();
  const info = await store.resolve(requireOption('model', values.model), { allowPaths: true });
  const model = await LoadedModel.load(info, { provider: (values.provider ?? 'cpu') as ExecutionProvider });
  const bar = createProgressBar({ label: 'denoising', total: numberOption('steps', values.steps) ?? 30, unit: 'steps' });
  try {
    const result = await txt2img(
      model,
      {
        prompt: values.prompt ?? '',
        ...(values.negative !== undefined ? { negative: values.negative } : {}),
        ...optionalNumbers(values),
        ...(values.scheduler !== undefined ? { scheduler: values.scheduler } : {}),
      },
      { onProgress: (e) => bar.update(e.step, e.total) },
    );
    bar.finish();
    const paths = await writeResults(result, values.out, info.name, { ...info.schedulerConfig });
    for (const [i, p] of paths.entries()) console.log(`${p}  seed ${result.images[i]?.seed}`);
    console.log(`${result.scheduler}, ${result.params.steps} steps, ${(result.timings.totalMs / 1000).toFixed(2)} s`);
  } finally {
    await model.release();
  }
}

function optionalNumbers(values: Record<string, string | boolean | undefined>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of ['steps', 'guidance', 'seed', 'width', 'height', 'batch']) {
    const raw = values[name];
    const n = numberOption(name, typeof raw === 'string' ? raw : undefined);
    if (n !== undefined) out[name] = n;
  }
  return out;
}
