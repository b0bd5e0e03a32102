/** What the panel's controls hold; everything a job needs besides the document. */
export type ModeChoice = 'auto' | 'txt2img' | 'img2img' | 'inpaint';
export type Img2ImgScope = 'selection' | 'canvas';
export type SizeChoice = 'canvas' | 'custom';

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
});
