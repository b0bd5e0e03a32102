import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { JobQueue, type QueuedJob } from './job-queue.js';

/** A runner whose jobs finish only when the test says so. */
function controlledRunner() {
  const started: string[] = [];
  const finishers = new Map<string, () => void>();
  const runner = (job: QueuedJob<null>) =>
    new Promise<void>((resolve) => {
      started.push(job.id);
      finishers.set(job.id, resolve);
      job.controller.signal.addEventListener('abort', () => resolve());
    });
  const finish = async (id: string) => {
    finishers.get(id)?.();
    await new Promise((r) => setImmediate(r));
  };
  return { started, runner, finish };
}

test('jobs run one at a time, round-robin across clients', async () => {
  const { started, runner, finish } = controlledRunner();
  const q = new JobQueue(runner, { maxQueuedPerClient: 10 });
  assert.equal(q.enqueue('A', 'a1', null).position, 0);
  assert.equal(q.enqueue('A', 'a2', null).position, 1);
  assert.equal(q.enqueue('A', 'a3', null).position, 2);
  // A was just served (a1 runs), so B's first job goes before A's second and third: A, B, A, A.
  assert.equal(q.enqueue('B', 'b1', null).position, 1);
  assert.equal(q.positionOf(q.current as QueuedJob<null>), 0);
  assert.deepEqual(started, ['a1']);
  await finish('a1');
  assert.deepEqual(started, ['a1', 'b1']);
  // B was served more recently than A now: A's next job goes before B's second.
  q.enqueue('B', 'b2', null);
  await finish('b1');
  assert.deepEqual(started, ['a1', 'b1', 'a2']);
  await finish('a2');
  assert.deepEqual(started, ['a1', 'b1', 'a2', 'b2']);
  await finish('b2');
  await finish('a3');
  assert.deepEqual(started, ['a1', 'b1', 'a2', 'b2', 'a3']);
  assert.equal(q.current, undefined);
});

test('cancel removes a waiting job and aborts the running one; only the owner may cancel', async () => {
  const { started, runner, finish } = controlledRunner();
  const q = new JobQueue(runner, { maxQueuedPerClient: 10 });
  const { job: running } = q.enqueue('A', 'a1', null);
  const { job: waiting } = q.enqueue('A', 'a2', null);
  assert.equal(q.cancel('a2', 'B'), false);
  assert.equal(q.cancel('a2', 'A'), true);
  assert.equal(waiting.controller.signal.aborted, true);
  assert.equal(q.cancel('a1', 'A'), true);
  assert.equal(running.controller.signal.aborted, true);
  await finish('a1');
  assert.deepEqual(started, ['a1']);
  assert.equal(q.cancel('nope', 'A'), false);
});

test('a disconnecting client has all its jobs cancelled and frees the queue', async () => {
  const { started, runner, finish } = controlledRunner();
  const q = new JobQueue(runner, { maxQueuedPerClient: 10 });
  q.enqueue('A', 'a1', null);
  q.enqueue('A', 'a2', null);
  q.enqueue('B', 'b1', null);
  assert.deepEqual(q.cancelClient('A').sort(), ['a1', 'a2']);
  await finish('a1');
  assert.deepEqual(started, ['a1', 'b1']);
});

test('per-client queue limit, duplicate ids and closing give catalogued errors', async () => {
  const { runner, finish } = controlledRunner();
  const q = new JobQueue(runner, { maxQueuedPerClient: 1 });
  q.enqueue('A', 'a1', null); // running, not waiting
  q.enqueue('A', 'a2', null);
  assert.throws(() => q.enqueue('A', 'a3', null), (e: unknown) => e instanceof BridgeError && e.code === 'queue_full');
  assert.throws(() => q.enqueue('A', 'a2', null), (e: unknown) => e instanceof BridgeError && e.code === 'invalid_field');
  const closing = q.close(true);
  await finish('a1');
  await closing;
  assert.throws(() => q.enqueue('B', 'b1', null), (e: unknown) => e instanceof BridgeError && e.code === 'shutting_down');
});

test('a runner that throws does not stop the queue', async () => {
  const ran: string[] = [];
  const q = new JobQueue<null>(
    async (job) => {
      ran.push(job.id);
      if (job.id === 'bad') throw new Error('boom');
    },
    { maxQueuedPerClient: 5 },
  );
  q.enqueue('A', 'bad', null);
  q.enqueue('A', 'good', null);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(ran, ['bad', 'good']);
});

test('with a concurrency of two, two jobs run at once, still taken round-robin; close waits for both', async () => {
  const { started, runner, finish } = controlledRunner();
  const q = new JobQueue(runner, { maxQueuedPerClient: 10, concurrency: 2 });
  const a1 = q.enqueue('A', 'a1', null).job;
  q.enqueue('A', 'a2', null);
  q.enqueue('A', 'a3', null);
  const b1 = q.enqueue('B', 'b1', null).job;
  assert.deepEqual(started, ['a1', 'a2']);
  assert.equal(q.runningCount, 2);
  assert.ok(q.isRunning(a1) && !q.isRunning(b1));
  await finish('a1');
  // B has waited longest: its job takes the free slot before A's third.
  assert.deepEqual(started, ['a1', 'a2', 'b1']);
  assert.equal(q.cancel('b1', 'B'), true);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(started, ['a1', 'a2', 'b1', 'a3']);
  let closed = false;
  const closing = q.close(false).then(() => {
    closed = true;
  });
  await finish('a2');
  assert.equal(closed, false, 'a3 still runs');
  await finish('a3');
  await closing;
  assert.equal(q.runningCount, 0);
});
