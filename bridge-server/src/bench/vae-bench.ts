/**
 * VAE decoding at real sizes and what TAESD previews cost, each case in its own process (peak RSS
 * is per case): the decoder untiled at 512² (the baseline), tiled at 512² (the tiling overhead)
 * and tiled at 2048², and TAESD at 64² and 128² latents against the 512² decode.
 *
 * The VAE has SD's AutoencoderKL structure with random weights. By default its channels are a
 * quarter of SD's ([32, 64, 128, 128], about 1/16 of the compute) so the section runs in minutes
 * on a small machine; LATENT_BRIDGE_BENCH_VAE=full uses SD's real widths ([128, 256, 512, 512]).
 * LATENT_BRIDGE_BENCH_UNET=1 also builds a full-size SD 1.5 UNet (zero weights, 3.4 GB on disk) and
 * measures one step at 512², batch 2, beside a TAESD decode in the same process: the preview share
 * of a job with a preview every step.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { installTaesd } from '../convert/taesd-install.js';
import { rewriteGroupNormStats } from '../onnx-rewrite/index.js';
import { randomVaeDecoder, SD_VAE, type RandomVaeArch } from '../testmodels/tinyRandom/vae.js';
import { writeRandomTaesdDecoder } from '../testmodels/taesd.js';
import { fmtMs, fmtRatio, row, section } from './report.js';

const run = promisify(execFile);
const QUARTER: RandomVaeArch = { blockChannels: [32, 64, 128, 128], groups: 16, layersPerBlock: 2 };

interface CaseResult {
  ms: number;
  maxRssMb: number;
}

async function runCase(kind: 'decode' | 'tiled' | 'taesd', file: string, h: number, w: number): Promise<CaseResult> {
  const script = join(import.meta.dirname, 'vae-case.js');
  const { stdout } = await run(process.execPath, [script, kind, file, String(h), String(w)], { maxBuffer: 1 << 20, timeout: 3 * 3600_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as CaseResult;
}

export async function benchVae(): Promise<void> {
  const full = process.env['LATENT_BRIDGE_BENCH_VAE'] === 'full';
  const arch = full ? SD_VAE : QUARTER;
  section(`VAE decode and TAESD previews (AutoencoderKL ${full ? 'at SD width' : 'at 1/4 of SD width'} [${arch.blockChannels.join(', ')}], random weights)`);
  const dir = await mkdtemp(join(tmpdir(), 'lb-bench-vae-'));
  try {
    await randomVaeDecoder(arch, 'float32', 1).write(join(dir, 'vae'), 'model.onnx', { location: 'model.onnx_data', thresholdBytes: 1024 });
    await rewriteGroupNormStats(join(dir, 'vae', 'model.onnx'), join(dir, 'vae', 'gn.onnx'));
    await writeRandomTaesdDecoder(join(dir, 'taesd.safetensors'), 2);
    await installTaesd(join(dir, 'taesd.safetensors'), join(dir, 'taesd'), 'taesd');

    const base = await runCase('decode', join(dir, 'vae', 'model.onnx'), 64, 64);
    row('decode 512² untiled (baseline)', `${fmtMs(base.ms)}, peak RSS ${base.maxRssMb.toFixed(0)} MiB`);
    const tiled512 = await runCase('tiled', join(dir, 'vae', 'gn.onnx'), 64, 64);
    row('decode 512² tiled (forced; estimate + 1 stats pass)', `${fmtMs(tiled512.ms)} = ${fmtRatio(tiled512.ms / base.ms)}, peak RSS ${tiled512.maxRssMb.toFixed(0)} MiB`);
    const tiled2048 = await runCase('tiled', join(dir, 'vae', 'gn.onnx'), 256, 256);
    row('decode 2048² tiled', `${fmtMs(tiled2048.ms)} = ${fmtRatio(tiled2048.ms / base.ms)} (16× the pixels), peak RSS ${tiled2048.maxRssMb.toFixed(0)} MiB = ${fmtRatio(tiled2048.maxRssMb / base.maxRssMb)}`);
    row('  time per pixel vs untiled 512²', fmtRatio(tiled2048.ms / 16 / base.ms));

    const taesd64 = await runCase('taesd', join(dir, 'taesd', 'model.onnx'), 64, 64);
    const taesd128 = await runCase('taesd', join(dir, 'taesd', 'model.onnx'), 128, 128);
    row('TAESD preview, 64² latent (512²)', `${fmtMs(taesd64.ms)} = ${fmtRatio(taesd64.ms / base.ms)} of the 512² decode`);
    row('TAESD preview, 128² latent (1024²)', `${fmtMs(taesd128.ms)}, peak RSS ${taesd128.maxRssMb.toFixed(0)} MiB`);
    if (process.env['LATENT_BRIDGE_BENCH_UNET'] === '1') {
      const script = join(import.meta.dirname, 'unet-step-case.js');
      const { stdout } = await run(process.execPath, [script, join(dir, 'taesd', 'model.onnx'), dir], { maxBuffer: 1 << 20, timeout: 3600_000 });
      const r = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { unetMs: number; taesdMs: number };
      row('SD 1.5 UNet step, 512², batch 2 (same process as:)', fmtMs(r.unetMs));
      row('TAESD preview, 64² latent', `${fmtMs(r.taesdMs)}: ${((r.taesdMs / (r.unetMs + r.taesdMs)) * 100).toFixed(2)} % of a job with a preview every step`);
    } else {
      row('preview share of a job', 'LATENT_BRIDGE_BENCH_UNET=1 measures a full-size UNet step beside it');
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
