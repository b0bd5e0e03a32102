/**
 * Which weight of the model each LoRA module adapts. UNet paths come in diffusers names (kohya's
 * SD 1.x files, PEFT) or CompVis/SGM names (SDXL kohya files, some SD 1.x ones), mapped through
 * the importer's own LDM table; text-encoder paths are transformers' CLIPTextModel names. Every
 * module must land on a weight of the right size: a module that names no weight is a warning
 * naming it, a size mismatch means a LoRA made for another model and is refused.
 */
import { BridgeError } from '@latent-bridge/shared';
import { LDM_UNET_LAYOUT } from '../convert/layouts/ldm-unet.js';
import { listKeys, mapOneKey } from '../convert/layouts/mapping.js';
import { elementCount } from '../onnx/lazy-tensor.js';
import type { LoraFile, LoraModule } from './lora-file.js';
import type { LoraComponent } from './lora-names.js';

/** A component's weights as the merge sees them: diffusers names, torch layout shapes. */
export interface WeightCatalog {
  shape(name: string): readonly number[] | undefined;
  names(): readonly string[];
}

export type ModelCatalog = Partial<Record<LoraComponent, WeightCatalog>>;

export interface LoraTarget {
  component: LoraComponent;
  /** The diffusers weight name (`….to_q.weight`). */
  weight: string;
  /** The weight's torch shape ([out, in] or [out, in, kh, kw]). */
  shape: readonly number[];
  module: LoraModule;
}

export interface ResolvedLora {
  targets: LoraTarget[];
  /** What the user should hear: modules that adapt nothing in this model, stray keys. */
  warnings: string[];
}

/** Layers per UNet block, read off the diffusers names (`down_blocks.0.resnets.N`). */
export function layersPerBlock(unet: WeightCatalog): number {
  let n = 0;
  for (const name of unet.names()) {
    const m = /^down_blocks\.0\.resnets\.(\d+)\./.exec(name);
    if (m !== null) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

function candidates(module: LoraModule, catalog: WeightCatalog, unetLayers: number): string[] {
  const weight = `${module.path}.weight`;
  if (module.component !== 'unet') return [weight, `text_model.${weight}`];
  const ldm = mapOneKey(LDM_UNET_LAYOUT, weight, { layersPerBlock: unetLayers });
  return ldm === undefined || catalog.shape(weight) !== undefined ? [weight] : [weight, ldm];
}

const LAYER = /^(?:text_model\.)?encoder\.layers\.(\d+)\./;

/** A text-encoder layer past the model's last one. */
function beyondLastLayer(path: string, catalog: WeightCatalog): boolean {
  const m = LAYER.exec(path);
  if (m === null) return false;
  let layers = 0;
  for (const name of catalog.names()) {
    const l = LAYER.exec(name);
    if (l !== null) layers = Math.max(layers, Number(l[1]) + 1);
  }
  return layers > 0 && Number(m[1]) >= layers;
}

function fits(module: LoraModule, shape: readonly number[]): boolean {
  const [out] = shape;
  const inner = elementCount(module.down.shape.slice(1));
  return out === module.up.shape[0] && elementCount(shape) === (out ?? 0) * inner;
}

/** Places every module of `lora` on the model's weights (see the module comment). */
export function resolveLora(lora: LoraFile, model: ModelCatalog, label: string): ResolvedLora {
  const targets: LoraTarget[] = [];
  const unmatched: string[] = [];
  const absent = new Set<LoraComponent>();
  const unet = model.unet;
  const unetLayers = unet === undefined ? 0 : layersPerBlock(unet);
  for (const module of lora.modules) {
    const catalog = model[module.component];
    if (catalog === undefined) {
      absent.add(module.component);
      continue;
    }
    const weight = candidates(module, catalog, unetLayers).find((n) => catalog.shape(n) !== undefined);
    if (weight === undefined) {
      // SD 2.x encoders are imported without their last layer (the penultimate one is used), so a
      // LoRA's modules for it have nothing to change, as in A1111 where that layer's output is unused.
      if (module.component === 'unet' || !beyondLastLayer(module.path, catalog)) unmatched.push(module.key);
      continue;
    }
    const shape = catalog.shape(weight) ?? [];
    if (!fits(module, shape)) {
      throw new BridgeError(
        'checkpoint_unsupported',
        `${label} does not fit this model: ${module.key} makes [${module.up.shape[0]}, ${module.down.shape.slice(1).join('×')}] where ${weight} is [${shape.join(', ')}] (a LoRA for another model family?)`,
        module.key,
      );
    }
    targets.push({ component: module.component, weight, shape, module });
  }
  const warnings: string[] = [];
  if (targets.length === 0) {
    throw new BridgeError('checkpoint_unsupported', `${label} adapts no weight of this model (${listKeys(lora.modules.map((m) => m.key))}): a LoRA for another model family?`, 'lora');
  }
  if (unmatched.length > 0) warnings.push(`${label}: ${unmatched.length} module(s) match no weight of this model and were not applied: ${listKeys(unmatched)}`);
  if (absent.size > 0) warnings.push(`${label}: this model has no ${[...absent].join(', ')}; those modules were not applied`);
  if (lora.stray.length > 0) warnings.push(`${label}: ${lora.stray.length} key(s) belong to no LoRA module and were ignored: ${listKeys(lora.stray)}`);
  return { targets, warnings };
}
