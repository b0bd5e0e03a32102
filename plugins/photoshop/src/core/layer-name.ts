/** Result layer names carry the prompt and the seed, so "reuse seed of this layer" can read it back. */
const MAX_PROMPT_IN_NAME = 48;

/** The prompt on one line, cut to `max` characters with an ellipsis; "latent-bridge" when empty. */
export function shortPrompt(prompt: string, max = MAX_PROMPT_IN_NAME): string {
  const text = prompt.trim().replace(/\s+/g, ' ');
  const short = text.length > max ? `${text.slice(0, max - 1)}…` : text;
  return short === '' ? 'latent-bridge' : short;
}

export function resultLayerName(prompt: string, seed: number, index: number, batch: number): string {
  const variant = batch > 1 ? ` (${index + 1}/${batch})` : '';
  return `${shortPrompt(prompt)} · seed ${seed}${variant}`;
}

/** The seed in a layer name made here (batch, frame or entry names all end with it), or null. */
export function seedFromLayerName(name: string | null): number | null {
  if (name === null) return null;
  const match = / · seed (\d{1,16})(?: \(\d+\/\d+\))?$/.exec(name);
  if (!match?.[1]) return null;
  const seed = Number(match[1]);
  return Number.isSafeInteger(seed) ? seed : null;
}
