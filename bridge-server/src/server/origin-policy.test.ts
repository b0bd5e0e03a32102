import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLoopbackAddress, isLoopbackHost, OriginPolicy } from './origin-policy.js';

test('native and desktop-host origins pass, web origins need the allow-list', () => {
  const policy = new OriginPolicy(['http://localhost:3000', 'HTTPS://Tools.Example.com:443/']);
  // A UXP panel's Origin is undocumented: a scheme form, or a bare plug-in id (issue 20, finding 10).
  for (const ok of [undefined, '', 'null', 'file://', 'uxp://com.latent-bridge.panel', 'app://photoshop', 'dev.latent-bridge.photoshop', 'com.adobe.photoshop_uxp-1']) {
    assert.equal(policy.allows(ok), true, String(ok));
  }
  assert.equal(policy.allows('http://localhost:3000'), true);
  assert.equal(policy.allows('https://tools.example.com'), true);
  for (const bad of ['http://evil.example', 'https://localhost:3000', 'http://localhost:3001', 'http://127.0.0.1', 'not an origin', '://x', '/ws', 'a/b', '.hidden']) {
    assert.equal(policy.allows(bad), false, bad);
  }
  assert.equal(new OriginPolicy().allows('http://localhost:7450'), false);
});

test('on loopback, only loopback Host headers pass (DNS rebinding)', () => {
  const policy = new OriginPolicy([], true);
  for (const ok of [undefined, '127.0.0.1:7450', 'localhost:7450', 'LOCALHOST', 'app.localhost:1', '[::1]:7450', '127.1.2.3']) {
    assert.equal(policy.allowsRequest(undefined, ok), true, String(ok));
  }
  for (const bad of ['evil.example:7450', '127.0.0.1.evil.example', '192.168.1.5:7450', 'a b']) {
    assert.equal(policy.allowsRequest(undefined, bad), false, bad);
    assert.equal(isLoopbackHost(bad), false, bad);
  }
  assert.equal(new OriginPolicy([], false).allowsRequest(undefined, 'evil.example'), true);
  assert.equal(policy.allowsRequest('http://evil.example', '127.0.0.1'), false);
  assert.deepEqual(['127.0.0.1', '::1', 'localhost', '0.0.0.0', '192.168.1.2'].map(isLoopbackAddress), [true, true, true, false, false]);
});

test('without a token, a null origin (also sent by sandboxed iframes) needs listing', () => {
  assert.equal(new OriginPolicy([], true, true).allows('null'), true);
  assert.equal(new OriginPolicy([], true, false).allows('null'), false);
  assert.equal(new OriginPolicy(['null'], true, false).allows('null'), true);
  assert.equal(new OriginPolicy([], true, false).allows(undefined), true);
  assert.equal(new OriginPolicy([], true, false).allows('uxp://panel'), true);
});
