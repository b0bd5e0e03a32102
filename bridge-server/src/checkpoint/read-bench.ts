/**
 * Checkpoint reading speed, as ratios against baselines measured in the same run (not a test):
 * - float16 -> float32 conversion per element, against a float32 -> float32 typed-array copy;
 * - reading every tensor of a large fp16 safetensors file (raw, and converted to float32), against
 *   reading the same bytes sequentially into one reused buffer (the plain-copy floor).
 * Reports peak RSS against the largest tensor. Run: node bridge-server/dist/checkpoint/read-bench.js
 * [GiB of data, default 1.7 = SD 1.5's ~860M UNet+VAE+CLIP parameters in fp16].
 */
import { open, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { convertF16 } from './dtypes.js';
import { openSafetensors } from './safetensors.js';
import { writeSafetensors, type SafetensorsTensorToWrite } from './safetensors-writer.js';

export interface ReadBenchResult {
  readonly f16NsPerElement: number;
  readonly copyNsPerElement: number;
  readonly fileBytes: number;
  readonly plainReadMs: number;
  readonly readRawMs: number;
  readonly readRawIntoMs: number;
  readonly readFloat32Ms: number;
  readonly readFloat32IntoMs: number;
  readonly peakRssBytes: number;
  readonly largestTensorBytes: number;
}

function best(times: number[]): number {
  return Math.min(...times);
}

/** Weights-like halves: N(0, 0.05)-ish values, so the conversion takes its normal-number path as real weights do. */
function weightHalves(count: number, seed: number): Uint16Array {
  const out = new Uint16Array(count);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    const mag = 0x2000 + ((s >>> 0) % 0x1800); // exponents around 2^-7 .. 2^-1
    out[i] = ((s & 0x80000000) >>> 16) | mag;
  }
  return out;
}

export function measureF16Conversion(elements = 100_000_000, rounds = 5): { f16: number; copy: number } {
  const src = weightHalves(elements, 12345);
  const out = new Float32Array(elements);
  const outBits = new Uint32Array(out.buffer);
  const copySrc = new Float32Array(elements).fill(0.5);
  const f16: number[] = [];
  const copy: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    convertF16(src, outBits);
    f16.push(performance.now() - t);
    t = performance.now();
    out.set(copySrc);
    copy.push(performance.now() - t);
  }
  return { f16: (best(f16) * 1e6) / elements, copy: (best(copy) * 1e6) / elements };
}

/** SD 1.5-like tensor sizes (largest first is typical of neither order; mixed like a real file). */
function plannedTensors(totalBytes: number): Array<{ key: string; elements: number }> {
  const sizes = [49408 * 768, 1280 * 1280 * 9, 320 * 320 * 9, 640 * 640 * 9, 1280 * 1280, 5120 * 1280, 768 * 768, 320, 1280];
  const out: Array<{ key: string; elements: number }> = [];
  let bytes = 0;
  for (let i = 0; bytes < totalBytes; i++) {
    const elements = sizes[i % sizes.length]!;
    out.push({ key: `model.tensor_${i}.weight`, elements });
    bytes += elements * 2;
  }
  return out;
}

export async function benchCheckpointRead(gib = 1.7): Promise<ReadBenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'lb-read-bench-'));
  const file = join(dir, 'bench.safetensors');
  // The conversion measurement holds 1 GB of arrays; it runs first and alone, so the peak RSS
  // sampled afterwards is the reading's own.
  const conv = measureF16Conversion();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  try {
    const planned = plannedTensors(gib * 1024 ** 3);
    const tensors: SafetensorsTensorToWrite[] = planned.map((p, i) => ({
      key: p.key,
      dtype: 'F16',
      shape: [p.elements],
      data: () => new Uint8Array(weightHalves(p.elements, i + 1).buffer),
    }));
    await writeSafetensors(file, tensors);
    const st = await openSafetensors(file);
    const keys = st.keys();
    const largest = Math.max(...planned.map((p) => p.elements * 2));
    const run = async (fn: () => Promise<void>): Promise<number> => {
      const times: number[] = [];
      for (let r = 0; r < 3; r++) {
        const t = performance.now();
        await fn();
        times.push(performance.now() - t);
      }
      return best(times);
    };
    const size = st.fileSize;
    peak = process.memoryUsage().rss;
    const plainReadMs = await run(async () => {
      const handle = await open(file, 'r');
      const buffer = new Uint8Array(largest);
      for (let at = 0; at < size; ) {
        const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.byteLength, size - at), at);
        at += bytesRead;
      }
      await handle.close();
    });
    const readRawMs = await run(async () => {
      for (const k of keys) await st.readRaw(k);
    });
    const rawTarget = new Uint8Array(largest);
    const readRawIntoMs = await run(async () => {
      for (const k of keys) await st.readRawInto(k, rawTarget.subarray(0, st.entry(k)?.byteLength ?? 0));
    });
    const readFloat32Ms = await run(async () => {
      for (const k of keys) await st.readFloat32(k);
    });
    const floatTarget = new Float32Array(largest / 2);
    const readFloat32IntoMs = await run(async () => {
      for (const k of keys) await st.readFloat32Into(k, floatTarget.subarray(0, (st.entry(k)?.byteLength ?? 0) / 2));
    });
    await st.close();
    return {
      f16NsPerElement: conv.f16,
      copyNsPerElement: conv.copy,
      fileBytes: size,
      plainReadMs,
      readRawMs,
      readRawIntoMs,
      readFloat32Ms,
      readFloat32IntoMs,
      peakRssBytes: peak,
      largestTensorBytes: largest,
    };
  } finally {
    clearInterval(sampler);
    await rm(dir, { recursive: true, force: true });
  }
}

function report(r: ReadBenchResult): void {
  const gb = r.fileBytes / 1e9;
  const line = (label: string, ms: number) =>
    console.log(`${label.padEnd(44)} ${ms.toFixed(0).padStart(7)} ms  ${(gb / (ms / 1000)).toFixed(2)} GB/s  ${(ms / r.plainReadMs).toFixed(2)}× plain read`);
  console.log('## checkpoint reading');
  console.log(`${'f16 -> f32 conversion (100M weights)'.padEnd(44)} ${r.f16NsPerElement.toFixed(3)} ns/element  (${(r.f16NsPerElement / r.copyNsPerElement).toFixed(2)}× a f32 copy at ${r.copyNsPerElement.toFixed(3)} ns)`);
  console.log(`file: ${(r.fileBytes / 1024 ** 3).toFixed(2)} GiB fp16 safetensors, page cache warm, best of 3`);
  line('plain sequential read (baseline)', r.plainReadMs);
  line('readRaw, every tensor', r.readRawMs);
  line('readRawInto one reused buffer', r.readRawIntoMs);
  line('readFloat32 (fp16 -> f32), every tensor', r.readFloat32Ms);
  line('readFloat32Into one reused buffer', r.readFloat32IntoMs);
  console.log(`${'peak RSS'.padEnd(44)} ${(r.peakRssBytes / 1024 ** 2).toFixed(0)} MiB (largest tensor ${(r.largestTensorBytes / 1024 ** 2).toFixed(0)} MiB fp16, ${((r.largestTensorBytes * 2) / 1024 ** 2).toFixed(0)} MiB as f32)`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  benchCheckpointRead(Number(process.argv[2] ?? '1.7'))
    .then(report)
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
