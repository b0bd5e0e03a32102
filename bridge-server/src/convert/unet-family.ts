/**
 * What a UNet's own tensors say about its family, before any mapping (for detection and for
 * diffusers folders, whose UNet file has no text encoder beside it to tell):
 * - the first conv's input channels: 4 a base model, 9 inpainting (latents + mask + masked-image
 *   latents), 8 instruct-pix2pix (latents + image latents);
 * - an ADM embedding (`label_emb.0.0` in LDM/SGM files, `add_embedding.linear_1` in diffusers
 *   ones) taking pooled text + 6 size sinusoids: SDXL base (input 2816 = 1280 + 6·256; the
 *   refiner's 2560 = 1280 + 5·256 is the SDXL refiner, cross-attention 1280);
 * - Linear transformer projections (proj_in [C, C]) without it: SD 2.x (OpenCLIP ViT-H context,
 *   1024 wide); 1×1 conv projections ([C, C, 1, 1]): SD 1.x (CLIP ViT-L context, 768 wide).
 * The cross-attention width (attn2.to_k's input) is reported beside as corroboration: 768 / 1024
 * / 2048 at full size; fine-tunes keep it, tiny test models do not.
 */
import type { TensorSource } from '../checkpoint/tensor-source.js';
import type { ModelFamily, ModelVariant } from '../models/families.js';

export interface UnetFamilyHints {
  /** `ldm` for CompVis/SGM names (input_blocks…), `diffusers` for UNet2DConditionModel names. */
  layout: 'ldm' | 'diffusers';
  inChannels: number | undefined;
  variant: ModelVariant | undefined;
  /** attn2.to_k input width: the text encoder's hidden size. */
  crossAttentionDim: number | undefined;
  /** proj_in is a Linear (SD 2.x, SDXL) rather than a 1×1 conv (SD 1.x). */
  linearProjection: boolean | undefined;
  /** Input width of the ADM / text_time embedding (SDXL); undefined without one. */
  addEmbeddingInputDim: number | undefined;
  /** The family these facts point to; undefined when they point nowhere this importer knows. */
  family: ModelFamily | undefined;
}

const VARIANTS: Readonly<Record<number, ModelVariant>> = { 4: 'base', 9: 'inpaint', 8: 'pix2pix' };

/** Reads the hints from the keys under `prefix` ('model.diffusion_model.' in single files, '' in a diffusers unet file). */
export function unetFamilyHints(source: Pick<TensorSource, 'keys' | 'entry'>, prefix = 'model.diffusion_model.'): UnetFamilyHints {
  const keys = source.keys().filter((k) => k.startsWith(prefix));
  const shape = (key: string | undefined) => (key === undefined ? undefined : source.entry(key)?.shape);
  const layout = keys.some((k) => k.startsWith(`${prefix}input_blocks.`)) ? 'ldm' : 'diffusers';
  const convIn = shape(layout === 'ldm' ? `${prefix}input_blocks.0.0.weight` : `${prefix}conv_in.weight`);
  const add = shape(layout === 'ldm' ? `${prefix}label_emb.0.0.weight` : `${prefix}add_embedding.linear_1.weight`);
  const projIn = shape(keys.find((k) => k.endsWith('.proj_in.weight')));
  const toK = shape(keys.find((k) => k.endsWith('.attn2.to_k.weight')));
  const inChannels = convIn?.[1];
  const linearProjection = projIn === undefined ? undefined : projIn.length === 2;
  const crossAttentionDim = toK?.[1];
  const addEmbeddingInputDim = add?.[1];
  let family: ModelFamily | undefined;
  if (addEmbeddingInputDim !== undefined) {
    // SD 2.x unCLIP also has an ADM embedding (image embeddings, 1024-wide context): not SDXL.
    family = linearProjection === true && crossAttentionDim !== 1024 ? 'sdxl' : undefined;
  } else if (linearProjection !== undefined) {
    family = linearProjection ? 'sd2' : 'sd1';
  }
  return {
    layout,
    inChannels,
    variant: inChannels === undefined ? undefined : VARIANTS[inChannels],
    crossAttentionDim,
    linearProjection,
    addEmbeddingInputDim,
    family,
  };
}
