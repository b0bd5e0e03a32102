import type { OnnxModel } from '../runtime/index.js';
import type { ClipTokenizer } from '../tokenizer/index.js';

/** Text-encoder hidden states for one prompt: [1, tokens, hidden] flattened. */
export interface PromptEmbedding {
  data: Float32Array;
  tokens: number;
  hidden: number;
  /** SDXL's pooled text embedding [projection] (of the first window, as A1111 and ComfyUI take it). */
  pooled?: Float32Array;
}

/**
 * Tokenizes into 77-token windows: one window when truncating, or one per 75 tokens when chunking,
 * as A1111 and ComfyUI do for long prompts. `minChunks` pads with empty-prompt windows so the
 * prompt and the negative prompt end up with the same sequence length.
 */
export function tokenWindows(tokenizer: ClipTokenizer, text: string, mode: 'chunk' | 'truncate', minChunks = 1): Int32Array[] {
  const windows = mode === 'chunk' ? tokenizer.tokenizeChunks(text) : [tokenizer.tokenize(text)];
  while (windows.length < minChunks) windows.push(tokenizer.tokenize(''));
  return windows;
}

/** Runs the text encoder on each window and concatenates the hidden states along the sequence. */
export async function encodeWindows(encoder: OnnxModel, windows: readonly Int32Array[]): Promise<PromptEmbedding> {
  const parts: Float32Array[] = [];
  let hidden = 0;
  let tokens = 0;
  for (const ids of windows) {
    const out = await encoder.run({ input_ids: { data: ids, dims: [1, ids.length] } });
    const state = firstOutput(encoder, out);
    const dims = state.dims;
    hidden = dims[2] ?? 0;
    tokens += dims[1] ?? 0;
    parts.push(state.data as Float32Array);
  }
  const data = new Float32Array(tokens * hidden);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.length;
  }
  return { data, tokens, hidden };
}

function firstOutput(encoder: OnnxModel, out: Awaited<ReturnType<OnnxModel['run']>>) {
  // Real exports name it last_hidden_state; some older ones only have positional outputs.
  const name = encoder.outputs.some((o) => o.name === 'last_hidden_state') ? 'last_hidden_state' : encoder.outputs[0]?.name;
  const state = name === undefined ? undefined : out[name];
  if (!state) throw new Error('text encoder returned no hidden states');
  return state;
}

/** The prompt and negative prompt, encoded to the same length (as CFG batching requires). */
export async function encodePromptPair(
  tokenizer: ClipTokenizer,
  encoder: OnnxModel,
  prompt: string,
  negative: string,
  mode: 'chunk' | 'truncate',
  withNegative: boolean,
): Promise<{ cond: PromptEmbedding; uncond: PromptEmbedding | undefined }> {
  const condWindows = tokenWindows(tokenizer, prompt, mode);
  if (!withNegative) return { cond: await encodeWindows(encoder, condWindows), uncond: undefined };
  // Pad the shorter of the two with empty windows so both have the same sequence length.
  const uncondWindows = tokenWindows(tokenizer, negative, mode, condWindows.length);
  while (condWindows.length < uncondWindows.length) condWindows.push(tokenizer.tokenize(''));
  const cond = await encodeWindows(encoder, condWindows);
  const uncond = await encodeWindows(encoder, uncondWindows);
  return { cond, uncond };
}
