/**
 * The engine under the layout tables: each table is a list of rules (a pattern over the key below
 * the component's prefix, the diffusers name it becomes, and a pure data movement), plus patterns
 * of keys real files carry that no module uses. Every key under the prefix must match one or the
 * other: an unknown key means an architecture this importer does not know, and is named in a
 * model_invalid error instead of being silently dropped.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { fromSource, reshaped, rowSlice, transposed2d, type LazyTensor } from '../../onnx/lazy-tensor.js';
import type { WeightSet } from '../../onnx/weight-set.js';

/**
 * How a stored tensor becomes the diffusers one(s):
 * - copy: as stored;
 * - transpose: a [a, b] matrix stored the other way round (OpenCLIP's text_projection);
 * - conv-to-linear: a 1×1 conv [C, C, 1, 1] (LDM VAE attention) as a Linear [C, C] (Linear
 *   weights and biases pass through);
 * - split-rows: packed rows split in equal parts, one per target (OpenCLIP's in_proj q, k, v).
 */
export type Transform = 'copy' | 'transpose' | 'conv-to-linear' | 'split-rows';

/** Numbers a table reads off the keys before mapping (e.g. how many decoder levels to reverse). */
export type LayoutVariables = Readonly<Record<string, number>>;

export interface LayoutRule {
  /** Matches the key after the prefix. */
  readonly from: RegExp;
  /** The diffusers name(s), with $1… from the match (several only for split-rows), or computed. */
  readonly to: string | readonly string[] | ((match: RegExpExecArray, vars: LayoutVariables) => string);
  readonly transform?: Transform;
}

export interface Layout {
  /** Names the table in messages ("LDM VAE"). */
  readonly name: string;
  readonly rules: readonly LayoutRule[];
  /** Keys real files carry that no diffusers module takes (position_ids, logit_scale, VAE loss weights). */
  readonly ignore: readonly RegExp[];
  /** Computed from the keys below the prefix, passed to computed targets. */
  readonly variables?: Readonly<Record<string, (keys: readonly string[]) => number>>;
}

/** 1 + the largest N in keys matching `pattern` (whose group 1 is N), 0 when none match. */
export function countIndices(keys: readonly string[], pattern: RegExp): number {
  let n = 0;
  for (const key of keys) {
    const m = pattern.exec(key);
    if (m?.[1] !== undefined) n = Math.max(n, Number(m[1]) + 1);
  }
  return n;
}

function targetsOf(rule: LayoutRule, rest: string, vars: LayoutVariables): string[] {
  const to = rule.to;
  if (typeof to === 'function') {
    const m = rule.from.exec(rest);
    if (m === null) throw new Error(`${rest} does not match ${String(rule.from)}`);
    return [to(m, vars)];
  }
  return (typeof to === 'string' ? [to] : to).map((t) => rest.replace(rule.from, t));
}

export interface MappedTensors {
  /** diffusers name → tensor, in the checkpoint's order. */
  readonly tensors: Map<string, LazyTensor>;
  /** diffusers name → the checkpoint key it came from. */
  readonly sources: Map<string, string>;
  /** Source keys under the prefix deliberately left out. */
  readonly ignored: string[];
}

function transformed(tensor: LazyTensor, transform: Transform, key: string): LazyTensor {
  switch (transform) {
    case 'copy':
    case 'split-rows':
      return tensor;
    case 'transpose':
      return transposed2d(tensor);
    case 'conv-to-linear': {
      const [out, inp, kh, kw] = tensor.shape;
      if (tensor.shape.length <= 2) return tensor;
      if (out === undefined || inp === undefined || (kh ?? 1) !== 1 || (kw ?? 1) !== 1 || tensor.shape.length > 4) {
        throw new BridgeError('model_invalid', `${tensor.origin}: ${key} should be a 1×1 conv weight, has shape [${tensor.shape.join(', ')}]`, key);
      }
      return reshaped(tensor, [out, inp]);
    }
  }
}

function split(tensor: LazyTensor, parts: number, key: string): LazyTensor[] {
  const rows = tensor.shape[0] ?? 0;
  if (rows % parts !== 0 || rows === 0) {
    throw new BridgeError('model_invalid', `${tensor.origin}: ${key} has ${rows} rows, not ${parts} equal parts`, key);
  }
  const size = rows / parts;
  return Array.from({ length: parts }, (_, i) => rowSlice(tensor, i * size, size));
}

const LISTED = 8;

export function listKeys(keys: readonly string[]): string {
  const shown = keys.slice(0, LISTED).join(', ');
  return keys.length > LISTED ? `${shown} and ${keys.length - LISTED} more` : shown;
}

/**
 * Maps every key of `source` under `prefix` through `layout`. Keys outside the prefix are not
 * looked at (other components). Throws model_invalid for keys no rule or ignore pattern covers,
 * and for two keys that would land on one diffusers name.
 */
export function applyLayout(source: TensorSource, prefix: string, layout: Layout): MappedTensors {
  const tensors = new Map<string, LazyTensor>();
  const from = new Map<string, string>();
  const ignored: string[] = [];
  const unknown: string[] = [];
  const keys = source.keys().filter((k) => k.startsWith(prefix));
  const relative = keys.map((k) => k.slice(prefix.length));
  const vars: Record<string, number> = {};
  for (const [name, compute] of Object.entries(layout.variables ?? {})) vars[name] = compute(relative);
  for (const key of keys) {
    const rest = key.slice(prefix.length);
    const rule = layout.rules.find((r) => r.from.test(rest));
    if (rule === undefined) {
      (layout.ignore.some((p) => p.test(rest)) ? ignored : unknown).push(key);
      continue;
    }
    const targets = targetsOf(rule, rest, vars);
    const transform = rule.transform ?? 'copy';
    const tensor = transformed(fromSource(source, key), transform, key);
    const values = transform === 'split-rows' ? split(tensor, targets.length, key) : [tensor];
    targets.forEach((name, i) => {
      const earlier = from.get(name);
      if (earlier !== undefined) {
        throw new BridgeError('model_invalid', `${source.file}: ${earlier} and ${key} both hold ${layout.name} weight ${name}`, key);
      }
      const value = values[i];
      if (value === undefined) throw new Error(`${layout.name}: rule for ${key} gave no tensor for ${name}`);
      from.set(name, key);
      tensors.set(name, value);
    });
  }
  if (unknown.length > 0) {
    throw new BridgeError(
      'model_invalid',
      `${source.file}: ${unknown.length} tensor(s) under ${prefix || 'the top level'} are not part of a ${layout.name}: ${listKeys(unknown)}`,
      unknown[0],
    );
  }
  return { tensors, sources: from, ignored };
}

/** One component's weights under diffusers names, ready for its graph builder. */
export interface ComponentWeights {
  readonly weights: WeightSet;
  /** Checkpoint keys deliberately left out (position_ids, a dropped last layer, VAE loss weights). */
  readonly ignored: readonly string[];
  /** What the user should hear about (e.g. a missing text_projection replaced by the identity). */
  readonly warnings: readonly string[];
}

/** applyLayout, refusing a prefix with no tensors at all (a component the file does not hold). */
export function mapComponent(source: TensorSource, prefix: string, layout: Layout, component: string): MappedTensors {
  const mapped = applyLayout(source, prefix, layout);
  if (mapped.tensors.size === 0) {
    throw new BridgeError('model_invalid', `${source.file} has no ${layout.name} weights under ${prefix || 'the top level'} (for ${component})`, prefix);
  }
  return mapped;
}

/**
 * The diffusers name one key (below the prefix) maps to, or undefined when no rule takes it or the
 * rule refuses it (LoRA module paths in CompVis names are mapped one at a time this way).
 */
export function mapOneKey(layout: Layout, rest: string, vars: LayoutVariables): string | undefined {
  const rule = layout.rules.find((r) => r.from.test(rest));
  if (rule === undefined) return undefined;
  try {
    return targetsOf(rule, rest, vars)[0];
  } catch {
    return undefined;
  }
}
