/**
 * Image → scaled latents for a batch, with the generator draws diffusers makes: an encoder that
 * returns a distribution is sampled (DiagonalGaussianDistribution.sample), one draw per image with a
 * generator per image, one draw for the single image with a shared generator (then repeated).
 */
import type { ResolvedParams } from './params.js';
import type { NoiseGenerator } from './schedulers/types.js';
import type { LoadedModel } from './loaded-model.js';
import { encodeImage, encoderDrawsNoise, scaleEncoded } from './vae.js';

function drawShape(params: ResolvedParams, h: number, w: number): number[] {
  return [params.seedMode === 'shared' ? 1 : params.batch, 4, h, w];
}

/** [batch, 4, H/8, W/8] scaled latents of one 3×H×W image in [-1, 1]. */
export async function imageLatents(
  model: LoadedModel,
  chw: Float32Array,
  width: number,
  height: number,
  params: ResolvedParams,
  noise: NoiseGenerator,
): Promise<Float32Array> {
  const encoded = await encodeImage(await model.vaeEncoder(), chw, width, height, model.encoderTiles());
  const [, , h, w] = encoded.dims;
  const per = 4 * h * w;
  const out = new Float32Array(per * params.batch);
  if (!encoded.logvar) {
    const one = scaleEncoded(encoded, undefined, model.info.scalingFactor);
    for (let b = 0; b < params.batch; b++) out.set(one, b * per);
    return out;
  }
  const eps = noise.randn(drawShape(params, h, w));
  for (let b = 0; b < params.batch; b++) {
    const slice = eps.length === per ? eps : eps.subarray(b * per, (b + 1) * per);
    out.set(scaleEncoded(encoded, slice, model.info.scalingFactor), b * per);
  }
  return out;
}

/**
 * Consumes the draws an encode would make without running the encoder: diffusers' 4-channel inpaint
 * encodes the masked image it never uses, and later draws (ancestral schedulers) must stay in step.
 */
export async function skipImageLatentDraws(model: LoadedModel, h: number, w: number, params: ResolvedParams, noise: NoiseGenerator): Promise<void> {
  if (encoderDrawsNoise(await model.vaeEncoder())) noise.randn(drawShape(params, h, w));
}
