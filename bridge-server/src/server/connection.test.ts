import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { decodeFrame, encodeFrameParts, MIN_PROTOCOL_VERSION, PROTOCOL_VERSION, resolveLimits, type FrameHeader } from '@latent-bridge/shared';
import { BridgeCore } from './bridge-core.js';
import { ClientConnection } from './connection.js';
import { ensureDemoModels } from './demo-models.js';
import { ModelCache } from './model-cache.js';
import { ModelCatalog } from './model-catalog.js';
import { SHARED_FRAME_ENCODER, type FrameEncoder } from './socket-sender.js';

/** Builds frames as shared does, except for jobs whose id starts with "refused". */
const picky: FrameEncoder = {
  joined: (header, payload) => (refuses(header) ? fail() : SHARED_FRAME_ENCODER.joined(header, payload)),
  parts: (header, payload) => (refuses(header) ? fail() : SHARED_FRAME_ENCODER.parts(header, payload)),
};
const refuses = (header: FrameHeader): boolean => header.jobId.startsWith('refused');
const fail = (): never => {
  throw new Error('encoder out of memory');
};

let dir: string;
let core: BridgeCore;
let http: Server;
let wss: WebSocketServer;
let url: string;

before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lb-conn-'));
  const demo = await ensureDemoModels(dir);
  core = new BridgeCore({ limits: resolveLimits(), catalog: new ModelCatalog(undefined, demo), cache: new ModelCache(1 << 30, { threads: 1 }) });
  http = createServer();
  wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  let n = 0;
  wss.on('connection', (ws) => {
    new ClientConnection(ws, `t-${++n}`, {
      core,
      token: null,
      serverName: 'connection-test',
      protocolRange: { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION },
      helloTimeoutMs: 5000,
      previewBacklogBytes: 8 * 1024 * 1024,
      frameEncoder: picky,
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/`;
});

after(async () => {
  for (const ws of wss.clients) ws.terminate();
  wss.close();
  http.close();
  await core.close();
  await rm(dir, { recursive: true, force: true });
});

type Received = { json: Record<string, unknown> } | { frame: Buffer };

/** A client that records every message; `until` waits for one that matches. */
async function connect(): Promise<{ ws: WebSocket; log: Received[]; until: (match: (m: Record<string, unknown>) => boolean) => Promise<Record<string, unknown>> }> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const log: Received[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const bytes = data as Buffer;
    log.push(isBinary ? { frame: bytes } : { json: JSON.parse(bytes.toString('utf8')) as Record<string, unknown> });
    for (const w of waiters.splice(0)) w();
  });
  await once(ws, 'open');
  const until = async (match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> => {
    for (;;) {
      const found = log.find((m): m is { json: Record<string, unknown> } => 'json' in m && match(m.json));
      if (found) return found.json;
      if (ws.readyState !== WebSocket.OPEN) throw new Error(`socket closed; got ${JSON.stringify(jsonOf(log))}`);
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  ws.send(JSON.stringify({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'connection-test/1' }));
  await until((m) => m.type === 'welcome');
  return { ws, log, until };
}

const jsonOf = (log: Received[]): Array<Record<string, unknown>> => log.flatMap((m) => ('json' in m ? [m.json] : []));
const ends = (id: string) => (m: Record<string, unknown>) => m.id === id && (m.type === 'done' || m.type === 'error' || m.type === 'cancelled');

function generate(id: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ type: 'generate', id, mode: 'txt2img', model: 'demo', prompt: 'red', steps: 2, guidance: 1, scheduler: 'euler', width: 64, height: 64, ...extra });
}

test('a result frame the encoder refuses ends its job with internal; the connection serves the next job', async () => {
  const { ws, log, until } = await connect();
  try {
    ws.send(generate('refused-1'));
    ws.send(generate('fine-1'));
    const refused = await until(ends('refused-1'));
    assert.equal(refused.type, 'error', JSON.stringify(refused));
    assert.equal(refused.code, 'internal');
    assert.match(String(refused.message), /result 0 of job refused-1.*encoder out of memory/);
    assert.ok(!jsonOf(log).some((m) => m.id === 'refused-1' && m.type === 'result'), 'a refused frame is never announced');

    const fine = await until(ends('fine-1'));
    assert.equal(fine.type, 'done', JSON.stringify(fine));
    assert.equal(fine.results, 1);
    const at = log.findIndex((m) => 'json' in m && m.json.id === 'fine-1' && m.json.type === 'result');
    const frame = log[at + 1];
    assert.ok(frame !== undefined && 'frame' in frame, 'the announced result frame follows its message');
    const decoded = decodeFrame(frame.frame);
    assert.equal(decoded.header.jobId, 'fine-1');
    assert.equal(decoded.header.kind, 'result');
    assert.equal(ws.readyState, WebSocket.OPEN);
  } finally {
    ws.close();
  }
});

test('an animation whose first frame cannot be sent stops there instead of rendering the rest', async () => {
  const { ws, log, until } = await connect();
  try {
    ws.send(generate('refused-anim', { animation: { frames: 5, toSeed: 9 } }));
    const end = await until(ends('refused-anim'));
    assert.equal(end.type, 'error', JSON.stringify(end));
    assert.equal(end.code, 'internal');
    const steps = jsonOf(log).filter((m) => m.id === 'refused-anim' && m.type === 'progress').length;
    // 5 frames × 2 steps would report 10; the job ends within the second frame.
    assert.ok(steps <= 4, `${steps} progress reports after the first frame failed`);
  } finally {
    ws.close();
  }
});

test('an image frame sent as header and payload fragments is taken whole', async () => {
  const { ws, until } = await connect();
  try {
    const side = 64;
    const pixels = new Uint8Array(side * side * 4).fill(200);
    const header: FrameHeader = { kind: 'image', format: 'raw-rgba', width: side, height: side, channels: 4, bitDepth: 8, frameId: 7, jobId: 'split-1', batchIndex: 0 };
    const { head, payload } = encodeFrameParts(header, pixels);
    ws.send(head, { binary: true, fin: false });
    ws.send(payload, { binary: true, fin: true });
    ws.send(generate('split-1', { mode: 'img2img', strength: 0.5, image: { frame: 7 }, width: undefined, height: undefined }));
    const end = await until(ends('split-1'));
    assert.equal(end.type, 'done', JSON.stringify(end));

    // The same frame cut mid-header is still checked as one message: a wrong payload length is refused.
    const short = new Uint8Array(head.length + 10);
    short.set(head);
    ws.send(short.subarray(0, 20), { binary: true, fin: false });
    ws.send(short.subarray(20), { binary: true, fin: true });
    const refused = await until((m) => m.type === 'error' && m.code === 'frame_invalid');
    assert.equal(refused.id, 'split-1');
    assert.equal(refused.field, 'payload');
  } finally {
    ws.close();
  }
});

test('duplicate ids, cancels and status are answered on the connection that asked', async () => {
  const { ws, log, until } = await connect();
  try {
    ws.send(generate('dup-1'));
    ws.send(generate('dup-1'));
    const duplicate = await until((m) => m.type === 'error' && m.field === 'id');
    assert.equal(duplicate.code, 'invalid_field');
    assert.equal(duplicate.id, undefined, 'a refused duplicate must not end the job it names');

    ws.send(generate('gone-1'));
    ws.send(JSON.stringify({ type: 'cancel', id: 'gone-1' }));
    assert.equal((await until(ends('gone-1'))).type, 'cancelled');

    ws.send(JSON.stringify({ type: 'cancel', id: 'nope-1' }));
    const missing = await until((m) => m.type === 'error' && m.id === 'nope-1');
    assert.equal(missing.code, 'job_not_found');

    ws.send(JSON.stringify({ type: 'status' }));
    const status = await until((m) => m.type === 'status');
    assert.ok(Array.isArray(status.jobs) && typeof status.queueLength === 'number', JSON.stringify(status));

    assert.equal((await until(ends('dup-1'))).type, 'done');
    assert.equal(jsonOf(log).filter((m) => m.id === 'dup-1' && (m.type === 'done' || m.type === 'error')).length, 1);
  } finally {
    ws.close();
  }
});
