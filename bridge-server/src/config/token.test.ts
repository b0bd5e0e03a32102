import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { defaultConfigDir } from './config-dir.js';
import { loadOrCreateToken, tokenMatches } from './token.js';

test('the token is created once, kept, and only its owner can read the file', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lb-token-'));
  try {
    const configDir = path.join(dir, 'nested', 'latent-bridge');
    const first = await loadOrCreateToken(configDir);
    assert.match(first, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(await loadOrCreateToken(configDir), first);
    if (process.platform !== 'win32') assert.equal((await stat(path.join(configDir, 'token'))).mode & 0o777, 0o600);
    const other = await loadOrCreateToken(path.join(dir, 'other'));
    assert.notEqual(other, first);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('tokenMatches accepts only the exact token', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abd', 'abc'), false);
  assert.equal(tokenMatches('abc ', 'abc'), false);
  assert.equal(tokenMatches('', 'abc'), false);
  assert.equal(tokenMatches(undefined, 'abc'), false);
});

test('config dir: override, XDG, home, Windows APPDATA', () => {
  assert.equal(defaultConfigDir({ LATENT_BRIDGE_CONFIG_DIR: '/x/y' }, 'linux', '/home/u'), '/x/y');
  assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: '/cfg' }, 'linux', '/home/u'), '/cfg/latent-bridge');
  assert.equal(defaultConfigDir({}, 'linux', '/home/u'), '/home/u/.config/latent-bridge');
  assert.equal(defaultConfigDir({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, 'win32', 'C:\\Users\\u'), 'C:\\Users\\u\\AppData\\Roaming\\latent-bridge');
});
