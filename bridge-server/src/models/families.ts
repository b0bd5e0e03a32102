/**
 * What each Stable Diffusion family fixes that no tensor shape tells: scheduler configs as the
 * reference repos ship them (stable-diffusion-v1-5, stable-diffusion-2-1(-base),
 * stable-diffusion-xl-base-1.0), VAE scaling, native sizes, pipeline class names and the defaults a
 * job gets when it leaves steps, guidance, scheduler or size out.
 */

export type ModelFamily = 'sd1' | 'sd2' | 'sdxl';
export type ModelVariant = 'base' | 'inpaint' | 'pix2pix';
export type PredictionType = 'epsilon' | 'v_prediction';

export interface JobDefaults {
  width: number;
  height: number;
  steps: number;
  guidance: number;
  scheduler: string;
}

export interface Size {
  width: number;
  height: number;
}

/** The scaled-linear β schedule every SD family trains with; a .yaml's linear_start/end override it. */
export const SD_BETAS = { beta_start: 0.00085, beta_end: 0.012, beta_schedule: 'scaled_linear' } as const;

const COMMON_SCHEDULER = {
  ...SD_BETAS,
  clip_sample: false,
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
} as const;

export function schedulerConfig(family: ModelFamily, prediction: PredictionType, betas?: { start: number; end: number }): Record<string, unknown> {
  const overrides = betas === undefined ? {} : { beta_start: betas.start, beta_end: betas.end };
  switch (family) {
    case 'sd1':
      return { _class_name: 'PNDMScheduler', ...COMMON_SCHEDULER, prediction_type: prediction, timestep_spacing: 'leading', ...overrides };
    case 'sd2':
      return { _class_name: 'DDIMScheduler', ...COMMON_SCHEDULER, prediction_type: prediction, timestep_spacing: 'leading', ...overrides };
    case 'sdxl':
      return {
        _class_name: 'EulerDiscreteScheduler',
        ...COMMON_SCHEDULER,
        interpolation_type: 'linear',
        prediction_type: prediction,
        sample_max_value: 1.0,
        timestep_spacing: 'leading',
        use_karras_sigmas: false,
        ...overrides,
      };
  }
}

/** latents = scaling_factor · VAE posterior sample. */
export function vaeScalingFactor(family: ModelFamily): number {
  return family === 'sdxl' ? 0.13025 : 0.18215;
}

/** Image side the UNet was trained at: SD 2's v-prediction models at 768, SDXL at 1024. */
export function nativeSize(family: ModelFamily, prediction: PredictionType, variant: ModelVariant): number {
  if (family === 'sdxl') return 1024;
  if (family === 'sd2' && prediction === 'v_prediction' && variant === 'base') return 768;
  return 512;
}

/** The diffusers pipeline class a folder's model_index.json names. */
export function pipelineClass(family: ModelFamily, variant: ModelVariant): string {
  const xl = family === 'sdxl' ? 'XL' : '';
  if (variant === 'inpaint') return `StableDiffusion${xl}InpaintPipeline`;
  if (variant === 'pix2pix') return `StableDiffusion${xl}InstructPix2PixPipeline`;
  return `StableDiffusion${xl}Pipeline`;
}

/** The tokenizers' padding token: OpenCLIP-trained encoders pad with "!" (id 0). */
export function padToken(encoder: 'clip' | 'open-clip'): string {
  return encoder === 'open-clip' ? '!' : '<|endoftext|>';
}

/** SDXL's training buckets (the aspect ratios its size conditioning knows), landscape and portrait. */
export const SDXL_BUCKETS: readonly Size[] = [
  { width: 1024, height: 1024 },
  { width: 1152, height: 896 },
  { width: 896, height: 1152 },
  { width: 1216, height: 832 },
  { width: 832, height: 1216 },
  { width: 1344, height: 768 },
  { width: 768, height: 1344 },
  { width: 1536, height: 640 },
  { width: 640, height: 1536 },
];

/** Sizes to offer for a model trained at `side`: the square and the usual photo aspects around it. */
export function recommendedSizes(family: ModelFamily, side: number): Size[] {
  if (family === 'sdxl') return [...SDXL_BUCKETS];
  const r = (v: number) => Math.round(v / 64) * 64;
  return [
    { width: side, height: side },
    { width: r(side * 1.5), height: side },
    { width: side, height: r(side * 1.5) },
    { width: r(side * (4 / 3)), height: side },
    { width: side, height: r(side * (4 / 3)) },
  ];
}

/** What a job on this model gets when it leaves the fields out: the model's own scheduler, as diffusers runs it. */
export function jobDefaults(family: ModelFamily, side: number): JobDefaults {
  const scheduler = family === 'sdxl' ? 'euler' : family === 'sd2' ? 'ddim' : 'pndm';
  return { width: side, height: side, steps: family === 'sdxl' ? 30 : 25, guidance: family === 'sdxl' ? 5 : 7.5, scheduler };
}
