import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '@latent-bridge/shared';
import { serveOptions } from './serve-command.js';

test('serve options: defaults, flags, token sources', () => {
  const env = { LATENT_BRIDGE_CONFIG_DIR: '/cfg' };
  const d = serveOptions([], env);
  assert.deepEqual([d.host, d.port, d.token, d.configDir, d.demo, d.allowOrigins], ['127.0.0.1', 7450, undefined, '/cfg', 'auto', []]);
  const o = serveOptions(['--port', '0', '--host', '0.0.0.0', '--models', '/m', '--demo', '--allow-origin', 'http://a', '--allow-origin', 'http://b', '--provider', 'cpu'], env);
  assert.deepEqual([o.host, o.port, o.modelsDir, o.demo, o.allowOrigins, o.provider], ['0.0.0.0', 0, '/m', true, ['http://a', 'http://b'], 'cpu']);
  assert.equal(serveOptions(['--token', 'abc'], env).token, 'abc');
  assert.equal(d.optimizedCacheDir, undefined);
  assert.equal(serveOptions(['--ort-cache', '/c'], env).optimizedCacheDir, '/c');
  assert.equal(serveOptions([], { ...env, LATENT_BRIDGE_ORT_CACHE: '/e' }).optimizedCacheDir, '/e');
  assert.equal(serveOptions([], { ...env, LATENT_BRIDGE_TOKEN: 'from-env' }).token, 'from-env');
  assert.equal(serveOptions(['--no-token'], { ...env, LATENT_BRIDGE_TOKEN: 'from-env' }).token, null);
  const bad = (argv: string[], field: string) => assert.throws(() => serveOptions(argv, env), (e: unknown) => e instanceof BridgeError && e.field === field);
  bad(['--port', '70000'], 'port');
  bad(['--port', 'x'], 'port');
  bad(['--provider', 'tpu'], 'provider');
  bad(['--token', 'a', '--no-token'], 'token');
});

test('serve options: --keep-sessions or LATENT_BRIDGE_KEEP_SESSIONS=1 keeps every session open through decodes', () => {
  const env = { LATENT_BRIDGE_CONFIG_DIR: '/cfg' };
  assert.equal(serveOptions([], env).residency, undefined, 'lean by default');
  assert.equal(serveOptions(['--keep-sessions'], env).residency, 'resident');
  assert.equal(serveOptions([], { ...env, LATENT_BRIDGE_KEEP_SESSIONS: '1' }).residency, 'resident');
  assert.equal(serveOptions([], { ...env, LATENT_BRIDGE_KEEP_SESSIONS: '0' }).residency, undefined);
  assert.throws(
    () => serveOptions([], { ...env, LATENT_BRIDGE_KEEP_SESSIONS: 'yes' }),
    (e: unknown) => e instanceof BridgeError && e.field === 'LATENT_BRIDGE_KEEP_SESSIONS',
  );
});
