import { benchEdit } from './edit-bench.js';
import { benchFamilies } from './families-bench.js';
import { benchImport } from './import-bench.js';
import { benchLora } from './lora-bench.js';
import { benchPipeline } from './pipeline-bench.js';
import { benchTransport } from './transport-bench.js';
import { benchPreviews } from './preview-bench.js';
import { benchQueue } from './queue-bench.js';
import { benchUnetJob } from './job-bench.js';
import { benchUnet } from './unet-bench.js';
import { benchVae } from './vae-bench.js';

const SECTIONS: Record<string, () => Promise<void>> = {
  pipeline: benchPipeline,
  families: benchFamilies,
  import: benchImport,
  edit: benchEdit,
  transport: benchTransport,
  previews: benchPreviews,
  queue: benchQueue,
  lora: benchLora,
  vae: benchVae,
  unet: benchUnet,
  'unet-job': benchUnetJob,
};

/**
 * `npm run bench [-- SECTION ...]`: every benchmark (or the named ones), each reporting ratios
 * against a baseline measured in the same run.
 */
async function main(): Promise<void> {
  const asked = process.argv.slice(2);
  const unknown = asked.filter((name) => !(name in SECTIONS));
  if (unknown.length > 0) throw new Error(`unknown bench section(s) ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  let names = asked.length > 0 ? asked : Object.keys(SECTIONS);
  if (asked.length === 0 && process.env['LATENT_BRIDGE_BENCH_SKIP_VAE'] === '1') names = names.filter((n) => n !== 'vae');
  // The unet section ends with the whole job itself; unet-job runs it alone.
  if (asked.length === 0) names = names.filter((n) => n !== 'unet-job');
  if (asked.length === 0 && process.env['LATENT_BRIDGE_BENCH_SKIP_UNET'] === '1') names = names.filter((n) => n !== 'unet');
  console.log(`# latent-bridge benchmarks (${new Date().toISOString()}, node ${process.version}, ${process.arch})`);
  for (const name of names) await (SECTIONS[name] as () => Promise<void>)();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
