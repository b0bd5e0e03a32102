import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchEdit } from './edit-bench.js';
import { benchPipeline } from './pipeline-bench.js';
import { benchTransport } from './transport-bench.js';
import { benchPreviews } from './preview-bench.js';

const SECTIONS: Record<string, () => Promise<void>> = {
  pipeline: benchPipeline,
  edit: benchEdit,
  transport: benchTransport,
  previews: benchPreviews,
};

/**
 * Runs one section in a process of its own. A section that churns through hundreds of MB (the
 * scheduler steps) leaves V8's collection heuristics and the allocator in a state that bills the
 * next section's jobs with collections they did not cause; a fresh process is what a bridge
 * serving jobs looks like.
 */
function runSection(name: string): Promise<void> {
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), name], { stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`bench section ${name} ended with ${signal ?? code}`))));
  });
}

/**
 * `npm run bench`: every benchmark, each reporting ratios against a baseline measured in the same
 * run; `node bench/main.js edit` (or pipeline, transport, previews) runs one section here.
 */
async function main(): Promise<void> {
  const only = process.argv[2];
  if (only !== undefined) {
    const section = SECTIONS[only];
    if (section === undefined) throw new Error(`unknown bench section "${only}"; one of ${Object.keys(SECTIONS).join(', ')}`);
    await section();
    return;
  }
  console.log(`# latent-bridge benchmarks (${new Date().toISOString()}, node ${process.version}, ${process.arch})`);
  for (const name of Object.keys(SECTIONS)) await runSection(name);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
