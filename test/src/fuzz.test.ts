import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import {
  ERROR_CATALOG,
  encodeFrame,
  parseServerMessage,
  PROTOCOL_VERSION,
  type FrameHeader,
  type ServerMessage,
} from '@latent-bridge/shared';
import { WebSocket, type RawData } from 'ws';

// Seeded fuzz of the bridge's WebSocket: 10 000+ malformed or random messages and frames from one
// authenticated client, then a valid job that must still succeed, with the server's memory after
// within a stated bound of before. The server runs as a child process so a crash cannot hide.

const SEED = 0x5eed_2026;
const ROUNDS = 10_240;
const BATCH = 512;
/** RSS growth allowed over the fuzz: the stored-frame cap (8 × a few KiB) plus allocator slack. */
const RSS_BOUND_BYTES = 96 * 1024 * 1024;
const TOKEN = 'fuzz-token-0123456789';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

let dir: string;
let server: ChildProcess;
let url: string;

/** mulberry32: small, seedable, good enough to pick mutations reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  assert.ok(kb, 'VmRSS readable');
  return Number(kb) * 1024;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lb-fuzz-'));
  server = spawn(
    process.execPath,
    [join(root, 'bridge-server/dist/cli/main.js'), 'serve', '--port', '0', '--demo', '--token', TOKEN, '--config-dir', join(dir, 'config'), '--models', join(dir, 'models')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: server.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const match = /^latent-bridge listening on (http:\/\/[^\s]+)/.exec(line);
    if (match?.[1]) {
      url = match[1].replace(/^http/, 'ws') + '/ws';
      break;
    }
  }
  assert.ok(url, 'server printed its address');
});

after(async () => {
  if (server.exitCode === null) {
    server.kill('SIGTERM');
    await once(server, 'exit');
  }
  await rm(dir, { recursive: true, force: true });
});

/** A client that queues every server message and can wait for one matching a predicate. */
class Client {
  readonly ws: WebSocket;
  readonly messages: ServerMessage[] = [];
  readonly binaries: Uint8Array[] = [];
  closed = false;
  private waiters: (() => void)[] = [];

  constructor(address: string) {
    this.ws = new WebSocket(address, { perMessageDeflate: false });
    this.ws.on('message', (data: RawData, isBinary: boolean) => {
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary) this.binaries.push(new Uint8Array(bytes));
      else this.messages.push(parseServerMessage(JSON.parse(bytes.toString('utf8'))));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.ws.on('close', () => {
      this.closed = true;
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  async open(): Promise<void> {
    await once(this.ws, 'open');
    this.ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'fuzz/1', token: TOKEN }));
    await this.waitFor((m) => m.type === 'welcome');
  }

  async waitFor(match: (m: ServerMessage) => boolean, from = 0, timeoutMs = 60_000): Promise<ServerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.slice(from).find(match);
      if (found) return found;
      if (this.closed) throw new Error('connection closed while waiting');
      if (Date.now() > deadline) throw new Error('timed out waiting for a server message');
      await new Promise<void>((wake) => {
        this.waiters.push(wake);
        setTimeout(wake, 200);
      });
    }
  }
}

const VALID_GENERATE = {
  type: 'generate',
  id: 'job',
  mode: 'txt2img',
  model: 'no-such-model',
  prompt: 'red',
  steps: 2,
  guidance: 1,
  scheduler: 'euler',
  width: 64,
  height: 64,
};

const JUNK_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 1e308, -1e308, '', 'x', '🎨'.repeat(20), [], {}, [1, 2], { a: 1 }, 2 ** 53, -(2 ** 53)];
const TYPES = ['hello', 'generate', 'cancel', 'list-models', 'status', 'welcome', 'result', 'GENERATE', '', 'frame'];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomText(random: () => number): string {
  const length = Math.floor(random() * 200);
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(Math.floor(random() * 0x7f));
  return out;
}

/** A text message: mostly mutations of a valid generate, plus raw junk and other types. */
function fuzzText(random: () => number, i: number): string {
  const r = random();
  if (r < 0.1) return randomText(random);
  if (r < 0.15) return JSON.stringify(pick(random, JUNK_VALUES));
  if (r < 0.25) return JSON.stringify({ type: pick(random, TYPES), id: `j${i}`, [randomText(random).slice(0, 8)]: pick(random, JUNK_VALUES) });
  if (r < 0.3) return JSON.stringify({ type: 'cancel', id: `never-${i}` });
  const message: Record<string, unknown> = { ...VALID_GENERATE, id: `g${i}` };
  const fields = [...Object.keys(VALID_GENERATE), 'image', 'mask', 'expand', 'batch', 'strength', 'preview', 'variation', 'resultFormat', 'seed'];
  const mutations = 1 + Math.floor(random() * 3);
  for (let m = 0; m < mutations; m++) {
    const field = pick(random, fields);
    const how = random();
    if (how < 0.3) delete message[field];
    else if (how < 0.8) message[field] = pick(random, JUNK_VALUES);
    else message[field] = field === 'mode' ? pick(random, ['img2img', 'inpaint', 'outpaint']) : { frame: Math.floor(random() * 5) };
  }
  const text = JSON.stringify(message);
  // Truncated JSON now and then.
  return random() < 0.05 ? text.slice(0, Math.floor(random() * text.length)) : text;
}

/** A binary message: a valid small frame with one corruption, a truncation, or random bytes. */
function fuzzFrame(random: () => number, i: number): Uint8Array {
  const header: FrameHeader = { kind: 'image', format: 'raw-rgba', jobId: `f${i % 97}`, frameId: i, width: 4, height: 4, channels: 4, bitDepth: 8, batchIndex: 0 };
  const frame = encodeFrame(header, new Uint8Array(64).fill(i & 0xff));
  const r = random();
  if (r < 0.15) return Uint8Array.from({ length: Math.floor(random() * 300) }, () => Math.floor(random() * 256));
  if (r < 0.3) return frame.subarray(0, Math.floor(random() * frame.length));
  const corrupt = frame.slice();
  const view = new DataView(corrupt.buffer);
  const at = Math.floor(random() * 32);
  if (r < 0.5) corrupt[at] = Math.floor(random() * 256);
  else if (r < 0.6) view.setUint32(16, 0xffff_ffff, true); // width: huge declared size
  else if (r < 0.7) view.setUint32(24, 0xffff_fff0, true); // payload length far beyond the bytes
  else if (r < 0.8) corrupt[9] = 9; // kind: unknown, or a server-only kind
  else return frame; // valid: stored until the pending-frame cap answers limit_exceeded
  return corrupt;
}

test(`fuzz: ${ROUNDS} seeded malformed messages and frames, then a valid job still succeeds`, { timeout: 600_000 }, async () => {
  const random = rng(SEED);
  const pid = server.pid;
  assert.ok(pid);
  let client = new Client(url);
  await client.open();
  const rssBefore = await rssBytes(pid);
  let reconnects = 0;
  let sent = 0;
  const codes = new Map<string, number>();
  while (sent < ROUNDS) {
    const from = client.messages.length;
    for (let k = 0; k < BATCH && sent < ROUNDS; k++, sent++) {
      if (random() < 0.6) client.ws.send(fuzzText(random, sent));
      else client.ws.send(fuzzFrame(random, sent));
    }
    // Messages are handled in order, so the answer to status means the batch was handled.
    client.ws.send(JSON.stringify({ type: 'status' }));
    try {
      await client.waitFor((m) => m.type === 'status', from);
    } catch (err) {
      if (!client.closed) throw err;
      reconnects++;
    }
    for (const m of client.messages.slice(from)) {
      if (m.type === 'error') codes.set(m.code, (codes.get(m.code) ?? 0) + 1);
    }
    if (client.closed) {
      client = new Client(url);
      await client.open();
    }
  }
  assert.equal(server.exitCode, null, 'the server is still running');
  for (const code of codes.keys()) assert.ok(code in ERROR_CATALOG, `catalogued code ${code}`);
  assert.equal(codes.get('internal') ?? 0, 0, `no internal errors: ${JSON.stringify([...codes])}`);
  const errors = [...codes.values()].reduce((a, b) => a + b, 0);
  assert.ok(errors > ROUNDS * 0.8, `most fuzz items were answered with an error (${errors} of ${ROUNDS})`);
  assert.ok((codes.get('malformed_message') ?? 0) > 300, JSON.stringify([...codes]));
  assert.ok((codes.get('invalid_field') ?? 0) > 1000, JSON.stringify([...codes]));
  assert.ok((codes.get('job_not_found') ?? 0) > 100, JSON.stringify([...codes]));
  assert.ok((codes.get('frame_invalid') ?? 0) > 1000, JSON.stringify([...codes]));
  assert.ok(reconnects <= 2, `the connection stayed usable (${reconnects} reconnects)`);
  // Measured before the valid job, which loads the demo model (that memory is the model cache's).
  const rssAfter = await rssBytes(pid);

  // Fuzz items that happened to be well-formed jobs may still be settling (each fails on its
  // unknown model); wait until the server reports none of ours, so the per-client queue has room.
  for (let settled = false, tries = 0; !settled; tries++) {
    assert.ok(tries < 100, 'fuzz jobs settle within 20 s');
    const at = client.messages.length;
    client.ws.send(JSON.stringify({ type: 'status' }));
    const status = await client.waitFor((m) => m.type === 'status', at);
    settled = status.type === 'status' && status.jobs.length === 0;
    if (!settled) await new Promise((r) => setTimeout(r, 200));
  }

  // A real job on the same connection still works: the demo oracle paints "red" at (191, 64, 64).
  const from = client.messages.length;
  client.ws.send(JSON.stringify({ ...VALID_GENERATE, id: 'after-fuzz', model: 'demo', seed: 1, steps: 4 }));
  const done = await client.waitFor((m) => (m.type === 'done' || m.type === 'error') && 'id' in m && m.id === 'after-fuzz', from);
  assert.equal(done.type, 'done', JSON.stringify(done));
  const result = client.messages.slice(from).find((m) => m.type === 'result');
  assert.ok(result && result.type === 'result');
  const frame = client.binaries.at(-1);
  assert.ok(frame);
  const pixels = frame.subarray(frame.length - 64 * 64 * 4);
  assert.ok(Math.abs((pixels[0] as number) - 191) <= 3 && Math.abs((pixels[1] as number) - 64) <= 3, `red pixel ${pixels.subarray(0, 4).join(',')}`);

  console.log(`fuzz: ${ROUNDS} items, ${errors} errors ${JSON.stringify(Object.fromEntries(codes))}, ${reconnects} reconnects, RSS ${(rssBefore / 2 ** 20).toFixed(0)} → ${(rssAfter / 2 ** 20).toFixed(0)} MiB`);
  assert.ok(rssAfter - rssBefore < RSS_BOUND_BYTES, `RSS grew ${((rssAfter - rssBefore) / 2 ** 20).toFixed(1)} MiB (bound ${RSS_BOUND_BYTES / 2 ** 20} MiB)`);
  client.ws.close();
});
