/**
 * The text encoders of a model behind one call: a 77-token window in, per-token hidden states (and
 * SDXL's pooled embedding) out. SD 1.x/2.x use the single encoder's last_hidden_state (SD 2's
 * converted OpenCLIP already ends at the penultimate layer). SDXL does what diffusers'
 * StableDiffusionXLPipeline.encode_prompt does: both encoders' hidden_states[-2] (no final
 * LayerNorm) concatenated per token, encoder 1 first, and the projected pooled output of encoder 2;
 * tokenizer 2 pads with "!" where tokenizer 1 pads with the end token.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { OnnxModel, OutputTensor } from '../runtime/index.js';
import type { ClipTokenizer } from '../tokenizer/index.js';
import type { LoadedModel } from './loaded-model.js';

export interface EncodedWindow {
  /** [tokens, hiddenSize] flattened. */
  hidden: Float32Array;
  tokens: number;
  hiddenSize: number;
  /** SDXL: encoder 2's projected pooled output [projectionDim]. */
  pooled: Float32Array | undefined;
}

interface StackEncoder {
  readonly model: OnnxModel;
  readonly label: string;
  /** Output holding the per-token states this model conditions on. */
  readonly statesOutput: string;
  /** Output holding the pooled, projected embedding (SDXL's encoder 2: text_embeds). */
  readonly pooledOutput: string | undefined;
  /** Rewrites the padding after the end token (tokenizer 2's "!" instead of tokenizer 1's pad). */
  readonly padId: number | undefined;
}

/** `hidden_states.{n-2}` of an export with hidden_states.0 .. hidden_states.{n-1}: diffusers' hidden_states[-2]. */
function penultimateOutput(model: OnnxModel, label: string): string {
  const count = model.outputs.filter((o) => /^hidden_states\.\d+$/.test(o.name)).length;
  const name = `hidden_states.${count - 2}`;
  if (count < 2 || model.output(name) === undefined) {
    throw new BridgeError(
      'model_invalid',
      `${label} has no hidden_states outputs; SDXL needs its text encoders exported with output_hidden_states (as optimum does)`,
      label,
    );
  }
  return name;
}

function lastOutput(model: OnnxModel): string {
  // Real exports name it last_hidden_state; some older ones only have positional outputs.
  if (model.output('last_hidden_state') !== undefined) return 'last_hidden_state';
  const first = model.outputs[0]?.name;
  if (first === undefined) throw new BridgeError('model_invalid', `${model.label} has no outputs`, model.label);
  return first;
}

export class TextStack {
  private constructor(
    /** Tokenizer 1 drives chunking and weights; both SDXL tokenizers share its vocabulary. */
    readonly tokenizer: ClipTokenizer,
    private readonly encoders: readonly StackEncoder[],
    /** An empty negative prompt gives zero embeddings (SDXL's force_zeros_for_empty_prompt). */
    readonly forceZerosForEmptyPrompt: boolean,
    /**
     * The UNet's encoder_hidden_states token count when the export fixed it (traced at 77), so
     * long prompts cannot be concatenated windows; undefined when it is symbolic.
     */
    readonly fixedTokens: number | undefined,
  ) {}

  static async of(model: LoadedModel): Promise<TextStack> {
    const first = await model.textEncoder();
    const fixedTokens = fixedSequence(await model.unet());
    if (model.tokenizer2 === undefined || model.info.components.textEncoder2 === undefined) {
      return new TextStack(model.tokenizer, [{ model: first, label: 'text_encoder', statesOutput: lastOutput(first), pooledOutput: undefined, padId: undefined }], false, fixedTokens);
    }
    const second = await model.textEncoder2();
    const pooled = second.output('text_embeds') !== undefined ? 'text_embeds' : undefined;
    if (pooled === undefined) {
      throw new BridgeError('model_invalid', 'text_encoder_2 has no text_embeds output (the projected pooled embedding SDXL needs)', 'text_encoder_2');
    }
    return new TextStack(
      model.tokenizer,
      [
        { model: first, label: 'text_encoder', statesOutput: penultimateOutput(first, 'text_encoder'), pooledOutput: undefined, padId: undefined },
        {
          model: second,
          label: 'text_encoder_2',
          statesOutput: penultimateOutput(second, 'text_encoder_2'),
          pooledOutput: pooled,
          padId: model.tokenizer2.padId,
        },
      ],
      model.info.forceZerosForEmptyPrompt,
      fixedTokens,
    );
  }

  /** How many 77-token windows one prompt may take: all it needs, unless the UNet fixed its sequence. */
  get maxWindows(): number | undefined {
    return this.fixedTokens === undefined ? undefined : Math.max(1, Math.floor(this.fixedTokens / this.tokenizer.maxLength));
  }

  /** Width of the pooled embedding (SDXL: 1280), when the model has one. */
  get pooledSize(): number | undefined {
    const pooled = this.encoders.find((e) => e.pooledOutput !== undefined);
    const dim = pooled?.pooledOutput === undefined ? undefined : pooled.model.output(pooled.pooledOutput)?.dims.at(-1);
    return typeof dim === 'number' ? dim : undefined;
  }

  async encodeWindow(ids: Int32Array): Promise<EncodedWindow> {
    const parts: OutputTensor[] = [];
    let pooled: Float32Array | undefined;
    for (const encoder of this.encoders) {
      const input = encoder.padId === undefined ? ids : this.repad(ids, encoder.padId);
      const out = await encoder.model.run({ input_ids: { data: input, dims: [1, input.length] } });
      const states = out[encoder.statesOutput];
      if (states === undefined) throw new BridgeError('inference_failed', `${encoder.label} returned no ${encoder.statesOutput}`, encoder.label);
      parts.push(states);
      if (encoder.pooledOutput !== undefined) pooled = out[encoder.pooledOutput]?.data as Float32Array | undefined;
    }
    const tokens = parts[0]?.dims[1] ?? 0;
    if (parts.length === 1) {
      const only = parts[0] as OutputTensor;
      return { hidden: only.data as Float32Array, tokens, hiddenSize: only.dims[2] ?? 0, pooled };
    }
    return { ...concatLastAxis(parts, tokens), pooled };
  }

  /** Tokenizer 1's ids with every position after the first end token set to `padId`. */
  private repad(ids: Int32Array, padId: number): Int32Array {
    const eos = ids.indexOf(this.tokenizer.eosId, 1);
    if (eos < 0) return ids;
    const out = Int32Array.from(ids);
    out.fill(padId, eos + 1);
    return out;
  }
}

/**
 * A fixed encoder_hidden_states length, read from the UNet graph's input shape. The text encoders
 * need no such check: each 77-token window is encoded on its own, which a fixed-77 export takes.
 */
function fixedSequence(unet: OnnxModel): number | undefined {
  const dim = unet.input('encoder_hidden_states')?.dims[1];
  return typeof dim === 'number' && dim > 0 ? dim : undefined;
}

/** Per-token concatenation of [tokens, a] and [tokens, b] into [tokens, a + b]. */
function concatLastAxis(parts: readonly OutputTensor[], tokens: number): { hidden: Float32Array; tokens: number; hiddenSize: number } {
  const widths = parts.map((p) => p.dims[2] ?? 0);
  const hiddenSize = widths.reduce((a, b) => a + b, 0);
  const hidden = new Float32Array(tokens * hiddenSize);
  let offset = 0;
  for (const [k, part] of parts.entries()) {
    const width = widths[k] as number;
    const data = part.data as Float32Array;
    for (let t = 0; t < tokens; t++) hidden.set(data.subarray(t * width, (t + 1) * width), t * hiddenSize + offset);
    offset += width;
  }
  return { hidden, tokens, hiddenSize };
}
