/**
 * A set of LoRA files at their strengths, opened and placed on one model: per component, the
 * weights to change and the modules (with multipliers) that change each. Both ways of applying a
 * set use this: baking into an import and patching an installed model's ONNX weights.
 */
import { openCheckpoint } from '../checkpoint/index.js';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import type { WeightedModule } from './lora-delta.js';
import { readLoraFile, type LoraFile } from './lora-file.js';
import type { LoraComponent } from './lora-names.js';
import { resolveLora, type ModelCatalog } from './lora-targets.js';

export interface LoraUse {
  /** The .safetensors (or .pt/.ckpt) file. */
  file: string;
  /** The multiplier (A1111's `<lora:name:weight>`). */
  weight: number;
  /** Per-component multipliers instead (A1111's `<lora:name:te:unet>`). */
  componentWeights?: Partial<Record<LoraComponent, number>>;
  /** Names the LoRA in messages; default: the file. */
  label?: string;
}

export interface OpenedLora {
  use: LoraUse;
  lora: LoraFile;
  source: TensorSource;
}

/** Weight name → its torch shape and the modules adding into it. */
export type ComponentChanges = Map<string, { shape: readonly number[]; modules: WeightedModule[] }>;

/** The changes per component. */
export type LoraPlan = Map<LoraComponent, ComponentChanges>;

export async function openLoras(uses: readonly LoraUse[]): Promise<OpenedLora[]> {
  const opened: OpenedLora[] = [];
  try {
    for (const use of uses) {
      const source = await openCheckpoint(use.file);
      opened.push({ use, source, lora: await readLoraFile(source).catch(async (err: unknown) => { await source.close(); throw err; }) });
    }
  } catch (err) {
    await closeLoras(opened);
    throw err;
  }
  return opened;
}

export async function closeLoras(opened: readonly OpenedLora[]): Promise<void> {
  for (const o of opened) await o.source.close();
}

/** Places every opened LoRA on `model`; warnings name what matched nothing. */
export function planLoras(opened: readonly OpenedLora[], model: ModelCatalog): { plan: LoraPlan; warnings: string[] } {
  const plan: LoraPlan = new Map();
  const warnings: string[] = [];
  for (const { use, lora } of opened) {
    const resolved = resolveLora(lora, model, use.label ?? use.file);
    warnings.push(...resolved.warnings);
    for (const t of resolved.targets) {
      let component = plan.get(t.component);
      if (component === undefined) plan.set(t.component, (component = new Map()));
      let entry = component.get(t.weight);
      if (entry === undefined) component.set(t.weight, (entry = { shape: t.shape, modules: [] }));
      entry.modules.push({ module: t.module, multiplier: use.componentWeights?.[t.component] ?? use.weight });
    }
  }
  return { plan, warnings };
}
