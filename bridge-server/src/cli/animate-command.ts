import { mkdir, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { invalidField } from '@latent-bridge/shared';
import { encodeApng } from '../animation/apng.js';
import { encodeAnimatedWebp, encodePng, insertTextChunk, PARAMETERS_KEYWORD } from '../image/index.js';
import { animate, resolveAnimation, type AnimationRequest, type AnimationResult } from '../pipeline/animate.js';
import { numberOption, numericOptions, requireOption } from './args.js';
import { parametersText } from '../metadata/parameters-text.js';
import { loadModelOption } from './load-model.js';

const USAGE = `latent-bridge animate --model DIR|NAME --prompt TEXT --frames N [options]
  --to-prompt TEXT    the last frame's prompt (default: --prompt); embeddings are lerped
  --seed N            the first frame's seed (default: random, printed)
  --to-seed N         the last frame's seed (default: --seed); noise is slerped
  --frames N          number of frames (>= 1)
  --chain-strength S  start each frame from the previous one through img2img at strength S
                      (0 < S < 1): smoother motion, less independent frames
  --fps F             playback speed (default 8)
  --loops N           0 (default) = forever
  --negative TEXT  --steps N  --guidance G  --scheduler NAME  --width W  --height H
  --provider P        cpu (default), cuda, dml, coreml
  --out FILE          .png/.apng: animated PNG with A1111 "parameters"; .webp: animated WebP
                      (default latent-bridge.apng.png)
  --frames-dir DIR    also write each frame as DIR/frame-0001.png`;

/** The A1111 "parameters" text of an animation's frame (or, with no frame, of the whole animation). */
export function animationParameters(result: AnimationResult, modelName: string, config: Record<string, unknown>, t?: number): string {
  const extra: Record<string, string | number> = { Frames: result.frames.length, 'To prompt': result.toPrompt, 'To seed': result.toSeed };
  if (result.chainStrength !== undefined) extra['Chain strength'] = result.chainStrength;
  if (t !== undefined) extra['Frame t'] = Number(t.toFixed(4));
  return parametersText(result.params, result.params.seed, result.scheduler, modelName, config, extra);
}

export async function writeAnimation(
  result: AnimationResult,
  out: string,
  modelName: string,
  config: Record<string, unknown>,
  options: { fps?: number; loops?: number; framesDir?: string } = {},
): Promise<void> {
  const ext = extname(out).toLowerCase();
  if (ext !== '.png' && ext !== '.apng' && ext !== '.webp') {
    throw invalidField('out', `animations are written as animated PNG (.png, .apng) or WebP (.webp), got "${ext || out}"`);
  }
  const fps = options.fps ?? 8;
  if (!(fps > 0) || fps > 1000) throw invalidField('fps', `must be a number above 0 and at most 1000, got ${fps}`);
  const text = [{ keyword: PARAMETERS_KEYWORD, text: animationParameters(result, modelName, config) }];
  const images = result.frames.map((f) => f.image);
  const delayMs = Math.max(1, Math.round(1000 / fps));
  // WebP has no text chunk readers agree on; the parameters go with the frames (--frames-dir).
  const bytes = ext === '.webp' ? await encodeAnimatedWebp(images, { delayMs, loops: options.loops ?? 0, quality: 92 }) : encodeApng(images, { delayMs, loops: options.loops ?? 0, text });
  await writeFile(out, bytes);
  if (options.framesDir !== undefined) {
    await mkdir(options.framesDir, { recursive: true });
    for (const frame of result.frames) {
      const png = insertTextChunk(await encodePng(frame.image), PARAMETERS_KEYWORD, animationParameters(result, modelName, config, frame.t));
      await writeFile(join(options.framesDir, `frame-${String(frame.index + 1).padStart(4, '0')}.png`), png);
    }
  }
}

export async function animateCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      model: { type: 'string' },
      prompt: { type: 'string' },
      'to-prompt': { type: 'string' },
      negative: { type: 'string' },
      seed: { type: 'string' },
      'to-seed': { type: 'string' },
      'chain-strength': { type: 'string' },
      frames: { type: 'string' },
      fps: { type: 'string' },
      loops: { type: 'string' },
      steps: { type: 'string' },
      guidance: { type: 'string' },
      scheduler: { type: 'string' },
      width: { type: 'string' },
      height: { type: 'string' },
      provider: { type: 'string' },
      out: { type: 'string', default: 'latent-bridge.apng.png' },
      'frames-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const request: AnimationRequest = {
    prompt: values.prompt ?? '',
    frames: numberOption('frames', requireOption('frames', values.frames)) ?? 0,
  };
  Object.assign(request, numericOptions(values, ['steps', 'guidance', 'seed', 'width', 'height'] as const));
  const toSeed = numberOption('to-seed', values['to-seed']);
  if (toSeed !== undefined) request.toSeed = toSeed;
  const chain = numberOption('chain-strength', values['chain-strength']);
  if (chain !== undefined) request.chainStrength = chain;
  if (values['to-prompt'] !== undefined) request.toPrompt = values['to-prompt'];
  if (values.negative !== undefined) request.negative = values.negative;
  if (values.scheduler !== undefined) request.scheduler = values.scheduler;
  const fps = numberOption('fps', values.fps);
  const loops = numberOption('loops', values.loops);

  // Typos in frames, prompts or strengths fail before the (slow) model load.
  resolveAnimation(request, 512);
  const { info, model } = await loadModelOption(values.model, values.provider);
  try {
    const result = await animate(model, request, {
      onFrame: (frame, total) => console.log(`frame ${frame.index + 1}/${total}  t=${frame.t.toFixed(3)}`),
    });
    await writeAnimation(result, values.out, info.name, { ...info.schedulerConfig }, {
      ...(fps !== undefined ? { fps } : {}),
      ...(loops !== undefined ? { loops } : {}),
      ...(values['frames-dir'] !== undefined ? { framesDir: values['frames-dir'] } : {}),
    });
    console.log(`${values.out}: ${result.frames.length} frames, seed ${result.params.seed} → ${result.toSeed}, ${(result.timings.totalMs / 1000).toFixed(2)} s`);
  } finally {
    await model.release();
  }
}
