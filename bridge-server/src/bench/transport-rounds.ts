import { once } from 'node:events';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Socket } from 'node:net';
import { decodeFrame, decodeFrameHeader, encodeFrameParts, type DecodedFrame, type FrameHeader } from '@latent-bridge/shared';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { median } from './report.js';

/**
 * The round trips the transport bench times: a 2048×2048 RGBA selection out and a result of the
 * same size back, as our binary frames over ws, as base64 inside JSON, and as a raw TCP echo.
 * Both ends of each run in this process, as a plug-in and the bridge would on one machine.
 */
export const SIDE = 2048;
const ROUNDS = 10;
const JOB = 'bench-1';
const LIMITS = { maxFrameBytes: 256 * 1024 * 1024, maxPixels: SIDE * SIDE };

export interface Timing {
  /** Median milliseconds per round trip. */
  ms: number;
  /** Median minor page faults per round trip: fresh memory the round trip touched. */
  faults: number;
}

export interface TransportTimings {
  binary: Timing;
  tcp: Timing;
  base64?: Timing;
}

function header(kind: 'image' | 'result', frameId: number): FrameHeader {
  return { kind, format: 'raw-rgba', jobId: JOB, frameId, width: SIDE, height: SIDE, channels: 4, bitDepth: 8, batchIndex: 0 };
}

/** One frame as two fragments of one binary message, so an unmasked payload is never copied. */
function sendFrame(ws: WebSocket, frameHeader: FrameHeader, payload: Uint8Array): void {
  const parts = encodeFrameParts(frameHeader, payload);
  ws.send(parts.head, { binary: true, fin: false });
  ws.send(parts.payload, { binary: true, fin: true });
}

/**
 * Decodes a binary message received with binaryType 'fragments'. When the sender split it as
 * sendFrame does (header, then the whole raw payload) the payload fragment is used as it is;
 * ws would otherwise join the two into a fresh payload-sized buffer. Any other split is joined
 * and decoded as usual. Raw formats only take the shortcut: encoded payloads get decodeFrame's
 * signature checks.
 */
function decodeFragments(data: RawData): DecodedFrame {
  if (!Array.isArray(data)) return decodeFrame(data, LIMITS);
  const [head, payload] = data;
  if (data.length === 2 && head !== undefined && payload !== undefined) {
    const decoded = decodeFrameHeader(head, LIMITS);
    const raw = decoded.header.format === 'raw-rgba' || decoded.header.format === 'raw-gray';
    if (raw && decoded.headerLength === head.length && decoded.payloadLength === payload.length) return { header: decoded.header, payload };
  }
  return decodeFrame(data.length === 1 && data[0] !== undefined ? data[0] : Buffer.concat(data), LIMITS);
}

function toText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString();
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString();
}

/** Serves the same echo in both encodings on one ws server: binary frames and base64 JSON. */
async function startWsEcho(): Promise<{ url: string; close: () => Promise<void> }> {
  const http = createHttpServer();
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false, maxPayload: LIMITS.maxFrameBytes });
  wss.on('connection', (ws) => {
    ws.binaryType = 'fragments';
    ws.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = decodeFragments(data);
        sendFrame(ws, header('result', frame.header.frameId + 1), frame.payload);
      } else {
        const message = JSON.parse(toText(data)) as { image: string };
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

function nextMessage(ws: WebSocket): Promise<RawData> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    ws.once('message', (data) => {
      ws.off('error', onError);
      resolve(data);
    });
    ws.once('error', onError);
  });
}

async function binaryRound(ws: WebSocket, pixels: Uint8Array, frameId: number): Promise<void> {
  // The ws client masks with a fresh random key per frame (RFC 6455), into a copy of the payload.
  sendFrame(ws, header('image', frameId), pixels);
  const frame = decodeFragments(await nextMessage(ws));
  if (frame.payload.length !== pixels.length || frame.payload[12345] !== pixels[12345]) throw new Error('binary echo corrupted');
}

async function base64Round(ws: WebSocket, pixels: Uint8Array): Promise<void> {
  ws.send(JSON.stringify({ type: 'generate', image: Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength).toString('base64') }));
  const message = JSON.parse(toText(await nextMessage(ws))) as { image: string };
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

async function timeRounds(fn: (i: number) => Promise<void>): Promise<Timing> {
  // Warm-up: JIT, and the allocator's first payload-sized regions.
  for (let w = 1; w <= 3; w++) await fn(-w);
  const times: number[] = [];
  const faults: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const faultsBefore = process.resourceUsage().minorPageFault;
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
    faults.push(process.resourceUsage().minorPageFault - faultsBefore);
  }
  return { ms: median(times), faults: median(faults) };
}

export function benchPixels(): Uint8Array {
  const pixels = new Uint8Array(SIDE * SIDE * 4);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  return pixels;
}

/** Times the ws binary path, base64 JSON when asked, and the TCP echo (its faster of two runs). */
export async function measureTransport(withBase64: boolean): Promise<TransportTimings> {
  const pixels = benchPixels();
  const wsEcho = await startWsEcho();
  const tcpEcho = await startTcpEcho();
  try {
    const ws = new WebSocket(wsEcho.url, { perMessageDeflate: false, maxPayload: LIMITS.maxFrameBytes });
    ws.binaryType = 'fragments';
    await once(ws, 'open');
    const socket = connect(tcpEcho.port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    // The floor is timed before and after the ws rounds and the faster run kept: its socket
    // reads (64 KiB chunks, 32 MiB a round trip) fault in fresh pages too when the heap is new
    // or the ws rounds' garbage is being freed (on a VM up to 5× slower), which would flatter us.
    const tcpBefore = await timeRounds(() => tcpRound(socket, pixels));
    const binary = await timeRounds((i) => binaryRound(ws, pixels, 2 * i + 10));
    const base64 = withBase64 ? await timeRounds(() => base64Round(ws, pixels)) : undefined;
    const tcpAfter = await timeRounds(() => tcpRound(socket, pixels));
    const tcp = tcpAfter.ms < tcpBefore.ms ? tcpAfter : tcpBefore;
    ws.close();
    socket.destroy();
    return { binary, tcp, ...(base64 ? { base64 } : {}) };
  } finally {
    await wsEcho.close();
    await tcpEcho.close();
  }
}
