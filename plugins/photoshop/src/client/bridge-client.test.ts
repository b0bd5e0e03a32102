import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, test } from 'node:test';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import { BridgeError, decodeFrame, encodeFrame, parseClientMessage, type DecodedFrame } from '@latent-bridge/shared';
import { wsFactory } from '../e2e/spawn-bridge.js';
import { demoWelcome } from '../fake/fake-bridge-socket.js';
import { BridgeClient } from './bridge-client.js';

/** A tiny scripted server: records what arrives, answers through `script`. */
interface Received {
  texts: Record<string, unknown>[];
  frames: DecodedFrame[];
  order: string[];
}

type Script = (socket: ServerSocket, message: Record<string, unknown>, received: Received) => void;

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    for (const client of server.clients) client.terminate();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function serve(script: Script): Promise<{ url: string; received: Received; server: WebSocketServer }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  servers.push(server);
  await new Promise((resolve) => server.once('listening', resolve));
  const received: Received = { texts: [], frames: [], order: [] };
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeFrame(new Uint8Array(data as Buffer), undefined, ['image', 'mask']);
        received.frames.push(frame);
        received.order.push(`frame:${frame.header.kind}`);
        return;
      }
      const message = JSON.parse(String(data)) as Record<string, unknown>;
      parseClientMessage(message); // everything the client sends must be valid protocol
      received.texts.push(message);
      received.order.push(String(message['type']));
      script(socket, message, received);
    });
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

function welcoming(next?: Script): Script {
  return (socket, message, received) => {
    if (message['type'] === 'hello') socket.send(JSON.stringify(demoWelcome()));
    else next?.(socket, message, received);
  };
}

function sendResult(socket: ServerSocket, id: string, index: number, frame: number, rgba: Uint8Array, width: number, height: number): void {
  socket.send(JSON.stringify({ type: 'result', id, index, frame, width, height, seed: 7 + index, parameters: 'p' }));
  socket.send(encodeFrame({ kind: 'result', format: 'raw-rgba', channels: 4, bitDepth: 8, jobId: id, frameId: frame, batchIndex: index, width, height }, rgba));
}

const FIELDS = { mode: 'txt2img' as const, model: 'demo', prompt: 'red', steps: 2, guidance: 1, scheduler: 'euler' };

describe('BridgeClient', () => {
  test('hello carries the token; image and mask frames precede their generate; results pair with frames', async () => {
    const { url, received } = await serve(welcoming((socket, message) => {
      if (message['type'] !== 'generate') return;
      const id = String(message['id']);
      socket.send(JSON.stringify({ type: 'queued', id, position: 0 }));
      socket.send(JSON.stringify({ type: 'progress', id, step: 1, total: 2 }));
      socket.send(JSON.stringify({ type: 'preview', id, index: 0, frame: 1, width: 2, height: 1, step: 1 }));
      socket.send(encodeFrame({ kind: 'preview', format: 'raw-rgba', channels: 4, bitDepth: 8, jobId: id, frameId: 1, batchIndex: 0, width: 2, height: 1 }, new Uint8Array(8).fill(9)));
      sendResult(socket, id, 1, 3, new Uint8Array(8).fill(2), 2, 1);
      sendResult(socket, id, 0, 2, new Uint8Array(8).fill(1), 2, 1);
      socket.send(JSON.stringify({ type: 'done', id, results: 2, timings: {} }));
    }));
    const client = new BridgeClient({ url, token: 'secret', clientName: 'test/1', socketFactory: wsFactory() });
    const events: string[] = [];
    const results = await client.generate({ ...FIELDS, mode: 'inpaint' }, {
      image: { rgba: new Uint8Array(8).fill(200), width: 2, height: 1 },
      mask: { gray: Uint8Array.of(0, 255), width: 2, height: 1 },
    }, {
      documentId: 42,
      events: { onQueued: () => events.push('queued'), onProgress: (s, t) => events.push(`progress ${s}/${t}`), onPreview: (_i, rgba) => events.push(`preview ${rgba[0]}`) },
    });
    client.close();
    assert.deepEqual(received.texts[0], { type: 'hello', protocol: 1, client: 'test/1', token: 'secret' });
    assert.deepEqual(received.order, ['hello', 'frame:image', 'frame:mask', 'generate']);
    const generate = received.texts[1] ?? {};
    assert.match(String(generate['id']), /^ps42-/, 'job id keeps the document id');
    assert.deepEqual(generate['image'], { frame: received.frames[0]?.header.frameId });
    assert.deepEqual(generate['mask'], { frame: received.frames[1]?.header.frameId });
    assert.equal(received.frames[0]?.header.jobId, generate['id']);
    assert.deepEqual([...(received.frames[1]?.payload ?? [])], [0, 255]);
    assert.deepEqual(events, ['queued', 'progress 1/2', 'preview 9']);
    assert.deepEqual(results.map((r) => [r.index, r.seed, r.rgba[0]]), [[0, 7, 1], [1, 8, 2]]);
  });

  test('a job error arrives as a BridgeError with code and field', async () => {
    const { url } = await serve(welcoming((socket, message) => {
      if (message['type'] === 'generate') socket.send(JSON.stringify({ type: 'error', id: message['id'], code: 'model_not_found', message: 'No model x.', field: 'model' }));
    }));
    const client = new BridgeClient({ url, clientName: 'test/1', socketFactory: wsFactory() });
    await assert.rejects(client.generate(FIELDS, {}, { documentId: 1 }), (err: unknown) => err instanceof BridgeError && err.code === 'model_not_found' && err.field === 'model');
    client.close();
  });

  test('cancel sends a cancel message and ends with code cancelled', async () => {
    const { url, received } = await serve(welcoming((socket, message) => {
      if (message['type'] === 'generate') socket.send(JSON.stringify({ type: 'started', id: message['id'] }));
      if (message['type'] === 'cancel') socket.send(JSON.stringify({ type: 'cancelled', id: message['id'] }));
    }));
    const client = new BridgeClient({ url, clientName: 'test/1', socketFactory: wsFactory() });
    const abort = new AbortController();
    const job = client.generate(FIELDS, {}, { documentId: 1, signal: abort.signal, events: { onStarted: () => abort.abort() } });
    await assert.rejects(job, (err: unknown) => err instanceof BridgeError && err.code === 'cancelled');
    assert.deepEqual(received.order, ['hello', 'generate', 'cancel']);
    assert.equal(client.jobDocuments.size, 0);
    client.close();
  });

  test('unauthorized before welcome rejects connect with that code', async () => {
    const { url } = await serve((socket) => {
      socket.send(JSON.stringify({ type: 'error', code: 'unauthorized', message: 'Missing or wrong token.', field: 'token' }));
      socket.close(1008);
    });
    const client = new BridgeClient({ url, token: 'bad', clientName: 'test/1', socketFactory: wsFactory() });
    await assert.rejects(client.connect(), (err: unknown) => err instanceof BridgeError && err.code === 'unauthorized');
    assert.equal(client.state, 'disconnected');
  });

  test('nothing listening → bridge_unreachable; a dropped connection fails the job; the next job reconnects', async () => {
    const dead = new BridgeClient({ url: 'ws://127.0.0.1:9/ws', clientName: 'test/1', socketFactory: wsFactory() });
    await assert.rejects(dead.connect(), (err: unknown) => err instanceof BridgeError && err.code === 'bridge_unreachable');

    let connections = 0;
    const { url, server } = await serve(welcoming((socket, message) => {
      if (message['type'] !== 'generate') return;
      if (connections === 1) socket.terminate();
      else {
        const id = String(message['id']);
        sendResult(socket, id, 0, 1, new Uint8Array(4), 1, 1);
        socket.send(JSON.stringify({ type: 'done', id, results: 1, timings: {} }));
      }
    }));
    server.on('connection', () => connections++);
    const client = new BridgeClient({ url, clientName: 'test/1', socketFactory: wsFactory() });
    await assert.rejects(client.generate(FIELDS, {}, { documentId: 1 }), (err: unknown) => err instanceof BridgeError && err.code === 'bridge_unreachable');
    assert.equal(client.state, 'disconnected');
    const results = await client.generate(FIELDS, {}, { documentId: 1 });
    assert.equal(results.length, 1);
    assert.equal(connections, 2);
    client.close();
  });
});
