import { benchEdit } from './edit-bench.js';
import { benchPipeline } from './pipeline-bench.js';
import { benchTransport } from './transport-bench.js';
import { benchPreviews } from './preview-bench.js';
import { benchVae } from './vae-bench.js';

/** `npm run bench`: every benchmark, each reporting ratios against a baseline measured in the same run. */
async function main(): Promise<void> {
  console.log(`# latent-bridge benchmarks (${new Date().toISOString()}, node ${process.version}, ${process.arch})`);
  await benchPipeline();
  await benchEdit();
  await benchTransport();
  await benchPreviews();
  if (process.env['LATENT_BRIDGE_BENCH_SKIP_VAE'] !== '1') await benchVae();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
