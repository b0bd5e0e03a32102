/**
 * TEST ONLY: LoRA files for the small checkpoints of convert/testing (torch/lora_fixture.py) with
 * torch's outputs of the LoRA-merged models, and running a model component on those inputs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openCheckpoint } from '../../checkpoint/index.js';
import type { TensorSource } from '../../checkpoint/tensor-source.js';
import { cachedTorchOutputs, repoRoot } from '../../checkpoint/testing/torch-python.js';
import { checkpointFixture, type CheckpointFixture } from '../../convert/testing/checkpoint-fixtures.js';
import { float32ArrayToFloat16 } from '../../numeric/float16.js';
import { OnnxModel, type FeedValue } from '../../runtime/index.js';

export interface LoraFixture {
  base: CheckpointFixture;
  /** a.safetensors, b.safetensors, b-peft.safetensors, c.safetensors, reference.safetensors. */
  dir: string;
  reference: TensorSource;
}

const SCRIPT = 'bridge-server/src/lora/testing/torch/lora_fixture.py';

export async function loraFixture(t: TestContext, c: 'sd1' | 'sd2' | 'sdxl'): Promise<LoraFixture | undefined> {
  const base = await checkpointFixture(t, c, 'fp32');
  if (base === undefined) return undefined;
  const main = join(repoRoot(), SCRIPT);
  const version = createHash('sha256').update(readFileSync(main)).digest('hex').slice(0, 16);
  const wrapper = `import runpy, sys\nsys.argv = [${JSON.stringify(main)}, *sys.argv[1:]]\nrunpy.run_path(${JSON.stringify(main)}, run_name='__main__')\n# ${version}\n`;
  const dir = await cachedTorchOutputs(`lora-${c}`, wrapper, ['--base', base.dir, '--case', c]);
  return { base, dir, reference: await openCheckpoint(join(dir, 'reference.safetensors')) };
}

async function feed(model: OnnxModel, input: string, ref: TensorSource, key: string): Promise<FeedValue> {
  const entry = ref.entry(key);
  if (entry === undefined) throw new Error(`reference has no ${key}`);
  const info = model.inputs.find((i) => i.name === input);
  if (info === undefined) throw new Error(`${model.label} has no input ${input}`);
  const dims = [...entry.shape];
  if (info.dtype === 'int64') return { data: new BigInt64Array((await ref.readRaw(key)).slice().buffer), dims };
  const values = await ref.readFloat32(key);
  return info.dtype === 'float16' ? { data: float32ArrayToFloat16(values), dims } : { data: values, dims };
}

/** Runs `file` (a component's model.onnx) on the reference's `<component>.in.*` and returns output `output`. */
export async function runComponent(file: string, component: string, ref: TensorSource, output: string): Promise<Float32Array> {
  const model = await OnnxModel.open(file);
  try {
    const feeds: Record<string, FeedValue> = {};
    for (const key of ref.keys().filter((k) => k.startsWith(`${component}.in.`))) feeds[key.slice(component.length + 4)] = await feed(model, key.slice(component.length + 4), ref, key);
    const out = (await model.run(feeds))[output];
    if (out === undefined) throw new Error(`${file} has no output ${output}`);
    return out.data instanceof Float32Array ? out.data : Float32Array.from(out.data as ArrayLike<number>);
  } finally {
    await model.release();
  }
}
