import { spawn } from 'node:child_process';
import { fmtMs, fmtRatio, row, section } from './report.js';
import { measureTransport, SIDE, type Timing, type TransportTimings } from './transport-rounds.js';

/**
 * How pixels travel between a plug-in and the bridge, on loopback: a 2048×2048 RGBA selection out
 * and a result of the same size back, as our binary frames over ws, as base64 inside JSON (what
 * rival plug-ins do with A1111/ComfyUI), and as a raw TCP echo of the same bytes (the floor).
 *
 * The ws path must put payload-sized buffers in memory the TCP echo never makes: the client's
 * masked copy, the receiver's assembled payload each way, and the socket chunks ws holds until a
 * frame is whole. Where fresh pages are dear (a VM faults each 4 KiB page in, ~12 µs each), that
 * memory is most of the gap, and it depends on whether the C allocator kept freed memory or gave
 * it back to the system. So the same rounds are run again in a child process whose glibc allocator
 * keeps freed memory, and both are reported, with page faults per round trip.
 */
const KEEP_FREED_MEMORY = 'glibc.malloc.trim_threshold=4294967296:glibc.malloc.mmap_threshold=33554432';

function faults(t: Timing): string {
  return `${t.faults} page faults (${((t.faults * 4096) / 2 ** 20).toFixed(0)} MiB fresh)`;
}

/** The ws and TCP rounds in a child process with glibc told to keep freed memory; undefined off glibc or on failure. */
async function measureWithWarmAllocator(): Promise<TransportTimings | undefined> {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  if (report?.header?.glibcVersionRuntime === undefined) return undefined;
  const script = `const m = await import(${JSON.stringify(new URL('./transport-rounds.js', import.meta.url).href)});
process.stdout.write(JSON.stringify(await m.measureTransport(false)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, GLIBC_TUNABLES: KEEP_FREED_MEMORY },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) return undefined;
  return JSON.parse(out) as TransportTimings;
}

export async function benchTransport(): Promise<void> {
  const { binary, tcp, base64 } = await measureTransport(true);
  const warm = await measureWithWarmAllocator();

  section(`transport: ${SIDE}×${SIDE} RGBA (16 MiB) out and back on loopback, median of 10`);
  row('binary frames over ws (ours)', fmtMs(binary.ms));
  if (base64) row('base64 inside JSON over ws (rivals)', fmtMs(base64.ms));
  row('raw TCP echo (floor)', fmtMs(tcp.ms));
  if (base64) row('base64 JSON / binary frames (target ≥ 3)', fmtRatio(base64.ms / binary.ms));
  row('binary frames / raw TCP (target ≤ 1.5)', fmtRatio(binary.ms / tcp.ms));
  row('  binary frames: fresh memory per round trip', faults(binary));
  row('  raw TCP echo: fresh memory per round trip', faults(tcp));
  if (warm) {
    row('  allocator keeping freed memory: binary frames', `${fmtMs(warm.binary.ms)}, ${faults(warm.binary)}`);
    row('  allocator keeping freed memory: raw TCP', fmtMs(warm.tcp.ms));
    row('  allocator keeping freed memory: binary / raw TCP', fmtRatio(warm.binary.ms / warm.tcp.ms));
  }
}
