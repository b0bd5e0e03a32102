import type { LoadedModel } from '../pipeline/loaded-model.js';
import type { GenerateParams } from '../pipeline/params.js';
import { txt2img } from '../pipeline/txt2img.js';
import { timeIt } from './report.js';

export interface OverheadRun {
  total: number;
  /** Σ UNet session run time. */
  unet: number;
  unetRuns: number;
  /** Σ of every session's run time. */
  sessions: number;
  denoise: number;
  text: number;
  vae: number;
}

/**
 * Runs the same txt2img `runs` times and returns the median run by total time, with every
 * session's own run time measured in that run: what the pipeline adds is total − sessions.
 */
export async function measureOverhead(model: LoadedModel, request: GenerateParams, runs = 3, cfgMode: 'batched' | 'separate' = 'batched'): Promise<OverheadRun> {
  const unet = await model.unet();
  const sessions = await model.openSessions();
  const sessionTime = (prefix: string): number => {
    let ms = 0;
    for (const [name, s] of sessions) if (name.startsWith(prefix)) ms += s.stats.totalMs;
    return ms;
  };
  const out: OverheadRun[] = [];
  for (let i = 0; i < runs; i++) {
    for (const session of sessions.values()) session.resetStats();
    const { ms, value } = await timeIt(() => txt2img(model, request, { cfgMode }));
    out.push({
      total: ms,
      unet: unet.stats.totalMs,
      unetRuns: unet.stats.runs,
      sessions: sessionTime(''),
      denoise: value.timings.denoiseMs,
      text: sessionTime('text_encoder'),
      vae: sessionTime('vae_decoder'),
    });
  }
  out.sort((a, b) => a.total - b.total);
  const mid = out[Math.floor(out.length / 2)];
  if (mid === undefined) throw new Error('no bench runs');
  return mid;
}
