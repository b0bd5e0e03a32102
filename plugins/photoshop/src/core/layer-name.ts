/** Result layer names carry the prompt and the seed, so "reuse seed of this layer" can read it back. */
const MAX_PROMPT_IN_NAME = 48;

export function resultLayerName(prompt: string, seed: number, index: number, batch: number): string {
  const text = prompt.trim().replace(/\s+/g, ' ');
  const short = text.length > MAX_PROMPT_IN_NAME ? `${text.slice(0, MAX_PROMPT_IN_NAME - 1)}…` : text;
  const variant = batch > 1 ? ` (${index + 1}/${batch})` : '';
  return `${short === '' ? 'latent-bridge' : short} · seed ${seed}${variant}`;
}

/** The seed in a layer name made by resultLayerName, or null. */
export function seedFromLayerName(name: string | null): number | null {
  if (name === null) return null;
  const match = / · seed (\d{1,16})(?: \(\d+\/\d+\))?$/.exec(name);
  if (!match?.[1]) return null;
  const seed = Number(match[1]);
  return Number.isSafeInteger(seed) ? seed : null;
}
