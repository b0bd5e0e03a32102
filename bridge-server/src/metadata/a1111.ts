/**
 * Generation parameters in the text format A1111 writes into PNG "parameters" chunks, which
 * ComfyUI importers, civitai and many viewers read back:
 *   <prompt>\nNegative prompt: <negative>\nSteps: 20, Sampler: Euler, CFG scale: 7, Seed: 1, Size: 512x512, Model: x
 */
export interface GenerationParameters {
  prompt: string;
  negative?: string;
  steps: number;
  sampler: string;
  guidance: number;
  seed: number;
  width: number;
  height: number;
  model?: string;
  /** A1111's short hash of the checkpoint file (first 10 hex digits of its sha256). */
  modelHash?: string;
  strength?: number;
  extra?: Record<string, string | number>;
}

/** Quotes a value when it contains the separators A1111's parser splits on. */
function value(v: string | number): string {
  const s = String(v);
  return /[,:\n"]/.test(s) ? JSON.stringify(s) : s;
}

export function formatParameters(p: GenerationParameters): string {
  const fields: Array<[string, string | number]> = [
    ['Steps', p.steps],
    ['Sampler', p.sampler],
    ['CFG scale', p.guidance],
    ['Seed', p.seed],
    ['Size', `${p.width}x${p.height}`],
  ];
  // A1111's order: the hash before the name (sites such as civitai match models by it).
  if (p.modelHash !== undefined) fields.push(['Model hash', p.modelHash]);
  if (p.model !== undefined) fields.push(['Model', p.model]);
  if (p.strength !== undefined) fields.push(['Denoising strength', p.strength]);
  for (const [k, v] of Object.entries(p.extra ?? {})) fields.push([k, v]);
  const lines = [p.prompt];
  if (p.negative) lines.push(`Negative prompt: ${p.negative}`);
  lines.push(fields.map(([k, v]) => `${k}: ${value(v)}`).join(', '));
  return lines.join('\n');
}

/** Reads the format back (the inverse of formatParameters, tolerant of A1111's own output). */
export function parseParameters(text: string): { prompt: string; negative: string; fields: Record<string, string> } {
  const lines = text.split('\n');
  const last = lines.length > 1 ? (lines[lines.length - 1] ?? '') : '';
  const hasFields = /^\s*Steps: /.test(last);
  const body = hasFields ? lines.slice(0, -1) : lines;
  const negIndex = body.findIndex((l) => l.startsWith('Negative prompt: '));
  const prompt = (negIndex < 0 ? body : body.slice(0, negIndex)).join('\n');
  const negative = negIndex < 0 ? '' : body.slice(negIndex).join('\n').slice('Negative prompt: '.length);
  const fields: Record<string, string> = {};
  if (hasFields) {
    const re = /\s*([\w ][\w \-/]*): ("(?:\\.|[^\\"])*"|[^,]*)(?:,|$)/g;
    for (const m of last.matchAll(re)) {
      const key = m[1];
      const raw = m[2] ?? '';
      if (key === undefined) continue;
      fields[key.trim()] = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.trim();
    }
  }
  return { prompt, negative, fields };
}

const SAMPLER_NAMES: Record<string, string> = {
  EulerDiscreteScheduler: 'Euler',
  EulerAncestralDiscreteScheduler: 'Euler a',
  DDIMScheduler: 'DDIM',
  PNDMScheduler: 'PLMS',
  LMSDiscreteScheduler: 'LMS',
  HeunDiscreteScheduler: 'Heun',
  DPMSolverMultistepScheduler: 'DPM++ 2M',
  UniPCMultistepScheduler: 'UniPC',
  LCMScheduler: 'LCM',
  DDPMScheduler: 'DDPM',
};

/** A1111's sampler label for a diffusers scheduler class (the class name itself when A1111 has none). */
export function samplerLabel(className: string, config: { use_karras_sigmas?: unknown; algorithm_type?: unknown } = {}): string {
  let label = SAMPLER_NAMES[className] ?? className;
  if (className === 'DPMSolverMultistepScheduler' && typeof config.algorithm_type === 'string' && config.algorithm_type.startsWith('sde')) {
    label = 'DPM++ 2M SDE';
  }
  if (config.use_karras_sigmas === true) label += ' Karras';
  return label;
}
