/**
 * LCM's guidance embedding: LCM-distilled UNets take the guidance scale as an input
 * (`timestep_cond`) instead of an unconditional pass. diffusers' LatentConsistencyModelPipeline
 * embeds w = guidance_scale − 1 with get_guidance_scale_embedding: sinusoids of w·1000 over
 * half_dim frequencies exp(−i·ln(10000)/(half_dim − 1)), sines then cosines, zero-padded to an
 * odd width; all in float32 as torch computes it.
 */
export function guidanceScaleEmbedding(guidance: number, dim: number): Float32Array {
  const out = new Float32Array(dim);
  const half = Math.floor(dim / 2);
  const w = Math.fround(Math.fround(guidance - 1) * 1000);
  const step = Math.fround(Math.fround(Math.log(10000)) / (half - 1));
  for (let i = 0; i < half; i++) {
    const freq = Math.fround(Math.exp(Math.fround(i * -step)));
    const arg = Math.fround(w * freq);
    out[i] = Math.sin(arg);
    out[half + i] = Math.cos(arg);
  }
  return out;
}

/** The embedding for every row of a UNet call. */
export function guidanceRows(embedding: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(embedding.length * rows);
  for (let r = 0; r < rows; r++) out.set(embedding, r * embedding.length);
  return out;
}
