import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeClient } from './bridge-client.js';
import { BASE_JOB, startTestBridge } from './test-server.js';

test('graceful shutdown aborts the running job, tells clients shutting_down and closes with 1001', async () => {
  const bridge = await startTestBridge({ limits: { maxSteps: 1000 } });
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.generate({ ...BASE_JOB, id: 'running', steps: 1000, width: 512, height: 512 });
  c.generate({ ...BASE_JOB, id: 'queued' });
  await c.nextMessage((m) => m.type === 'progress' && m.id === 'running');
  const t0 = performance.now();
  await bridge.stop();
  const stopMs = performance.now() - t0;
  const closed = await c.closed;
  assert.equal(closed.code, 1001);
  const last = c.messages.at(-1);
  assert.deepEqual(last && last.type === 'error' && [last.code, 'id' in last], ['shutting_down', false]);
  // Each unfinished job got exactly one terminal message: shutting_down with its id.
  for (const id of ['running', 'queued']) {
    const ends = c.messages.filter((m) => (m.type === 'done' || m.type === 'cancelled' || m.type === 'error') && 'id' in m && m.id === id);
    assert.deepEqual(ends.map((m) => m.type === 'error' && m.code), ['shutting_down'], `${id}: ${JSON.stringify(ends)}`);
  }
  assert.ok(stopMs < 3000, `stopping took ${stopMs.toFixed(0)} ms`);
  const refused = await fetch(`${bridge.url}/health`).then(
    () => 'answered',
    () => 'refused',
  );
  assert.equal(refused, 'refused');
});
