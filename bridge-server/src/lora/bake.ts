/**
 * Baking LoRAs into an import (`latent-bridge import BASE --lora FILE[:WEIGHT]`): the planned
 * weights of the UNet and text encoders are wrapped so that, when the graph writer reads an adapted
 * weight, it gets W + Σ multiplier · (alpha / rank) · up · down. Nothing is read before the write.
 */
import type { ComponentName, PlanInputs } from '../convert/import-plan.js';
import { textEncoderWeights } from '../convert/import-plan.js';
import type { ComponentWeights } from '../convert/layouts/mapping.js';
import { mapped, type LazyTensor } from '../onnx/lazy-tensor.js';
import { WeightSet } from '../onnx/weight-set.js';
import { mergeLoraDeltas } from './lora-delta.js';
import { planLoras, type ComponentChanges, type OpenedLora } from './lora-set.js';
import type { ModelCatalog } from './lora-targets.js';

function adjusted(weights: ComponentWeights, changes: ComponentChanges | undefined, extra: readonly string[]): ComponentWeights {
  if (changes === undefined || changes.size === 0) return extra.length === 0 ? weights : { ...weights, warnings: [...weights.warnings, ...extra] };
  const set = weights.weights;
  const entries: Array<[string, LazyTensor]> = set.names().map((name) => {
    const tensor = set.get(name);
    const change = changes.get(name);
    if (change === undefined) return [name, tensor];
    const out = tensor.shape[0] ?? 1;
    return [
      name,
      mapped(tensor, `${tensor.origin} + LoRA`, (values) => mergeLoraDeltas(values, out, 'rows', change.modules)),
    ];
  });
  return { weights: new WeightSet(entries, set.component), ignored: weights.ignored, warnings: [...weights.warnings, ...extra] };
}

/** An importModel `transformInputs` that bakes `opened` into the model; warnings go with the UNet's. */
export function bakeLoras(opened: readonly OpenedLora[]): (inputs: PlanInputs) => PlanInputs {
  return (inputs) => {
    const textWeights = inputs.textEncoders.map((spec, index) => textEncoderWeights(spec, index === 0 ? 'text_encoder' : 'text_encoder_2'));
    const catalog: ModelCatalog = { unet: inputs.unet.weights };
    if (textWeights[0] !== undefined) catalog.text_encoder = textWeights[0].weights;
    if (textWeights[1] !== undefined) catalog.text_encoder_2 = textWeights[1].weights;
    const { plan, warnings } = planLoras(opened, catalog);
    const earlier = inputs.adjustWeights;
    return {
      ...inputs,
      adjustWeights: (component: ComponentName, weights: ComponentWeights) => {
        const base = earlier?.(component, weights) ?? weights;
        if (component !== 'unet' && component !== 'text_encoder' && component !== 'text_encoder_2') return base;
        return adjusted(base, plan.get(component), component === 'unet' ? warnings : []);
      },
    };
  };
}
