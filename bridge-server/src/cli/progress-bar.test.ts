import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgressBar, formatBytes, formatDuration } from './progress-bar.js';

function fakeStream(isTTY: boolean): { stream: NodeJS.WriteStream; writes: string[] } {
  const writes: string[] = [];
  const stream = { isTTY, columns: 100, write: (s: string) => writes.push(s) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, writes };
}

test('formatting helpers', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(1536), '1.50 KB');
  assert.equal(formatBytes(1.5 * 1024 ** 3), '1.50 GB');
  assert.equal(formatBytes(200 * 1024 ** 2), '200.0 MB');
  assert.equal(formatDuration(75), '1:15');
  assert.equal(formatDuration(3725), '1:02:05');
  assert.equal(formatDuration(Infinity), '--:--');
});

test('on a TTY it redraws in place, at most every 100 ms', () => {
  let t = 0;
  const { stream, writes } = fakeStream(true);
  const bar = createProgressBar({ label: 'unet/model.onnx', total: 10 * 1024 ** 2, unit: 'bytes', stream, now: () => t });
  t = 1000;
  bar.update(1024 ** 2);
  t = 1050;
  bar.update(2 * 1024 ** 2); // too soon: skipped
  assert.equal(writes.length, 1);
  t = 2000;
  bar.update(5 * 1024 ** 2);
  assert.equal(writes.length, 2);
  const last = writes[1] ?? '';
  assert.ok(last.startsWith('\runet/model.onnx ['));
  assert.match(last, /\s50% 5\.00 MB\/10\.0 MB 2\.50 MB\/s ETA 0:02/);
  assert.ok(last.length <= 100);
  bar.finish('done');
  assert.equal(writes.at(-1), '\ndone\n');
  bar.update(1); // ignored after finish
  assert.equal(writes.at(-1), '\ndone\n');
});

test('off a TTY it prints plain lines now and then, and on label changes', () => {
  let t = 0;
  const { stream, writes } = fakeStream(false);
  const bar = createProgressBar({ label: 'generate', total: 20, stream, now: () => t });
  for (let step = 1; step <= 20; step++) {
    t = step * 1000;
    bar.update(step);
  }
  // First update, then every 5 s: steps 1, 6, 11, 16.
  assert.equal(writes.length, 4);
  assert.ok(writes.every((w) => w.endsWith('\n') && !w.includes('\r')));
  assert.match(writes[1] ?? '', /^generate \[[#-]+\]\s+30% 6\/20 1\.00 it\/s ETA 0:14\n$/);
  t = 20_500;
  bar.update(0, 5, 'decode');
  assert.equal(writes.length, 5);
  assert.match(writes[4] ?? '', /^decode /);
  bar.finish();
  assert.equal(writes.length, 6);
});
