import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { decodeImage, encodePng, oracleExpectedPixel, readPngParameters } from '@latent-bridge/bridge-server';
import { BridgeClient } from './bridge-client.js';
import { allPixelsNear, BASE_JOB, startTestBridge, type TestBridge } from './test-server.js';

let bridge: TestBridge;
before(async () => {
  bridge = await startTestBridge();
});
after(() => bridge.stop());

function postJob(body: unknown, token: string | null = bridge.token): Promise<Response> {
  return fetch(`${bridge.url}/v1/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token !== null ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const { mode: _mode, ...httpJob } = { ...BASE_JOB, prompt: 'magenta', seed: 1234 };

test('POST /v1/jobs answers a PNG whose pixels equal the WebSocket result for the same seed', async () => {
  const res = await postJob({ mode: 'txt2img', ...httpJob });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('content-type'), 'image/png');
  assert.equal(res.headers.get('x-seed'), '1234');
  const png = new Uint8Array(await res.arrayBuffer());
  assert.match(readPngParameters(png) ?? '', /^magenta\n.*Seed: 1234, Size: 64x64, Model: demo$/);
  const viaHttp = await decodeImage(png);

  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.generate({ ...BASE_JOB, prompt: 'magenta', seed: 1234, id: 'ws' });
  const trace = await c.job('ws');
  c.close();
  const viaWs = trace.results[0];
  assert.ok(viaWs);
  assert.deepEqual([viaHttp.width, viaHttp.height], [64, 64]);
  assert.deepEqual(Buffer.from(viaHttp.data), Buffer.from(viaWs.payload));
  assert.ok(allPixelsNear(viaHttp.data, [191, 64, 191]));
});

test('a batch comes back as JSON with one base64 PNG per image', async () => {
  const res = await postJob({ mode: 'txt2img', ...httpJob, batch: 2 });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { results: { index: number; seed: number; png: string }[] };
  assert.deepEqual(body.results.map((r) => [r.index, r.seed]), [[0, 1234], [1, 1235]]);
  const img = await decodeImage(new Uint8Array(Buffer.from(body.results[1]?.png ?? '', 'base64')));
  assert.ok(allPixelsNear(img.data, [191, 64, 191]));
});

test('HTTP errors use the catalog: token, JSON, fields, model names', async () => {
  const cases: [unknown, string | null, number, string, string | undefined][] = [
    [{ mode: 'txt2img', ...httpJob }, null, 401, 'unauthorized', 'authorization'],
    [{ mode: 'txt2img', ...httpJob }, 'wrong', 401, 'unauthorized', 'authorization'],
    ['{"mode": ', bridge.token, 400, 'malformed_message', undefined],
    [{ mode: 'txt2img', ...httpJob, steps: -1 }, bridge.token, 400, 'invalid_field', 'steps'],
    [{ mode: 'txt2img', ...httpJob, model: '../../x' }, bridge.token, 404, 'model_not_found', 'model'],
    [{ mode: 'img2img', ...httpJob, image: 'bm90IGEgcG5n' }, bridge.token, 400, 'image_invalid', 'image'],
  ];
  for (const [body, token, status, code, field] of cases) {
    const res = await postJob(body, token);
    const json = (await res.json()) as { code: string; field?: string };
    assert.deepEqual([res.status, json.code, json.field], [status, code, field], JSON.stringify(body).slice(0, 80));
  }
});

test('img2img over HTTP: a base64 PNG in, a PNG of the source size out', async () => {
  const source = { width: 80, height: 64, data: new Uint8Array(80 * 64 * 4).map((_, i) => [200, 40, 40, 255][i % 4] as number) };
  const image = Buffer.from(await encodePng(source)).toString('base64');
  const { width: _w, height: _h, ...noSize } = httpJob;
  const res = await postJob({ ...noSize, mode: 'img2img', prompt: 'green', strength: 0.5, image });
  assert.equal(res.status, 200, await res.clone().text());
  const out = await decodeImage(new Uint8Array(await res.arrayBuffer()));
  assert.deepEqual([out.width, out.height], [80, 64]);
  const green = oracleExpectedPixel({ prompt: 'green', guidance: 1 });
  const mean = [0, 0, 0];
  for (let i = 0; i < out.data.length; i += 4) for (let c = 0; c < 3; c++) mean[c] = (mean[c] as number) + (out.data[i + c] as number) / (80 * 64);
  mean.forEach((v, c) => assert.ok(Math.abs(v - (green[c] as number)) <= 3, `channel ${c}: ${v}`));
});
