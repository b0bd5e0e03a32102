/**
 * Tiny CLIP text transformer: token + position embeddings, pre-LN layers with causal multi-head
 * self-attention and a quick_gelu MLP, final LayerNorm; pooler_output is the final state at
 * the EOS token (the highest id, found with ArgMax as transformers' CLIPTextModel does).
 */
import type { FloatType } from '../../onnx/graph-builder.js';
import { OpBuilder } from '../../onnx/ops.js';
import { Prng } from '../prng.js';
import { Layers } from './layers.js';

export const TINY_TEXT = { hidden: 32, layers: 2, heads: 2, maxPositions: 77, vocab: 49408 } as const;

export function tinyTextEncoder(floatType: FloatType, idsType: 'int32' | 'int64', seed: number): OpBuilder {
  const g = new OpBuilder('tiny_clip_text', floatType);
  const nn = new Layers(g, new Prng(seed));
  const D = TINY_TEXT.hidden;
  const ids = g.input('input_ids', idsType, ['batch', 'sequence']);

  const tokens = g.gather(nn.param('embeddings.token_embedding.weight', [TINY_TEXT.vocab, D], 0.5), ids, 0);
  const sequenceEnd = g.slice(g.shape(ids), [1], [2], [0]);
  const positions = g.sliceTo(nn.param('embeddings.position_embedding.weight', [TINY_TEXT.maxPositions, D], 0.5), sequenceEnd, 0);
  let h = g.add(tokens, positions);

  const mask = g.scope('causal_mask', () => {
    const steps = g.range(g.int64(0), g.dim(ids, 1), g.int64(1));
    const future = g.greater(g.unsqueeze(steps, [0]), g.unsqueeze(steps, [1]));
    return g.where(future, g.float(-1e4), g.float(0));
  });

  for (let layer = 0; layer < TINY_TEXT.layers; layer++) {
    h = g.scope(`encoder.layers.${layer}`, () => {
      const normed = nn.layerNorm(h, D, 'layer_norm1');
      const attended = g.add(h, nn.attention(normed, normed, D, D, 'self_attn', { heads: TINY_TEXT.heads, qkvBias: true, mask }));
      const mlp = nn.linear(g.quickGelu(nn.linear(nn.layerNorm(attended, D, 'layer_norm2'), D, 4 * D, 'mlp.fc1')), 4 * D, D, 'mlp.fc2');
      return g.add(attended, mlp);
    });
  }
  const last = nn.layerNorm(h, D, 'final_layer_norm');

  const pooled = g.scope('pooler', () => {
    const eos = g.argMax(g.cast(ids, 'int32'), -1, false);
    const rowStarts = g.mul(g.range(g.int64(0), g.dim(ids, 0), g.int64(1)), g.dim(ids, 1));
    return g.gather(g.reshape(last, [-1, D]), g.add(rowStarts, eos), 0);
  });
  g.output(last, 'last_hidden_state', floatType, ['batch', 'sequence', D]);
  g.output(pooled, 'pooler_output', floatType, ['batch', D]);
  return g;
}
