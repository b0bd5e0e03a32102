import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import { DEFAULT_LIMITS, PROTOCOL_VERSION, type ErrorMessage, type WelcomeMessage } from '@latent-bridge/bridge-server';
import { BridgeClient } from './bridge-client.js';
import { BASE_JOB, startTestBridge, type TestBridge } from './test-server.js';

let bridge: TestBridge;
before(async () => {
  bridge = await startTestBridge({ allowOrigins: ['http://localhost:5173'], helloTimeoutMs: 1000 });
});
after(() => bridge.stop());

test('hello with the token gets welcome with models, schedulers and limits', async () => {
  const c = await BridgeClient.open(bridge.wsUrl);
  c.send({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'e2e/1', token: bridge.token });
  const welcome = await c.nextMessage<WelcomeMessage>((m) => m.type === 'welcome');
  assert.equal(welcome.protocol, PROTOCOL_VERSION);
  assert.match(welcome.server, /^latent-bridge\//);
  const names = welcome.capabilities.models.map((m) => m.name);
  assert.deepEqual(names.sort(), ['demo', 'demo-inpaint']);
  assert.equal(welcome.capabilities.models.find((m) => m.name === 'demo-inpaint')?.inpainting, true);
  assert.ok(welcome.capabilities.schedulers.includes('euler'));
  assert.deepEqual(welcome.capabilities.limits, { ...DEFAULT_LIMITS });
  c.send({ type: 'list-models' });
  const models = await c.nextMessage((m) => m.type === 'models');
  assert.deepEqual(models.type === 'models' && models.models.map((m) => m.name).sort(), ['demo', 'demo-inpaint']);
  c.send({ type: 'status' });
  const status = await c.nextMessage((m) => m.type === 'status');
  assert.equal(status.type === 'status' && status.queueLength, 0);
  c.close();
});

/** Sends `first` as the first message and expects `code` followed by a close with 1008. */
async function refusedWith(first: unknown, code: string): Promise<ErrorMessage> {
  const c = await BridgeClient.open(bridge.wsUrl);
  if (first instanceof Uint8Array) c.sendBytes(first);
  else c.send(first);
  const closed = await c.closed;
  assert.equal(closed.code, 1008);
  const errors = c.messages.filter((m): m is ErrorMessage => m.type === 'error');
  assert.equal(errors.length, 1, JSON.stringify(c.messages));
  assert.equal(errors[0]?.code, code);
  return errors[0] as ErrorMessage;
}

test('a wrong or missing token is refused with unauthorized and close 1008', async () => {
  const wrong = await refusedWith({ type: 'hello', protocol: 1, client: 'x', token: 'nope' }, 'unauthorized');
  assert.equal(wrong.field, 'token');
  await refusedWith({ type: 'hello', protocol: 1, client: 'x' }, 'unauthorized');
});

test('anything before hello is refused with hello_required and close 1008', async () => {
  await refusedWith({ type: 'status' }, 'hello_required');
  await refusedWith('not json at all', 'hello_required');
  await refusedWith(new Uint8Array([0x4c, 0x42, 0x46, 0x31, 0, 0]), 'hello_required');
});

test('an old or too new protocol version gets protocol_version saying which side to update', async () => {
  const old = await refusedWith({ type: 'hello', protocol: 0, client: 'old-plugin', token: bridge.token }, 'protocol_version');
  assert.equal(old.field, 'protocol');
  assert.match(old.message, /Update the plug-in/);
  const newer = await refusedWith({ type: 'hello', protocol: PROTOCOL_VERSION + 1, client: 'new-plugin', token: bridge.token, future: 1 }, 'protocol_version');
  assert.match(newer.message, /Update the bridge server/);
});

test('a second hello is an error, the connection stays usable', async () => {
  const c = await BridgeClient.connect(bridge.wsUrl, bridge.token);
  c.send({ type: 'hello', protocol: 1, client: 'again', token: bridge.token });
  const e = await c.nextMessage((m) => m.type === 'error');
  assert.equal(e.type === 'error' && e.field, 'type');
  c.send({ type: 'status' });
  await c.nextMessage((m) => m.type === 'status');
  c.close();
});

/** The upgrade's HTTP status, or 101 when it was accepted. */
function upgradeStatus(origin: string | undefined, path = '/ws'): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(bridge.wsUrl.replace('/ws', path), origin !== undefined ? { origin } : {});
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(String(err))) reject(err);
    });
  });
}

test('WebSocket upgrades from browser origins are refused unless allowed; desktop hosts pass', async () => {
  assert.equal(await upgradeStatus('http://evil.example'), 403);
  assert.equal(await upgradeStatus('https://localhost:5173'), 403);
  assert.equal(await upgradeStatus('http://localhost:5173'), 101);
  assert.equal(await upgradeStatus(undefined), 101);
  assert.equal(await upgradeStatus('null'), 101);
  assert.equal(await upgradeStatus('uxp://com.example.panel'), 101);
  assert.equal(await upgradeStatus('file://'), 101);
  assert.equal(await upgradeStatus(undefined, '/other'), 404);
});

test('HTTP: health is open, the rest needs the bearer token, browser origins get 403', async () => {
  const health = await fetch(`${bridge.url}/health`);
  assert.equal(health.status, 200);
  assert.equal(((await health.json()) as { ok: boolean }).ok, true);

  const noToken = await fetch(`${bridge.url}/v1/models`);
  assert.equal(noToken.status, 401);
  assert.equal(((await noToken.json()) as { code: string }).code, 'unauthorized');

  const auth = { authorization: `Bearer ${bridge.token}` };
  const models = await fetch(`${bridge.url}/v1/models`, { headers: auth });
  assert.equal(models.status, 200);
  assert.deepEqual(((await models.json()) as { models: { name: string }[] }).models.map((m) => m.name).sort(), ['demo', 'demo-inpaint']);

  const caps = await fetch(`${bridge.url}/v1/capabilities`, { headers: auth });
  assert.equal(((await caps.json()) as { capabilities: { limits: { maxSteps: number } } }).capabilities.limits.maxSteps, DEFAULT_LIMITS.maxSteps);

  for (const path of ['/health', '/v1/models']) {
    const evil = await fetch(`${bridge.url}${path}`, { headers: { ...auth, origin: 'http://evil.example' } });
    assert.equal(evil.status, 403, path);
    assert.equal(((await evil.json()) as { code: string }).code, 'forbidden_origin');
  }
});

test('a connection that never says hello is closed with hello_required', async () => {
  const c = await BridgeClient.open(bridge.wsUrl);
  const closed = await c.closed;
  assert.equal(closed.code, 1008);
  assert.deepEqual(c.messages.map((m) => m.type === 'error' && m.code), ['hello_required']);
});

/** Status of a GET with a forged Host header (fetch will not send one). */
function statusWithHost(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${bridge.url}${path}`, { headers: { host, authorization: `Bearer ${bridge.token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('DNS rebinding: a Host header that is not this machine gets 403', async () => {
  assert.equal(await statusWithHost('/v1/models', 'evil.example:7450'), 403);
  assert.equal(await statusWithHost('/health', 'evil.example'), 403);
  assert.equal(await statusWithHost('/v1/models', `localhost:${bridge.port}`), 200);
});

test('messages sent right behind hello are answered after the welcome, in order', async () => {
  const c = await BridgeClient.open(bridge.wsUrl);
  c.send({ type: 'hello', protocol: PROTOCOL_VERSION, client: 'eager', token: bridge.token });
  c.send({ type: 'status' });
  c.generate({ ...BASE_JOB, id: 'eager' });
  const trace = await c.job('eager');
  assert.equal(trace.end.type, 'done');
  assert.deepEqual(c.messages.slice(0, 3).map((m) => m.type), ['welcome', 'status', 'queued']);
  c.close();
});
