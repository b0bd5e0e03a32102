/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError, type ErrorCode } from '../errors.js';
import type { GenerateMessageInput } from './client-messages.js';
import { errorMessage } from './error-message.js';
import { DEFAULT_LIMITS } from './limits.js';
import { messageJobId, parseClientMessage, parseServerMessage } from './parse.js';

const base: GenerateMessageInput = {
  type: 'generate',
  id: 'j1',
  mode: 'txt2img',
  model: 'sd15',
  prompt: 'cat',
  steps: 20,
  guidance: 7,
  scheduler: 'euler',
  width: 512,
  height: 512,
};

function rejects(run: () => unknown, code: ErrorCode, field: string | undefined): void {
  assert.throws(run, (err: unknown) => {
    assert.ok(err instanceof BridgeError, String(err));
    assert.equal(err.code, code, err.message);
    assert.equal(err.field, field, err.message);
    return true;
  });
}

test('generate round-trips through JSON with defaults filled', () => {
  const parsed = parseClientMessage(JSON.stringify(base));
  assert.equal(parsed.type, 'generate');
  if (parsed.type !== 'generate') return;
  assert.equal(parsed.negative, '');
  assert.equal(parsed.batch, 1);
  // The server picks strength, grow, feather and padding per mode when the client leaves them out.
  assert.equal(parsed.strength, undefined);
  assert.equal(parsed.grow, undefined);
  assert.equal(parsed.feather, undefined);
  assert.equal(parsed.preview, false);
  assert.equal(parsed.seed, undefined);
  assert.deepEqual(parseClientMessage(JSON.stringify(parsed)), parsed);
});

test('accepts an already-parsed value and every client message type', () => {
  for (const msg of [
    { type: 'hello', protocol: 1, client: 'gimp/0.1.0' },
    { type: 'cancel', id: 'j1' },
    { type: 'list-models' },
    { type: 'status' },
  ]) {
    assert.deepEqual(parseClientMessage(msg), msg);
  }
});

test('not JSON, not an object, no type, unknown type', () => {
  rejects(() => parseClientMessage('{"type":'), 'malformed_message', undefined);
  rejects(() => parseClientMessage('null'), 'malformed_message', undefined);
  rejects(() => parseClientMessage(42), 'malformed_message', undefined);
  rejects(() => parseClientMessage('[]'), 'malformed_message', undefined);
  rejects(() => parseClientMessage({ type: 3 }), 'malformed_message', 'type');
  rejects(() => parseClientMessage({}), 'malformed_message', 'type');
  rejects(() => parseClientMessage({ type: 'render' }), 'unknown_message_type', 'type');
  rejects(() => parseClientMessage({ type: 'result' }), 'unknown_message_type', 'type');
  rejects(() => parseServerMessage({ type: 'hello' }), 'unknown_message_type', 'type');
  rejects(() => parseServerMessage('{'), 'malformed_message', undefined);
});

test('field errors name the path', () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ steps: 0 }, 'steps'],
    [{ steps: '20' }, 'steps'],
    [{ guidance: -1 }, 'guidance'],
    [{ guidance: 51 }, 'guidance'],
    [{ height: 56 }, 'height'],
    [{ width: 8200 }, 'width'],
    [{ seed: 1.5 }, 'seed'],
    [{ seed: 2 ** 53 }, 'seed'],
    [{ strength: 1.01 }, 'strength'],
    [{ scheduler: '' }, 'scheduler'],
    [{ id: '' }, 'id'],
    [{ id: 'x'.repeat(65) }, 'id'],
    [{ id: 'jöb' }, 'id'],
    [{ fill: 'mirror' }, 'fill'],
    [{ grow: 257 }, 'grow'],
    [{ feather: -1 }, 'feather'],
    [{ preview: 'yes' }, 'preview'],
    [{ preview: { every: 2, extra: 1 } }, 'preview.extra'],
    [{ variation: { seed: 1 } }, 'variation.strength'],
    [{ mode: 'outpaint', image: { frame: 1 }, expand: { left: 1, top: 0, right: 0, bottom: 4097 } }, 'expand.bottom'],
    [{ mode: 'img2img', image: { frame: 2 ** 32 } }, 'image.frame'],
    [{ mode: 'img2img', image: 7 }, 'image'],
    [{ negative: null }, 'negative'],
    [{ bogus: true }, 'bogus'],
  ];
  for (const [patch, field] of cases) rejects(() => parseClientMessage({ ...base, ...patch }), 'invalid_field', field);
});

test('error messages say what was wrong', () => {
  assert.throws(() => parseClientMessage({ ...base, steps: 2.5 }), /steps: expected an integer, got a fraction/);
  assert.throws(() => parseClientMessage({ ...base, steps: undefined }), /steps: is required/);
  assert.throws(() => parseClientMessage({ ...base, width: 500 }), /width: must be a multiple of 8/);
  assert.throws(() => parseClientMessage({ ...base, fill: 'x' }), /fill: must be "edge" or "noise"/);
});

test('mode rules', () => {
  const img = { frame: 1 };
  const msk = { frame: 2 };
  const expand = { left: 64, top: 0, right: 0, bottom: 0 };
  rejects(() => parseClientMessage({ ...base, image: img }), 'invalid_field', 'image');
  rejects(() => parseClientMessage({ ...base, mask: msk }), 'invalid_field', 'mask');
  rejects(() => parseClientMessage({ ...base, expand }), 'invalid_field', 'expand');
  rejects(() => parseClientMessage({ ...base, mode: 'img2img' }), 'invalid_field', 'image');
  rejects(() => parseClientMessage({ ...base, mode: 'img2img', image: img, mask: msk }), 'invalid_field', 'mask');
  rejects(() => parseClientMessage({ ...base, mode: 'inpaint', image: img }), 'invalid_field', 'mask');
  rejects(() => parseClientMessage({ ...base, mode: 'inpaint', mask: msk }), 'invalid_field', 'image');
  rejects(() => parseClientMessage({ ...base, mode: 'inpaint', image: img, mask: img }), 'invalid_field', 'mask');
  rejects(() => parseClientMessage({ ...base, mode: 'inpaint', image: img, mask: msk, expand }), 'invalid_field', 'expand');
  rejects(() => parseClientMessage({ ...base, mode: 'outpaint', image: img }), 'invalid_field', 'expand');
  rejects(() => parseClientMessage({ ...base, mode: 'outpaint', expand }), 'invalid_field', 'image');
  const zero = { left: 0, top: 0, right: 0, bottom: 0 };
  rejects(() => parseClientMessage({ ...base, mode: 'outpaint', image: img, expand: zero }), 'invalid_field', 'expand');
  // expand is in source pixels, so it may exceed the generation size.
  parseClientMessage({ ...base, mode: 'outpaint', image: img, expand: { ...zero, top: 300, bottom: 212 } });
  parseClientMessage({ ...base, mode: 'outpaint', image: img, mask: msk, expand });
  parseClientMessage({ ...base, mode: 'inpaint', image: img, mask: msk });
  parseClientMessage({ ...base, mode: 'img2img', image: img });
});

test('limits come from the parameter, defaults otherwise', () => {
  rejects(() => parseClientMessage({ ...base, steps: DEFAULT_LIMITS.maxSteps + 1 }), 'limit_exceeded', 'steps');
  parseClientMessage({ ...base, steps: DEFAULT_LIMITS.maxSteps });
  rejects(() => parseClientMessage({ ...base, steps: 21 }, { maxSteps: 20 }), 'limit_exceeded', 'steps');
  parseClientMessage({ ...base, steps: 500 }, { maxSteps: 500 });
  rejects(() => parseClientMessage({ ...base, batch: 3 }, { maxBatch: 2 }), 'limit_exceeded', 'batch');
  rejects(() => parseClientMessage({ ...base, width: 1024, height: 1024 }, { maxPixels: 1024 * 1023 }), 'limit_exceeded', 'width');
  parseClientMessage({ ...base, width: 1024, height: 1024 }, { maxPixels: 1024 * 1024 });
  rejects(() => parseClientMessage({ ...base, prompt: 'ab' }, { maxPromptChars: 1 }), 'limit_exceeded', 'prompt');
  rejects(() => parseClientMessage({ ...base, prompt: 'a', negative: 'ab' }, { maxPromptChars: 1 }), 'limit_exceeded', 'negative');
  // Code points, not UTF-16 units: one emoji is one character.
  parseClientMessage({ ...base, prompt: '🎨' }, { maxPromptChars: 1 });
  rejects(() => parseClientMessage({ ...base, prompt: '🎨🎨' }, { maxPromptChars: 1 }), 'limit_exceeded', 'prompt');
  // An explicit undefined keeps the default.
  parseClientMessage({ ...base, steps: 150 }, { maxSteps: undefined });
});

test('maxMessageBytes counts UTF-8 bytes of the text', () => {
  const text = JSON.stringify({ ...base, prompt: 'é'.repeat(100) });
  const bytes = new TextEncoder().encode(text).length;
  parseClientMessage(text, { maxMessageBytes: bytes });
  rejects(() => parseClientMessage(text, { maxMessageBytes: bytes - 1 }), 'limit_exceeded', undefined);
});

test('hello tolerates unknown fields; other client messages do not', () => {
  assert.deepEqual(parseClientMessage({ type: 'hello', protocol: 7, client: 'x', extra: 1 }), { type: 'hello', protocol: 7, client: 'x' });
  rejects(() => parseClientMessage({ type: 'cancel', id: 'j', extra: 1 }), 'invalid_field', 'extra');
  rejects(() => parseClientMessage({ type: 'status', extra: 1 }), 'invalid_field', 'extra');
  rejects(() => parseClientMessage({ type: 'hello', protocol: 0, client: 'x' }), 'invalid_field', 'protocol');
  rejects(() => parseClientMessage({ type: 'hello', protocol: 1, client: '' }), 'invalid_field', 'client');
  rejects(() => parseClientMessage({ type: 'hello', protocol: 1, client: 'x', token: 5 }), 'invalid_field', 'token');
});

test('server messages: unknown fields dropped, nested paths, progress rule', () => {
  assert.deepEqual(parseServerMessage({ type: 'started', id: 'j1', extra: 1 }), { type: 'started', id: 'j1' });
  rejects(
    () => parseServerMessage({ type: 'status', state: 'busy', queueLength: 1, jobs: [{ id: 'j1', state: 'paused', position: 0 }], loadedModel: null, uptimeMs: 1 }),
    'invalid_field',
    'jobs[0].state',
  );
  rejects(() => parseServerMessage({ type: 'progress', id: 'j1', step: 3, total: 2 }), 'invalid_field', 'step');
  rejects(() => parseServerMessage({ type: 'progress', id: 'j1', step: 1, total: 2, etaMs: -5 }), 'invalid_field', 'etaMs');
  rejects(() => parseServerMessage({ type: 'done', id: 'j1', results: 1, timings: { totalMs: 'x' } }), 'invalid_field', 'timings.totalMs');
  rejects(() => parseServerMessage({ type: 'error', code: 'nope', message: 'x' }), 'invalid_field', 'code');
});

test('messageJobId finds the job of a message that failed validation', () => {
  assert.equal(messageJobId(JSON.stringify({ ...base, steps: -1 })), 'j1');
  assert.equal(messageJobId({ id: 'x' }), 'x');
  assert.equal(messageJobId({ id: 3 }), undefined);
  assert.equal(messageJobId('{'), undefined);
  assert.equal(messageJobId([]), undefined);
});

test('errorMessage turns any error into a valid error message', () => {
  const fromBridge = errorMessage(new BridgeError('invalid_field', 'steps: bad', 'steps'), 'j1');
  assert.deepEqual(fromBridge, { type: 'error', id: 'j1', code: 'invalid_field', message: 'steps: bad', field: 'steps' });
  assert.deepEqual(parseServerMessage(JSON.stringify(fromBridge)), fromBridge);
  assert.deepEqual(errorMessage(new Error('boom')), { type: 'error', code: 'internal', message: 'boom' });
});
