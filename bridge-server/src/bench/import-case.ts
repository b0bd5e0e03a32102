/**
 * One import-bench case in its own process, so its peak RSS is its own:
 *   node import-case.js import SOURCE STORE_DIR fp32|fp16   → {ms, maxRssMb, bytesWritten, largestComponentBytes}
 *   node import-case.js copy SOURCE OUT_FILE BYTES_TO_WRITE  → {ms, maxRssMb}
 * The copy is the floor an import is measured against: read every byte of the checkpoint and write
 * as many bytes as the import wrote, in 4 MiB blocks through one reused buffer.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { importModel } from '../convert/import-model.js';
import { ModelStore } from '../models/model-store.js';

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    total += entry.isDirectory() ? await folderBytes(p) : (await stat(p)).size;
  }
  return total;
}

async function runImport(source: string, storeDir: string, dtype: 'fp32' | 'fp16'): Promise<object> {
  const t = performance.now();
  const result = await importModel({ source, store: new ModelStore(storeDir), name: 'bench', dtype });
  const ms = performance.now() - t;
  let largest = 0;
  for (const entry of await readdir(result.dir, { withFileTypes: true })) {
    if (entry.isDirectory()) largest = Math.max(largest, await folderBytes(join(result.dir, entry.name)));
  }
  return { ms, bytesWritten: await folderBytes(result.dir), largestComponentBytes: largest };
}

async function runCopy(source: string, out: string, toWrite: number): Promise<object> {
  const t = performance.now();
  const block = Buffer.allocUnsafe(4 << 20);
  const input = await open(source, 'r');
  const output = await open(out, 'w');
  try {
    let written = 0;
    for (;;) {
      const { bytesRead } = await input.read(block, 0, block.length, null);
      if (bytesRead === 0) break;
      const n = Math.min(bytesRead, toWrite - written);
      if (n > 0) written += (await output.write(block, 0, n)).bytesWritten;
    }
    // An fp32 import of an fp16 file writes more than it reads: the rest from the same buffer.
    while (written < toWrite) written += (await output.write(block, 0, Math.min(block.length, toWrite - written))).bytesWritten;
  } finally {
    await input.close();
    await output.close();
  }
  return { ms: performance.now() - t };
}

async function main(): Promise<void> {
  const [kind, source, target, extra] = process.argv.slice(2);
  if (source === undefined || target === undefined || extra === undefined) throw new Error('usage: import-case import|copy SOURCE TARGET DTYPE|BYTES');
  const out = kind === 'import' ? await runImport(source, target, extra === 'fp16' ? 'fp16' : 'fp32') : await runCopy(source, target, Number(extra));
  console.log(JSON.stringify({ ...out, maxRssMb: (process.resourceUsage().maxRSS * 1024) / 1048576 }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
