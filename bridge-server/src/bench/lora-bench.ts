/**
 * What switching LoRA sets costs on a full-size SD 1.5 UNet (fp32, built by the importer's graph
 * code from SD 1.5's keys and shapes, zero weights: merge and load costs do not depend on values).
 * Baseline: opening the plain UNet session, what loading the model costs anyway. Then per set:
 * the first use (merging into a patched copy + opening it) and a re-use of the same set (finding
 * its copy; the loaded session itself is kept by the server's model cache, so nothing more).
 * Sets: a typical kohya LoRA (attention and feed-forward, rank 32) and a LoCon (also every resnet
 * and sampler conv, rank 16) stacked on it. `npm run bench -- lora` runs this section alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type SafetensorsTensorToWrite } from '../checkpoint/index.js';
import { ldmUnetWeights, LDM_UNET_PREFIX } from '../convert/layouts/ldm-unet.js';
import { ldmUnetKeys, SD15_UNET } from '../convert/testing/ldm-unet-keys.js';
import { ShapeSource } from '../convert/testing/shape-source.js';
import { deriveUnetConfig } from '../convert/unet-config.js';
import { buildUnet } from '../graphs/unet.js';
import { mergeLoraSet } from '../lora/runtime-merge.js';
import { float32ArrayToFloat16 } from '../numeric/float16.js';
import { OnnxModel } from '../runtime/index.js';
import { fmtMs, fmtRatio, row, section, timeIt } from './report.js';

const ATTENTION = /attentions\.\d+\.(proj_in|proj_out|transformer_blocks\.\d+\.(attn[12]\.(to_[qkv]|to_out\.0)|ff\.net\.(0\.proj|2)))\.weight$/;
const CONVS = /(resnets\.\d+\.(conv1|conv2|conv_shortcut|time_emb_proj)|downsamplers\.0\.conv|upsamplers\.0\.conv)\.weight$/;

/** Small deterministic values, as fp16 bytes. */
function values(count: number, seed: number): Uint8Array {
  const v = new Float32Array(count);
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32 - 0.5) * 0.02;
  }
  const half = float32ArrayToFloat16(v);
  return new Uint8Array(half.buffer, half.byteOffset, half.byteLength);
}

/** A kohya file (diffusers paths) adapting every weight whose name matches `pattern`. */
async function writeLora(file: string, shapes: ReadonlyMap<string, readonly number[]>, pattern: RegExp, rank: number): Promise<number> {
  const tensors: SafetensorsTensorToWrite[] = [];
  let seed = 1;
  for (const [name, shape] of shapes) {
    if (!pattern.test(name)) continue;
    const stem = `lora_unet_${name.slice(0, -'.weight'.length).replace(/\./g, '_')}`;
    const [out = 0, inner = 0, kh, kw] = shape;
    const down = shape.length === 4 ? [rank, inner, kh ?? 1, kw ?? 1] : [rank, inner];
    const up = shape.length === 4 ? [out, rank, 1, 1] : [out, rank];
    const s = seed++;
    tensors.push({ key: `${stem}.lora_down.weight`, dtype: 'F16', shape: down, data: () => values(down.reduce((a, b) => a * b, 1), s) });
    tensors.push({ key: `${stem}.lora_up.weight`, dtype: 'F16', shape: up, data: () => values(out * rank, s + 7919) });
    tensors.push({ key: `${stem}.alpha`, dtype: 'F16', shape: [], data: new Uint8Array(float32ArrayToFloat16([rank / 2]).buffer) });
  }
  await writeSafetensors(file, tensors);
  return tensors.length / 3;
}

async function openMs(file: string): Promise<number> {
  const { ms, value } = await timeIt(() => OnnxModel.open(file));
  await value.release();
  return ms;
}

export async function benchLora(): Promise<void> {
  section('LoRA set switching (full-size SD 1.5 UNet, fp32, CPU)');
  const dir = await mkdtemp(join(tmpdir(), 'lb-bench-lora-'));
  try {
    const { weights } = ldmUnetWeights(new ShapeSource('sd15.safetensors', ldmUnetKeys(LDM_UNET_PREFIX, SD15_UNET)));
    const shapes = new Map(weights.names().map((n) => [n, weights.shape(n) ?? []] as const));
    await buildUnet(deriveUnetConfig(weights, { family: 'sd1' }), weights, { floatType: 'float32' }).write(join(dir, 'unet'), 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
    const unet = join(dir, 'unet', 'model.onnx');
    const attnModules = await writeLora(join(dir, 'style.safetensors'), shapes, ATTENTION, 32);
    const convModules = await writeLora(join(dir, 'locon.safetensors'), shapes, CONVS, 16);

    const base = await openMs(unet);
    row('open the plain UNet session (baseline)', fmtMs(base));
    const sets: Array<[string, Array<{ file: string; weight: number }>]> = [
      [`LoRA r32, ${attnModules} modules`, [{ file: join(dir, 'style.safetensors'), weight: 0.8 }]],
      [`+ LoCon r16, ${convModules} more modules`, [{ file: join(dir, 'style.safetensors'), weight: 0.8 }, { file: join(dir, 'locon.safetensors'), weight: 0.5 }]],
    ];
    for (const [label, uses] of sets) {
      const first = await timeIt(() => mergeLoraSet({ unet }, uses));
      const merged = first.value.files.unet ?? unet;
      const opened = await openMs(merged);
      row(`${label}: first use, merge`, `${fmtMs(first.ms)} (${fmtRatio(first.ms / base)} of baseline)`);
      row(`${label}: first use, merge + open`, `${fmtMs(first.ms + opened)} (${fmtRatio((first.ms + opened) / base)})`);
      const again = await timeIt(() => mergeLoraSet({ unet }, uses));
      if (again.value.files.unet !== merged) throw new Error('the same set should find its merged copy');
      row(`${label}: re-use (copy found; session kept by the cache)`, `${fmtMs(again.ms)} (${fmtRatio(again.ms / base)})`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
