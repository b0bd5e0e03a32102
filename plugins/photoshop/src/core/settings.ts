import { BridgeError } from '@latent-bridge/shared';

/** What the panel's controls hold; everything a job needs besides the document. */
export type ModeChoice = 'auto' | 'txt2img' | 'img2img' | 'inpaint';
export type Img2ImgScope = 'selection' | 'canvas';
export type SizeChoice = 'canvas' | 'custom';
/** One job, one result per batch item; or a layer stack: animation frames, prompt-list entries. */
export type JobKind = 'single' | 'animation' | 'prompt-list';
export type MixMode = 'embeddings' | 'noise';

/** A LoRA applied to a job (generate.loras): a name the bridge lists, weight −10..10. */
export interface LoraChoice {
  name: string;
  weight: number;
}

export interface JobSettings {
  model: string;
  mode: ModeChoice;
  img2imgScope: Img2ImgScope;
  prompt: string;
  negative: string;
  steps: number;
  guidance: number;
  scheduler: string;
  /** null: the server picks a random seed. */
  seed: number | null;
  strength: number;
  batch: number;
  grow: number;
  feather: number;
  padding: number;
  size: SizeChoice;
  customWidth: number;
  customHeight: number;
  /** Blend the start noise towards this seed's; null or strength 0: no variation. */
  variationSeed: number | null;
  variationStrength: number;
  /** How "a :0.7 | b :0.3" prompts combine. */
  mixMode: MixMode;
  jobKind: JobKind;
  animationFrames: number;
  /** The last frame's prompt; "" keeps the prompt. */
  animationToPrompt: string;
  /** The last frame's seed; null keeps the seed. */
  animationToSeed: number | null;
  /** img2img strength from each frame to the next; 0: frames are independent. */
  animationChain: number;
  /** One prompt per line. */
  promptList: string;
  loras: LoraChoice[];
}

export const DEFAULT_SETTINGS: Readonly<JobSettings> = Object.freeze({
  model: '',
  mode: 'auto',
  img2imgScope: 'selection',
  prompt: '',
  negative: '',
  steps: 20,
  guidance: 7,
  scheduler: 'euler_a',
  seed: null,
  strength: 0.75,
  batch: 1,
  grow: 0,
  feather: 8,
  padding: 32,
  size: 'canvas',
  customWidth: 512,
  customHeight: 512,
  variationSeed: null,
  variationStrength: 0,
  mixMode: 'embeddings',
  jobKind: 'single',
  animationFrames: 8,
  animationToPrompt: '',
  animationToSeed: null,
  animationChain: 0,
  promptList: '',
  loras: [],
});

/** Seeds are unsigned 32-bit: 0 … 2³²−1. */
export const MAX_SEED = 0xffff_ffff;

/**
 * A seed typed by the user: '' is none (null); otherwise a whole number 0 … 2³²−1, or a
 * BridgeError invalid_field naming the field. Seeds are read from text fields because
 * sp-textfield type="number" caps its value at ±214,748.36 (UXP), far below 2³²−1.
 */
export function parseSeed(text: string, field: string, label: string): number | null {
  const t = text.trim();
  if (t === '') return null;
  if (!/^\d+$/.test(t) || Number(t) > MAX_SEED) {
    throw new BridgeError('invalid_field', `${label} must be a whole number from 0 to ${MAX_SEED}; "${t}" is not.`, field);
  }
  return Number(t);
}
