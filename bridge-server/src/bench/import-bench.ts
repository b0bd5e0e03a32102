/**
 * Checkpoint import at full size: a random-weight SD 1.5 checkpoint (fp16 .safetensors, CompVis
 * layout, 1.07 B parameters; written by torch from the import tests' module reimplementations)
 * imported to fp32 and fp16 ONNX folders, each in its own process. Reported against a plain copy
 * measured in the same run (read the checkpoint, write as many bytes as the import wrote) and peak
 * RSS against the largest component written. LATENT_BRIDGE_BENCH_IMPORT=sdxl adds SDXL base shapes
 * (2.6 B UNet; needs about 12 GB of memory to write the checkpoint and 14 GB of disk).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findTorchPython, repoRoot, runPython } from '../checkpoint/testing/torch-python.js';
import { fmtMs, fmtRatio, row, section } from './report.js';

const run = promisify(execFile);

interface ImportCase {
  ms: number;
  maxRssMb: number;
  bytesWritten: number;
  largestComponentBytes: number;
}

async function runCase<T>(...args: string[]): Promise<T> {
  const { stdout } = await run(process.execPath, [join(import.meta.dirname, 'import-case.js'), ...args], { maxBuffer: 1 << 20, timeout: 3 * 3600_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as T;
}

const GiB = 1024 ** 3;

export async function benchImport(): Promise<void> {
  section('checkpoint import at full size (random weights, fp16 .safetensors source, CPU)');
  const torch = await findTorchPython();
  if (torch === undefined) {
    row('skipped', 'no Python with torch to write the checkpoint (apt install python3-torch)');
    return;
  }
  const kinds = process.env['LATENT_BRIDGE_BENCH_IMPORT'] === 'sdxl' ? ['sd15', 'sdxl'] : ['sd15'];
  for (const kind of kinds) {
    const dir = await mkdtemp(join(tmpdir(), `lb-bench-import-${kind}-`));
    try {
      const source = join(dir, `${kind}.safetensors`);
      const script = join(repoRoot(), 'bridge-server', 'src', 'bench', 'torch', 'full_checkpoint.py');
      // The script loads its sibling references by path, so it runs from its file.
      const wrapper = `import runpy, sys\nsys.argv = [${JSON.stringify(script)}, *sys.argv[1:]]\nrunpy.run_path(${JSON.stringify(script)}, run_name='__main__')\n`;
      const written = await runPython(torch.python, wrapper, [source, kind], { timeoutMs: 3 * 3600_000 });
      const made = JSON.parse(written.stdout.trim().split('\n').pop() ?? '{}') as { tensors: number; bytes: number };
      row(`${kind}: checkpoint`, `${made.tensors} tensors, ${(made.bytes / GiB).toFixed(2)} GiB of fp16 weights`);
      for (const dtype of ['fp32', 'fp16']) {
        const store = join(dir, `store-${dtype}`);
        const imported = await runCase<ImportCase>('import', source, store, dtype);
        const copy = await runCase<{ ms: number }>('copy', source, join(dir, 'copy.bin'), String(imported.bytesWritten));
        await rm(store, { recursive: true, force: true });
        await rm(join(dir, 'copy.bin'), { force: true });
        const largest = imported.largestComponentBytes / GiB;
        row(`${kind} → ${dtype}: import`, `${fmtMs(imported.ms)}, wrote ${(imported.bytesWritten / GiB).toFixed(2)} GiB`);
        row(`${kind} → ${dtype}: plain copy of the same bytes`, fmtMs(copy.ms));
        row(`${kind} → ${dtype}: import / copy (target ≤ 2)`, fmtRatio(imported.ms / copy.ms));
        row(`${kind} → ${dtype}: peak RSS − largest component (target ≤ 1 GiB)`, `${(imported.maxRssMb / 1024 - largest).toFixed(2)} GiB (RSS ${(imported.maxRssMb / 1024).toFixed(2)} GiB, largest ${largest.toFixed(2)} GiB)`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
