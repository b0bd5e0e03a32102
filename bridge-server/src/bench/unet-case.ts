/**
 * One onnxruntime side of the UNet bench in its own process (its peak RSS and session start are its
 * own): opens the model (through the optimized-model cache folder when given, "-" for none), runs
 * a first step and RUNS further timed steps (RUNS = -1: no step, the session start only) at 512², batch 2, with the inputs
 * unet_step.py feeds torch, and compares the output with torch's when its file is given.
 *
 *   node unet-case.js MODEL.onnx CACHE_DIR|- RUNS THREADS TORCH_OUT.f32|-
 *   → {openMs, firstStepMs, stepMs, cpuMs (CPU time of all threads), rssAfterOpenMb, maxRssMb, relativeError?}
 */
import { readFile } from 'node:fs/promises';
import { relativeError } from '../convert/testing/compare.js';
import { OnnxModel } from '../runtime/index.js';

/** The inputs unet_step.py computes in float64 and rounds: sample[i] = sin(i), context[i] = 0.1·cos(i), t = 500. */
export function benchFeeds(): Record<string, { data: Float32Array; dims: number[] }> {
  return {
    sample: { data: Float32Array.from({ length: 2 * 4 * 64 * 64 }, (_, i) => Math.sin(i)), dims: [2, 4, 64, 64] },
    timestep: { data: new Float32Array([500]), dims: [] },
    encoder_hidden_states: { data: Float32Array.from({ length: 2 * 77 * 768 }, (_, i) => Math.cos(i) * 0.1), dims: [2, 77, 768] },
  };
}

async function main(): Promise<void> {
  const [file, cache, runsArg, threadsArg, torchOut] = process.argv.slice(2);
  const runs = Number(runsArg);
  const threads = Number(threadsArg);
  if (file === undefined || cache === undefined || !(runs >= -1) || !(threads > 0)) throw new Error('usage: unet-case MODEL.onnx CACHE_DIR|- RUNS THREADS TORCH_OUT|-');
  let t = performance.now();
  const model = await OnnxModel.open(file, { threads, ...(cache === '-' ? {} : { optimizedCache: cache }) });
  const openMs = performance.now() - t;
  const rssAfterOpenMb = process.memoryUsage.rss() / 1048576;
  const feeds = benchFeeds();
  const stepMs: number[] = [];
  const cpuMs: number[] = [];
  let firstStepMs = 0;
  let out: Float32Array | undefined;
  for (let i = 0; i <= runs; i++) {
    t = performance.now();
    const cpu = process.cpuUsage();
    const result = await model.run(feeds);
    const used = process.cpuUsage(cpu);
    if (i > 0) {
      stepMs.push(performance.now() - t);
      cpuMs.push((used.user + used.system) / 1000);
    } else firstStepMs = performance.now() - t;
    out = result['out_sample']?.data as Float32Array;
  }
  let relError: number | undefined;
  if (torchOut !== undefined && torchOut !== '-' && out !== undefined) {
    const bytes = await readFile(torchOut);
    relError = relativeError(out, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
  }
  await model.release();
  console.log(JSON.stringify({ openMs, firstStepMs, stepMs, cpuMs, rssAfterOpenMb, maxRssMb: process.resourceUsage().maxRSS / 1024, ...(relError === undefined ? {} : { relativeError: relError }) }));
}

if (process.argv[1]?.endsWith('unet-case.js') === true) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
