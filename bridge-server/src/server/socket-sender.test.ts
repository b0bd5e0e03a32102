import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BridgeError, encodeFrame } from '@latent-bridge/shared';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import type { EncodedImage } from './job-types.js';
import { SocketSender } from './socket-sender.js';

/** A real ws pair on loopback; the client keeps each binary message as the fragments it came in. */
async function pair(): Promise<{ sender: SocketSender; messages: Array<{ data: Buffer[]; isBinary: boolean }>; next: (n: number) => Promise<void>; close: () => Promise<void> }> {
  const http = createServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const connected = once(wss, 'connection');
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, { perMessageDeflate: false });
  client.binaryType = 'fragments';
  const messages: Array<{ data: Buffer[]; isBinary: boolean }> = [];
  let waiter: { n: number; resolve: () => void } | undefined;
  client.on('message', (data: RawData, isBinary: boolean) => {
    messages.push({ data: Array.isArray(data) ? data : [Buffer.from(data as Buffer)], isBinary });
    if (waiter && messages.length >= waiter.n) waiter.resolve();
  });
  await once(client, 'open');
  const [serverSide] = (await connected) as [WebSocket];
  return {
    sender: new SocketSender(serverSide),
    messages,
    next: (n) => (messages.length >= n ? Promise.resolve() : new Promise((resolve) => (waiter = { n, resolve }))),
    close: async () => {
      client.terminate();
      wss.close();
      http.close();
      await once(http, 'close');
    },
  };
}

function rgba(side: number, seed: number): EncodedImage {
  const payload = new Uint8Array(side * side * 4);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + seed) & 0xff;
  return { format: 'raw-rgba', width: side, height: side, channels: 4, bitDepth: 8, payload };
}

test('a small preview and a large result each arrive as their message, then exactly the frame encodeFrame builds', async () => {
  const { sender, messages, next, close } = await pair();
  try {
    const small = rgba(64, 1); // 16 KiB: one joined frame
    const large = rgba(512, 2); // 1 MiB: header and payload as two fragments of one message
    sender.sendImage('preview', { id: 'job-1', index: 0, step: 3 }, small);
    sender.sendImage('result', { id: 'job-1', index: 0, seed: 7, parameters: '' }, large);
    await next(4);

    const [previewMsg, previewFrame, resultMsg, resultFrame] = messages;
    assert.equal(previewMsg?.isBinary, false);
    assert.deepEqual(JSON.parse(Buffer.concat(previewMsg.data).toString()), { id: 'job-1', index: 0, step: 3, type: 'preview', frame: 1, width: 64, height: 64 });
    assert.equal(previewFrame?.isBinary, true);
    assert.equal(previewFrame.data.length, 1);
    const previewHeader = { kind: 'preview', format: 'raw-rgba', width: 64, height: 64, channels: 4, bitDepth: 8, frameId: 1, jobId: 'job-1', batchIndex: 0 } as const;
    assert.deepEqual(new Uint8Array(Buffer.concat(previewFrame.data)), encodeFrame(previewHeader, small.payload));

    assert.equal(resultMsg?.isBinary, false);
    assert.equal((JSON.parse(Buffer.concat(resultMsg.data).toString()) as { frame: number }).frame, 2);
    assert.equal(resultFrame?.isBinary, true);
    assert.equal(resultFrame.data.length, 2);
    const resultHeader = { kind: 'result', format: 'raw-rgba', width: 512, height: 512, channels: 4, bitDepth: 8, frameId: 2, jobId: 'job-1', batchIndex: 0 } as const;
    assert.ok(Buffer.concat(resultFrame.data).equals(encodeFrame(resultHeader, large.payload)));
  } finally {
    await close();
  }
});

test('a frame the encoder refuses throws internal and is not announced, and the socket stays usable', async () => {
  const { sender, messages, next, close } = await pair();
  try {
    const wrong = { ...rgba(512, 3), width: 511 }; // payload length disagrees with the header
    assert.throws(
      () => sender.sendImage('result', { id: 'job-2', index: 0, seed: 1, parameters: '' }, wrong),
      (e: unknown) => e instanceof BridgeError && e.code === 'internal' && e.message.includes('result 0 of job job-2') && e.message.includes('payload length'),
    );
    sender.sendImage('result', { id: 'job-2', index: 0, seed: 1, parameters: '' }, rgba(512, 4));
    await next(2);
    assert.deepEqual(messages.map((m) => m.isBinary), [false, true]);
    assert.equal(JSON.parse(Buffer.concat(messages[0]?.data ?? []).toString()).frame, 2);
    const header = { kind: 'result', format: 'raw-rgba', width: 512, height: 512, channels: 4, bitDepth: 8, frameId: 2, jobId: 'job-2', batchIndex: 0 } as const;
    assert.ok(Buffer.concat(messages[1]?.data ?? []).equals(encodeFrame(header, rgba(512, 4).payload)));
  } finally {
    await close();
  }
});
