import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodePng, oracleExpectedPixel, type RgbaImage } from '@latent-bridge/bridge-server';
import { BridgeClient } from './bridge-client.js';
import { startTestBridge, type TestBridge } from './test-server.js';

let bridge: TestBridge;
let client: BridgeClient;
before(async () => {
  bridge = await startTestBridge();
  client = await BridgeClient.connect(bridge.wsUrl, bridge.token);
});
after(async () => {
  client.close();
  await bridge.stop();
});

const EDIT = { prompt: 'green', steps: 4, guidance: 1, scheduler: 'euler', seed: 3 } as const;

/** Deterministic noise, so "unchanged" can be checked to the byte. */
function noiseImage(width: number, height: number, seed: number): RgbaImage {
  const data = new Uint8Array(width * height * 4);
  let s = seed >>> 0;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = i % 4 === 3 ? 255 : s >>> 24;
  }
  return { width, height, data };
}

function meanColour(image: RgbaImage): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < image.data.length; i += 4) for (let c = 0; c < 3; c++) sum[c] = (sum[c] as number) + (image.data[i + c] as number);
  const n = image.width * image.height;
  return [(sum[0] as number) / n, (sum[1] as number) / n, (sum[2] as number) / n];
}

test('img2img from a PNG image frame comes back at the source size, moved to the prompt colour', async () => {
  const source: RgbaImage = { width: 100, height: 70, data: new Uint8Array(100 * 70 * 4).map((_, i) => [200, 40, 40, 255][i % 4] as number) };
  const png = await encodePng(source);
  const channels = png[25] === 6 ? 4 : 3;
  client.sendFrame({ kind: 'image', format: 'png', width: 100, height: 70, channels, bitDepth: 8, frameId: 1, jobId: 'i2i', batchIndex: 0 }, png);
  client.generate({ ...EDIT, id: 'i2i', mode: 'img2img', model: 'demo', strength: 0.5, image: { frame: 1 } });
  const trace = await client.job('i2i');
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  const result = trace.messages.find((m) => m.type === 'result');
  assert.match(result?.type === 'result' ? result.parameters : '', /Denoising strength: 0.5$/);
  const frame = trace.results[0];
  assert.ok(frame);
  assert.deepEqual([frame.header.width, frame.header.height], [100, 70]);
  const green = oracleExpectedPixel({ prompt: 'green', guidance: 1 });
  const mean = meanColour({ width: 100, height: 70, data: frame.payload });
  mean.forEach((v, c) => assert.ok(Math.abs(v - (green[c] as number)) <= 3, `channel ${c}: ${v} vs ${green[c]}`));
});

test('inpaint with a 16-bit image and a raw mask: outside the mask byte-identical, inside the prompt colour', async () => {
  const width = 96;
  const height = 64;
  const source = noiseImage(width, height, 5);
  // 16-bit little-endian at v·257, which the server maps back to exactly v.
  const wide = new Uint8Array(source.data.length * 2);
  for (let i = 0; i < source.data.length; i++) {
    const v = (source.data[i] as number) * 257;
    wide[2 * i] = v & 0xff;
    wide[2 * i + 1] = v >> 8;
  }
  const sel = { x: 30, y: 20, width: 33, height: 25 };
  const mask = new Uint8Array(width * height);
  for (let y = sel.y; y < sel.y + sel.height; y++) mask.fill(255, y * width + sel.x, y * width + sel.x + sel.width);
  client.sendFrame({ kind: 'image', format: 'raw-rgba', width, height, channels: 4, bitDepth: 16, frameId: 5, jobId: 'inp', batchIndex: 0 }, wide);
  client.sendFrame({ kind: 'mask', format: 'raw-gray', width, height, channels: 1, bitDepth: 8, frameId: 6, jobId: 'inp', batchIndex: 0 }, mask);
  // grow 0 and feather 0: the hard selection itself is the blend mask (the defaults grow and feather it).
  client.generate({ ...EDIT, prompt: 'red', id: 'inp', mode: 'inpaint', model: 'demo-inpaint', strength: 1, image: { frame: 5 }, mask: { frame: 6 }, padding: 8, grow: 0, feather: 0 });
  const trace = await client.job('inp');
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  const out = trace.results[0]?.payload;
  assert.ok(out);
  assert.equal(out.length, source.data.length);
  let changedOutside = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inside = x >= sel.x && x < sel.x + sel.width && y >= sel.y && y < sel.y + sel.height;
      const i = (y * width + x) * 4;
      const same = out[i] === source.data[i] && out[i + 1] === source.data[i + 1] && out[i + 2] === source.data[i + 2] && out[i + 3] === source.data[i + 3];
      if (!inside && !same) changedOutside++;
    }
  }
  assert.equal(changedOutside, 0);
  const red = oracleExpectedPixel({ prompt: 'red', guidance: 1 });
  const c = ((sel.y + 12) * width + sel.x + 16) * 4;
  for (let k = 0; k < 3; k++) assert.ok(Math.abs((out[c + k] as number) - (red[k] as number)) <= 3, `centre ${[...out.subarray(c, c + 3)]}`);
  // The frames were claimed by the job and dropped with it: a second job cannot reuse them.
  const mark = client.mark();
  client.generate({ ...EDIT, id: 'inp', mode: 'inpaint', model: 'demo-inpaint', image: { frame: 5 }, mask: { frame: 6 } });
  const again = await client.job('inp', 10_000, mark);
  assert.deepEqual(again.end.type === 'error' && [again.end.code, again.end.field], ['frame_missing', 'image']);
});

test('a mask that does not match its image is mask_invalid', async () => {
  client.sendFrame({ kind: 'image', format: 'raw-rgba', width: 8, height: 8, channels: 4, bitDepth: 8, frameId: 7, jobId: 'mm', batchIndex: 0 }, new Uint8Array(256));
  client.sendFrame({ kind: 'mask', format: 'raw-gray', width: 4, height: 4, channels: 1, bitDepth: 8, frameId: 8, jobId: 'mm', batchIndex: 0 }, new Uint8Array(16).fill(255));
  client.generate({ ...EDIT, id: 'mm', mode: 'inpaint', model: 'demo-inpaint', image: { frame: 7 }, mask: { frame: 8 } });
  const trace = await client.job('mm');
  assert.deepEqual(trace.end.type === 'error' && [trace.end.code, trace.end.field], ['mask_invalid', 'mask']);
});
