/**
 * A LoRA file read into modules: for each adapted module, its component, its path as the file
 * names it (dotted), the down/up tensors and alpha. kohya/A1111 (`lora_unet_…`, `.lora_down`,
 * `.lora_up`, `.alpha`, LyCORIS LoCon's 3×3 convs) and PEFT/diffusers (`unet.…lora_A/lora_B`,
 * `lora_alpha` from the `lora_adapter_metadata` header) end up alike. Nothing is read but the
 * header and the alpha scalars; the matrices stay lazy until a merge.
 */
import { BridgeError } from '@latent-bridge/shared';
import type { TensorSource } from '../checkpoint/tensor-source.js';
import { fromSource, type LazyTensor } from '../onnx/lazy-tensor.js';
import { dottedPath, KOHYA_PREFIXES, KOHYA_SUFFIXES, PEFT_PREFIXES, PEFT_SUFFIXES, UNSUPPORTED_ALGORITHMS, type LoraComponent } from './lora-names.js';

export type LoraFormat = 'kohya' | 'peft';

export interface LoraModule {
  component: LoraComponent;
  /** The module path as the file names it (dotted; CompVis or diffusers names for the UNet). */
  path: string;
  /** The file's key stem, for messages ("lora_unet_down_blocks_0_…"). */
  key: string;
  down: LazyTensor;
  up: LazyTensor;
  /** The stored alpha; undefined when the file has none (then alpha = rank, as kohya does). */
  alpha: number | undefined;
  /** down's first dimension. */
  rank: number;
}

export interface LoraFile {
  file: string;
  format: LoraFormat;
  modules: LoraModule[];
  /** Keys that belong to no LoRA module (named in a warning, never silently dropped). */
  stray: string[];
  metadata: Readonly<Record<string, string>>;
}

function invalid(source: TensorSource, key: string, why: string): BridgeError {
  return new BridgeError('checkpoint_invalid', `${source.file}: ${key} ${why}`, key);
}

/** Refuses LyCORIS algorithms other than LoRA/LoCon by their keys, naming the algorithm. */
function refuseUnsupported(source: TensorSource): void {
  for (const key of source.keys()) {
    for (const [pattern, name] of UNSUPPORTED_ALGORITHMS) {
      if (pattern.test(key)) {
        throw new BridgeError('checkpoint_unsupported', `${source.file} is a ${name} network (key ${key}): unsupported algorithm; only LoRA and LoCon files can be applied`, key);
      }
    }
  }
}

async function scalar(source: TensorSource, key: string): Promise<number> {
  const entry = source.entry(key);
  if (entry === undefined || entry.shape.reduce((a, b) => a * b, 1) !== 1) throw invalid(source, key, `should be one number, has shape [${entry?.shape.join(', ') ?? ''}]`);
  const value = (await source.readFloat32(key))[0];
  if (value === undefined || !Number.isFinite(value)) throw invalid(source, key, 'is not a finite number');
  return value;
}

function checkPair(source: TensorSource, key: string, down: LazyTensor, up: LazyTensor): number {
  const rank = down.shape[0];
  const upRank = up.shape[1];
  if (rank === undefined || rank < 1 || (down.shape.length !== 2 && down.shape.length !== 4)) throw invalid(source, key, `down has shape [${down.shape.join(', ')}]`);
  if (upRank !== rank || (up.shape.length !== 2 && up.shape.length !== 4)) {
    throw invalid(source, key, `up [${up.shape.join(', ')}] does not fit down [${down.shape.join(', ')}]`);
  }
  if (up.shape.length === 4 && (up.shape[2] !== 1 || up.shape[3] !== 1)) {
    throw new BridgeError('checkpoint_unsupported', `${source.file}: ${key} has a ${up.shape[2]}×${up.shape[3]} up kernel: unsupported algorithm (only 1×1 up convs, as kohya LoCon writes them)`, key);
  }
  return rank;
}

function componentOf(rest: string, prefixes: ReadonlyArray<readonly [string, LoraComponent]>): [LoraComponent, string] | undefined {
  for (const [prefix, component] of prefixes) if (rest.startsWith(prefix)) return [component, rest.slice(prefix.length)];
  return undefined;
}

/** `lora_alpha` for a PEFT component: `alpha_pattern` (suffix match, as PEFT does), then `lora_alpha`; unprefixed entries too. */
function peftAlpha(metadata: Readonly<Record<string, string>>, component: LoraComponent, path: string): number | undefined {
  const raw = metadata['lora_adapter_metadata'];
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const meta = parsed as Record<string, unknown>;
  for (const prefix of [`${component}.`, '']) {
    const patterns = meta[`${prefix}alpha_pattern`];
    if (typeof patterns === 'object' && patterns !== null) {
      for (const [pattern, value] of Object.entries(patterns as Record<string, unknown>)) {
        if (typeof value === 'number' && (path === pattern || path.endsWith(`.${pattern}`))) return value;
      }
    }
    const alpha = meta[`${prefix}lora_alpha`];
    if (typeof alpha === 'number') return alpha;
  }
  return undefined;
}

/** Reads a LoRA file's modules; throws for files that are no LoRA at all and for unsupported algorithms. */
export async function readLoraFile(source: TensorSource): Promise<LoraFile> {
  refuseUnsupported(source);
  const keys = source.keys();
  const used = new Set<string>();
  const modules: LoraModule[] = [];
  let kohya = 0;
  let peft = 0;

  for (const key of keys) {
    if (!key.endsWith(KOHYA_SUFFIXES.down)) continue;
    const stem = key.slice(0, -KOHYA_SUFFIXES.down.length);
    const placed = componentOf(stem, KOHYA_PREFIXES) ?? componentOf(stem, PEFT_PREFIXES);
    const upKey = stem + KOHYA_SUFFIXES.up;
    if (placed === undefined || source.entry(upKey) === undefined) continue;
    const [component, rest] = placed;
    const down = fromSource(source, key);
    const up = fromSource(source, upKey);
    const rank = checkPair(source, stem, down, up);
    const alphaKey = stem + KOHYA_SUFFIXES.alpha;
    const alpha = source.entry(alphaKey) !== undefined ? await scalar(source, alphaKey) : undefined;
    // kohya flattens paths into one word; a PEFT-prefixed file with kohya suffixes keeps its dots.
    const path = rest.includes('.') ? rest : dottedPath(rest);
    modules.push({ component, path, key: stem, down, up, alpha, rank });
    for (const k of [key, upKey, alphaKey]) used.add(k);
    kohya++;
  }

  for (const key of keys) {
    for (const [downSuffix, upSuffix] of PEFT_SUFFIXES) {
      if (!key.endsWith(downSuffix) || used.has(key)) continue;
      const stem = key.slice(0, -downSuffix.length);
      const upKey = stem + upSuffix;
      const placed = componentOf(stem, PEFT_PREFIXES);
      if (placed === undefined || source.entry(upKey) === undefined) continue;
      const [component, rest] = placed;
      // diffusers' first attention-processor names: `attn1.processor.to_q_lora` adapts `attn1.to_q`.
      const path = rest.replace(/\.processor\.(to_[qkv]|to_out)$/, (_m, p: string) => (p === 'to_out' ? '.to_out.0' : `.${p}`));
      const down = fromSource(source, key);
      const up = fromSource(source, upKey);
      const rank = checkPair(source, stem, down, up);
      const alphaKey = `${stem}.alpha`;
      const stored = source.entry(alphaKey) !== undefined ? await scalar(source, alphaKey) : undefined;
      modules.push({ component, path, key: stem, down, up, alpha: stored ?? peftAlpha(source.metadata, component, path), rank });
      for (const k of [key, upKey, alphaKey]) used.add(k);
      peft++;
    }
  }

  if (modules.length === 0) {
    throw new BridgeError('checkpoint_unsupported', `${source.file} holds no LoRA modules (no lora_down/lora_up or lora_A/lora_B pairs)`, 'file');
  }
  return { file: source.file, format: peft > kohya ? 'peft' : 'kohya', modules, stray: keys.filter((k) => !used.has(k)), metadata: source.metadata };
}
