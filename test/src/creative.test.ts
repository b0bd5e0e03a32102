/**
 * Creative controls end to end: animations and prompt lists streamed as one result per frame or
 * entry, variation seeds and mixed-prompt modes, over a real WebSocket and HTTP on the oracle.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  decodeImage,
  oracleExpectedPixel,
  parseParameters,
  readPngParameters,
  type DecodedFrame,
  type ErrorMessage,
  type ProgressMessage,
  type ResultMessage,
  type ServerMessage,
} from '@latent-bridge/bridge-server';
import { BridgeClient, type JobTrace } from './bridge-client.js';
import { allPixelsNear, BASE_JOB, startTestBridge, type TestBridge } from './test-server.js';

let bridge: TestBridge;
let c: BridgeClient;
before(async () => {
  // The cancel test needs frames long enough to land a cancel inside one.
  bridge = await startTestBridge({ limits: { maxSteps: 1000 } });
  c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
});
after(async () => {
  c.close();
  await bridge.stop();
});

const JOB = { ...BASE_JOB, steps: 2 };

function resultsOf(trace: JobTrace): ResultMessage[] {
  return trace.messages.filter((m): m is ResultMessage => m.type === 'result');
}

function meanColour(data: Uint8Array): [number, number, number] {
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) for (let ch = 0; ch < 3; ch++) sum[ch] = (sum[ch] as number) + (data[i + ch] as number);
  const n = data.length / 4;
  return [(sum[0] as number) / n, (sum[1] as number) / n, (sum[2] as number) / n];
}

async function run(fields: Record<string, unknown> & { id: string }): Promise<JobTrace> {
  c.generate({ ...JOB, ...fields } as Parameters<BridgeClient['generate']>[0]);
  const trace = await c.job(fields.id);
  assert.equal(trace.end.type, 'done', JSON.stringify(trace.end));
  return trace;
}

async function pixels(fields: Record<string, unknown> & { id: string }): Promise<Uint8Array> {
  const frame = (await run(fields)).results[0];
  assert.ok(frame);
  return frame.payload;
}

test('animation red → blue: 4 results streamed in frame order, red falls and blue rises, frame 0 is the plain txt2img', async () => {
  const trace = await run({ id: 'anim', prompt: 'red', animation: { frames: 4, toPrompt: 'blue' }, preview: true });
  const results = resultsOf(trace);
  assert.deepEqual(results.map((r) => [r.index, r.seed]), [[0, 7], [1, 7], [2, 7], [3, 7]]);
  assert.deepEqual(trace.results.map((f) => f.header.batchIndex), [0, 1, 2, 3]);
  assert.equal(trace.end.type === 'done' && trace.end.results, 4);

  // Progress counts over all frames, and frame k's result comes before frame k+1's steps.
  const progress = trace.messages.filter((m): m is ProgressMessage => m.type === 'progress');
  assert.deepEqual(progress.map((p) => [p.step, p.total]), [1, 2, 3, 4, 5, 6, 7, 8].map((s) => [s, 8]));
  assert.ok(progress.slice(1).every((p) => typeof p.etaMs === 'number'));
  assert.equal(progress.at(-1)?.etaMs, 0);
  const order = trace.messages.filter((m) => m.type === 'progress' || m.type === 'result' || m.type === 'preview').map(kindOf);
  assert.deepEqual(order, ['p', 'v0', 'p', 'v0', 'r0', 'p', 'v1', 'p', 'v1', 'r1', 'p', 'v2', 'p', 'v2', 'r2', 'p', 'v3', 'p', 'v3', 'r3']);
  assert.equal(trace.previews.length, 8);

  const means = trace.results.map((f) => meanColour(f.payload));
  for (let i = 1; i < means.length; i++) {
    assert.ok((means[i]?.[0] as number) < (means[i - 1]?.[0] as number) - 10, `red falls: ${means.map((m) => m[0].toFixed(1)).join(', ')}`);
    assert.ok((means[i]?.[2] as number) > (means[i - 1]?.[2] as number) + 10, `blue rises: ${means.map((m) => m[2].toFixed(1)).join(', ')}`);
  }
  assert.deepEqual(Buffer.from(trace.results[0]?.payload ?? []), Buffer.from(await pixels({ id: 'plain-red', prompt: 'red' })));
  assert.ok(allPixelsNear(trace.results[3]?.payload ?? new Uint8Array(), oracleExpectedPixel({ prompt: 'blue', guidance: 1 })));

  const last = parseParameters(results[3]?.parameters ?? '');
  assert.equal(last.prompt, 'red');
  assert.deepEqual([last.fields['Seed'], last.fields['Frames'], last.fields['To prompt'], last.fields['Frame t']], ['7', '4', 'blue', '1']);
  assert.equal(parseParameters(results[1]?.parameters ?? '').fields['Frame t'], '0.3333');
});

function kindOf(m: ServerMessage): string {
  if (m.type === 'progress') return 'p';
  return `${m.type === 'result' ? 'r' : 'v'}${'index' in m ? m.index : '?'}`;
}

test('cancel mid-animation: cancelled within a step, fewer than 4 results, none after the cancel', async () => {
  const steps = 300;
  c.generate({ ...JOB, id: 'anim-cancel', width: 256, height: 256, steps, animation: { frames: 4, toPrompt: 'blue' } });
  // Into the second frame: one result is out, the rest are not.
  await c.nextMessage((m) => m.type === 'progress' && m.id === 'anim-cancel' && m.step >= steps + 3);
  const atCancel = c.mark();
  const stepAtCancel = lastStep(c.messages);
  c.send({ type: 'cancel', id: 'anim-cancel' });
  const trace = await c.job('anim-cancel');
  assert.equal(trace.end.type, 'cancelled');
  const results = resultsOf(trace);
  assert.ok(results.length >= 1 && results.length < 4, `${results.length} results`);
  assert.deepEqual(results.map((r) => r.index), results.map((_, i) => i));
  const after = c.received.slice(atCancel).filter((r) => r.kind === 'message' && r.message.type === 'result');
  assert.equal(after.length, 0, 'no result after the cancel');
  const ran = lastStep(trace.messages) - stepAtCancel;
  assert.ok(ran <= 2, `the animation ran ${ran} steps after cancel`);
  // The server is free again.
  await run({ id: 'after-cancel' });
});

function lastStep(messages: readonly ServerMessage[]): number {
  let step = 0;
  for (const m of messages) if (m.type === 'progress') step = m.step;
  return step;
}

test('a prompt list of 3 gives 3 results in order, each its prompt colour, with parameters that parse back', async () => {
  const prompts = [
    { prompt: 'red', seed: 3 },
    { prompt: 'green', seed: 4, steps: 3 },
    { prompt: 'blue', scheduler: 'dpmpp_2m' },
  ];
  const trace = await run({ id: 'list', prompt: '', seed: 11, prompts, resultFormat: 'png' });
  const results = resultsOf(trace);
  assert.deepEqual(results.map((r) => [r.index, r.seed]), [[0, 3], [1, 4], [2, 11]]);
  const progress = trace.messages.filter((m): m is ProgressMessage => m.type === 'progress');
  assert.deepEqual(progress.map((p) => p.step), [1, 2, 3, 4, 5, 6, 7]);
  assert.ok(progress.every((p) => p.total === 7));
  for (const [i, frame] of trace.results.entries()) {
    const entry = prompts[i];
    assert.ok(entry);
    const img = await decodeImage(frame.payload);
    assert.ok(allPixelsNear(img.data, oracleExpectedPixel({ prompt: entry.prompt, guidance: 1 })), entry.prompt);
    const parsed = parseParameters(results[i]?.parameters ?? '');
    assert.equal(parsed.prompt, entry.prompt);
    assert.equal(parsed.fields['Seed'], String(entry.seed ?? 11));
    assert.equal(parsed.fields['Steps'], String(entry.steps ?? 2));
    assert.equal(readPngParameters(frame.payload), results[i]?.parameters);
  }
  assert.equal(parseParameters(results[2]?.parameters ?? '').fields['Sampler'], 'DPM++ 2M');
});

test('a bad prompt-list entry fails the job before any work, naming prompts.N.field', async () => {
  const cases: [unknown[], string, string][] = [
    [[{ prompt: 'red' }, { prompt: 'blue' }, { prompt: 'green (x' }], 'prompt_syntax', 'prompts.2.prompt'],
    [[{ prompt: 'red', negative: 'a :0.5 | ' }], 'prompt_syntax', 'prompts.0.negative'],
    [[{ prompt: 'red' }, { prompt: 'blue', scheduler: 'nope' }], 'unknown_scheduler', 'prompts.1.scheduler'],
    [[{ prompt: 'red', steps: 5000 }], 'limit_exceeded', 'prompts.0.steps'],
  ];
  for (const [i, [prompts, code, field]] of cases.entries()) {
    const id = `bad-list-${i}`;
    c.generate({ ...JOB, id, prompt: '', prompts } as Parameters<BridgeClient['generate']>[0]);
    const trace = await c.job(id);
    assert.deepEqual(trace.messages.map((m) => m.type), ['error'], field);
    const err = trace.end as ErrorMessage;
    assert.deepEqual([err.code, err.field], [code, field]);
    assert.ok(err.message.startsWith(`${field}:`), err.message);
  }
});

test('variation over the wire: strength 0 is the main seed, 1 the variation seed; parameters name it', async () => {
  // DDIM leaves sqrt(1 − ᾱ₀) of the initial noise in the image, which makes the seed visible.
  const ddim = { scheduler: 'ddim', steps: 3 };
  const seed5 = await pixels({ id: 'v-5', ...ddim, seed: 5 });
  const seed9 = await pixels({ id: 'v-9', ...ddim, seed: 9 });
  assert.notDeepEqual(Buffer.from(seed5), Buffer.from(seed9), 'the seed must show in DDIM images');
  const zero = await run({ id: 'v-0', ...ddim, seed: 5, variation: { seed: 9, strength: 0 } });
  const one = await run({ id: 'v-1', ...ddim, seed: 5, variation: { seed: 9, strength: 1 } });
  assert.deepEqual(Buffer.from(zero.results[0]?.payload ?? []), Buffer.from(seed5));
  assert.deepEqual(Buffer.from(one.results[0]?.payload ?? []), Buffer.from(seed9));
  assert.equal(parseParameters(resultsOf(zero)[0]?.parameters ?? '').fields['Variation seed'], undefined);
  const fields = parseParameters(resultsOf(one)[0]?.parameters ?? '').fields;
  assert.deepEqual([fields['Seed'], fields['Variation seed'], fields['Variation seed strength']], ['5', '9', '1']);
  // A batch's image i pulls towards variation seed + i, and says so.
  const batch = await run({ id: 'v-batch', ...ddim, seed: 5, batch: 2, variation: { seed: 9, strength: 0.5 } });
  assert.deepEqual(resultsOf(batch).map((r) => parseParameters(r.parameters).fields['Variation seed']), ['9', '10']);
});

test('mixMode noise and embeddings both give the mid colour for "red :0.5 | blue :0.5"', async () => {
  for (const mixMode of ['embeddings', 'noise'] as const) {
    const trace = await run({ id: `mix-${mixMode}`, prompt: 'red :0.5 | blue :0.5', mixMode });
    assert.ok(allPixelsNear(trace.results[0]?.payload ?? new Uint8Array(), [128, 64, 128], 1), mixMode);
    const fields = parseParameters(resultsOf(trace)[0]?.parameters ?? '').fields;
    assert.equal(fields['Mix mode'], mixMode === 'noise' ? 'noise' : undefined);
  }
  // Anything else is refused by the protocol, with the field.
  c.generate({ ...JOB, id: 'mix-bad', prompt: 'red :0.5 | blue', mixMode: 'average' } as unknown as Parameters<BridgeClient['generate']>[0]);
  const bad = await c.job('mix-bad');
  assert.deepEqual([bad.end.type, (bad.end as ErrorMessage).field], ['error', 'mixMode']);
});

test('sequence rules come back with their field', async () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{ mode: 'img2img', image: { frame: 1 }, animation: { frames: 3 } }, 'invalid_field', 'animation'],
    [{ prompts: [{ prompt: 'red' }] }, 'invalid_field', 'prompt'],
    [{ batch: 2, animation: { frames: 3 } }, 'invalid_field', 'batch'],
    [{ animation: { frames: 65 } }, 'limit_exceeded', 'animation.frames'],
    [{ animation: { frames: 3, toPrompt: 'blue (x' } }, 'prompt_syntax', 'animation.toPrompt'],
    [{ animation: { frames: 3, chainStrength: 0.3 } }, 'invalid_field', 'animation.chainStrength'],
    [{ prompt: 'red (x' }, 'prompt_syntax', 'prompt'],
    [{ variation: { seed: 1, strength: 2 } }, 'invalid_field', 'variation.strength'],
  ];
  for (const [i, [fields, code, field]] of cases.entries()) {
    const id = `rule-${i}`;
    c.generate({ ...JOB, id, ...fields } as Parameters<BridgeClient['generate']>[0]);
    const trace = await c.job(id);
    const err = trace.end as ErrorMessage;
    assert.deepEqual([err.type, err.code, err.field], ['error', code, field], JSON.stringify(fields));
    assert.deepEqual(trace.messages.map((m) => m.type), ['error'], 'rejected before queueing');
  }
});

test('HTTP: an animation and a prompt list answer JSON with one PNG per result', async () => {
  const { mode: _mode, ...job } = JOB;
  const post = (body: unknown) =>
    fetch(`${bridge.url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bridge.token}` },
      body: JSON.stringify(body),
    });
  type Body = { results: { index: number; seed: number; parameters: string; png: string }[] };
  const list = await post({ ...job, mode: 'txt2img', prompt: '', prompts: [{ prompt: 'green', seed: 1 }] });
  assert.equal(list.status, 200, await list.clone().text());
  const listBody = (await list.json()) as Body;
  assert.deepEqual(listBody.results.map((r) => [r.index, r.seed]), [[0, 1]]);
  const green = await decodeImage(new Uint8Array(Buffer.from(listBody.results[0]?.png ?? '', 'base64')));
  assert.ok(allPixelsNear(green.data, oracleExpectedPixel({ prompt: 'green', guidance: 1 })));

  const anim = await post({ ...job, mode: 'txt2img', prompt: 'red', animation: { frames: 3, toPrompt: 'blue' } });
  assert.equal(anim.status, 200, await anim.clone().text());
  const animBody = (await anim.json()) as Body;
  assert.deepEqual(animBody.results.map((r) => r.index), [0, 1, 2]);
  const frames: DecodedFrame['payload'][] = [];
  for (const r of animBody.results) frames.push((await decodeImage(new Uint8Array(Buffer.from(r.png, 'base64')))).data);
  assert.ok(allPixelsNear(frames[1] ?? new Uint8Array(), [128, 64, 128], 1), 'the middle frame is the mid colour');
  assert.equal(parseParameters(animBody.results[2]?.parameters ?? '').fields['Frame t'], '1');

  const rule = await post({ ...job, mode: 'txt2img', prompt: 'x', prompts: [{ prompt: 'red' }] });
  assert.deepEqual([rule.status, ((await rule.json()) as { field?: string }).field], [400, 'prompt']);
});
