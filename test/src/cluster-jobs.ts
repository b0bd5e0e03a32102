import assert from 'node:assert/strict';
import type { GenerateMessageInput } from '@latent-bridge/bridge-server';
import { BridgeClient, type JobTrace } from './bridge-client.js';

/** One job of the queue tests: the generate, plus the frames it needs, sent the same way to every bridge. */
export interface ClusterJob {
  fields: Omit<GenerateMessageInput, 'type' | 'id'>;
  frames?: Array<{ kind: 'image' | 'mask'; frameId: number; width: number; height: number; payload: Uint8Array }>;
}

let nextId = 0;

/** Sends the job (with a fresh id) and waits for its end. */
export async function runOn(client: BridgeClient, job: ClusterJob, timeoutMs = 120_000): Promise<JobTrace & { id: string }> {
  const id = `q${++nextId}`;
  const from = client.mark();
  send(client, id, job);
  return { ...(await client.job(id, timeoutMs, from)), id };
}

let nextFrame = 0;

/** Sends the job's frames under fresh frame ids (jobs overlap on one connection), then the generate. */
export function send(client: BridgeClient, id: string, job: ClusterJob): void {
  const ids = new Map<number, number>();
  for (const f of job.frames ?? []) {
    const gray = f.kind === 'mask';
    const frameId = ++nextFrame;
    ids.set(f.frameId, frameId);
    client.sendFrame(
      { kind: f.kind, format: gray ? 'raw-gray' : 'raw-rgba', width: f.width, height: f.height, channels: gray ? 1 : 4, bitDepth: 8, frameId, jobId: id, batchIndex: 0 },
      f.payload,
    );
  }
  const ref = (r: { frame: number } | undefined): { frame: number } | undefined => (r === undefined ? undefined : { frame: ids.get(r.frame) ?? r.frame });
  const fields = { ...job.fields, image: ref(job.fields.image), mask: ref(job.fields.mask) };
  client.generate({ ...fields, id } as Omit<GenerateMessageInput, 'type'>);
}

/** Same results, byte for byte, in the same order, with the same seeds and parameters. */
export function assertSameResults(actual: JobTrace, expected: JobTrace, what: string): void {
  assert.equal(actual.end.type, 'done', `${what}: ${JSON.stringify(actual.end)}`);
  assert.equal(expected.end.type, 'done', `${what} (single process): ${JSON.stringify(expected.end)}`);
  assert.equal(actual.results.length, expected.results.length, `${what}: result count`);
  actual.results.forEach((r, i) => {
    const e = expected.results[i];
    assert.ok(e !== undefined);
    const { jobId: _a, frameId: _fa, ...header } = r.header as typeof r.header & { frameId?: number };
    const { jobId: _b, frameId: _fb, ...expectedHeader } = e.header as typeof e.header & { frameId?: number };
    assert.deepEqual(header, expectedHeader, `${what}: result ${i} header`);
    assert.ok(Buffer.from(r.payload).equals(Buffer.from(e.payload)), `${what}: result ${i} bytes differ from the single-process bridge's`);
  });
  // Seeds and A1111 parameters come in the result messages.
  const announced = (t: JobTrace): unknown[] =>
    t.messages.flatMap((m) => (m.type === 'result' ? [{ ...m, id: '', frame: 0 }] : []));
  assert.deepEqual(announced(actual), announced(expected), `${what}: result messages`);
}

/** Deterministic pixels for request images. */
export function noise(width: number, height: number, channels: number, seed: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = channels === 4 && i % 4 === 3 ? 255 : (x >>> 0) & 0xff;
  }
  return out;
}

/** A mix of modes and models: txt2img batches, img2img with an image, inpaint with image and mask. */
export function mixedJobs(count: number, base = 0): ClusterJob[] {
  const jobs: ClusterJob[] = [];
  for (let i = 0; i < count; i++) {
    const seed = 100 + base + i;
    const common = { prompt: ['red', 'green', 'blue'][i % 3] ?? 'red', steps: 6, guidance: 2, scheduler: 'euler', seed, width: 64, height: 64, resultFormat: 'raw-rgba' } as const;
    if (i % 3 === 0) jobs.push({ fields: { ...common, mode: 'txt2img', model: 'demo', batch: 2 } });
    else if (i % 3 === 1) {
      jobs.push({
        fields: { ...common, mode: 'img2img', model: 'demo', strength: 0.6, image: { frame: 1 } },
        frames: [{ kind: 'image', frameId: 1, width: 64, height: 64, payload: noise(64, 64, 4, seed) }],
      });
    } else {
      const mask = new Uint8Array(64 * 64);
      for (let y = 16; y < 48; y++) mask.fill(255, y * 64 + 16, y * 64 + 48);
      jobs.push({
        fields: { ...common, mode: 'inpaint', model: 'demo-inpaint', strength: 1, image: { frame: 1 }, mask: { frame: 2 }, padding: 8 },
        frames: [
          { kind: 'image', frameId: 1, width: 64, height: 64, payload: noise(64, 64, 4, seed) },
          { kind: 'mask', frameId: 2, width: 64, height: 64, payload: mask },
        ],
      });
    }
  }
  return jobs;
}

/** A job that keeps a worker busy for seconds: big, batched, many steps. */
export function longJob(seed: number, side = 1024, batch = 4): ClusterJob {
  return { fields: { mode: 'txt2img', model: 'demo', prompt: 'blue', steps: 150, guidance: 3, scheduler: 'euler', seed, width: side, height: side, batch, resultFormat: 'raw-rgba' } };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
