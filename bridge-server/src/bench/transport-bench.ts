import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Socket } from 'node:net';
import { decodeFrame, encodeFrameParts, type FrameHeader } from '@latent-bridge/shared';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { fmtMs, fmtRatio, median, row, section } from './report.js';

/**
 * How pixels travel between a plug-in and the bridge, on loopback: a 2048×2048 RGBA selection out
 * and a result of the same size back, as our binary frames over ws, as base64 inside JSON (what
 * rival plug-ins do with A1111/ComfyUI), and as a raw TCP echo of the same bytes (the floor).
 */
const SIDE = 2048;
const ROUNDS = 10;
const JOB = 'bench-1';

function header(kind: 'image' | 'result', frameId: number): FrameHeader {
  return { kind, format: 'raw-rgba', jobId: JOB, frameId, width: SIDE, height: SIDE, channels: 4, bitDepth: 8, batchIndex: 0 };
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** One frame as two fragments of one binary message, so the payload is never copied. */
function sendFrame(ws: WebSocket, frameHeader: FrameHeader, payload: Uint8Array): void {
  const parts = encodeFrameParts(frameHeader, payload);
  ws.send(parts.head, { binary: true, fin: false });
  ws.send(parts.payload, { binary: true, fin: true });
}

/** Serves the same echo in both encodings on one ws server: binary frames and base64 JSON. */
async function startWsEcho(): Promise<{ url: string; close: () => Promise<void> }> {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeFrame(toBytes(data), { maxFrameBytes: 256 * 1024 * 1024, maxPixels: SIDE * SIDE });
        sendFrame(ws, header('result', frame.header.frameId + 1), frame.payload);
      } else {
        const message = JSON.parse(data.toString()) as { image: string };
        const pixels = Buffer.from(message.image, 'base64');
        ws.send(JSON.stringify({ type: 'result', image: pixels.toString('base64') }));
      }
    });
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      http.close();
      await once(http, 'close');
    },
  };
}

async function startTcpEcho(): Promise<{ port: number; close: () => Promise<void> }> {
  const server = createTcpServer((socket) => socket.pipe(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.close();
      await once(server, 'close');
    },
  };
}

function nextMessage(ws: WebSocket): Promise<{ data: RawData; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    ws.once('message', (data, isBinary) => {
      ws.off('error', onError);
      resolve({ data, isBinary });
    });
    ws.once('error', onError);
  });
}

async function binaryRound(ws: WebSocket, pixels: Uint8Array, frameId: number): Promise<void> {
  sendFrame(ws, header('image', frameId), pixels);
  const { data } = await nextMessage(ws);
  const frame = decodeFrame(toBytes(data), { maxFrameBytes: 256 * 1024 * 1024, maxPixels: SIDE * SIDE });
  if (frame.payload.length !== pixels.length || frame.payload[12345] !== pixels[12345]) throw new Error('binary echo corrupted');
}

async function base64Round(ws: WebSocket, pixels: Uint8Array): Promise<void> {
  ws.send(JSON.stringify({ type: 'generate', image: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64') }));
  const { data } = await nextMessage(ws);
  const message = JSON.parse(data.toString()) as { image: string };
  const back = Buffer.from(message.image, 'base64');
  if (back.length !== pixels.length || back[12345] !== pixels[12345]) throw new Error('base64 echo corrupted');
}

async function tcpRound(socket: Socket, pixels: Uint8Array): Promise<void> {
  let received = 0;
  const done = new Promise<void>((resolve) => {
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received >= pixels.length) {
        socket.off('data', onData);
        resolve();
      }
    };
    socket.on('data', onData);
  });
  socket.write(pixels);
  await done;
}

async function timeRounds(fn: (i: number) => Promise<void>): Promise<number> {
  // Warm-up: JIT, and the allocator's first 16 MiB regions (fresh pages fault in slowly on VMs).
  for (let w = 1; w <= 3; w++) await fn(-w);
  const times: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  return median(times);
}

export async function benchTransport(): Promise<void> {
  const pixels = new Uint8Array(SIDE * SIDE * 4);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  const wsEcho = await startWsEcho();
  const tcpEcho = await startTcpEcho();
  try {
    const ws = new WebSocket(wsEcho.url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
    await once(ws, 'open');
    const socket = connect(tcpEcho.port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');

    const binary = await timeRounds((i) => binaryRound(ws, pixels, 2 * i + 10));
    const base64 = await timeRounds(() => base64Round(ws, pixels));
    const tcp = await timeRounds(() => tcpRound(socket, pixels));
    // ws assembles each received message into one new buffer and masks client data into another:
    // three fresh payload-sized allocations per round trip, which the TCP echo never makes. Their
    // cost is the machine's page-fault cost, measured here so the ratio can be read.
    const fresh = await timeRounds(async () => {
      Buffer.allocUnsafe(pixels.length).fill(1);
    });
    ws.close();
    socket.destroy();

    section(`transport: ${SIDE}×${SIDE} RGBA (${(pixels.length / 2 ** 20).toFixed(0)} MiB) out and back on loopback, median of ${ROUNDS}`);
    row('binary frames over ws (ours)', fmtMs(binary));
    row('base64 inside JSON over ws (rivals)', fmtMs(base64));
    row('raw TCP echo (floor)', fmtMs(tcp));
    row('base64 JSON / binary frames (target ≥ 3)', fmtRatio(base64 / binary));
    row('binary frames / raw TCP (target ≤ 1.5)', fmtRatio(binary / tcp));
    row('  one fresh payload-sized buffer, touched (ws makes 3 per round trip)', fmtMs(fresh));
    row('  binary frames less those 3 allocations / raw TCP', fmtRatio(Math.max(0, binary - 3 * fresh) / tcp));
  } finally {
    await wsEcho.close();
    await tcpEcho.close();
  }
}
