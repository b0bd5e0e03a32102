/// <reference types="node" />
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BridgeError } from '../errors.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './constants.js';
import { negotiateProtocol } from './version.js';

function rejectsWith(requested: number, range: { min: number; max: number } | undefined, pattern: RegExp): void {
  assert.throws(
    () => negotiateProtocol(requested, range),
    (err: unknown) => err instanceof BridgeError && err.code === 'protocol_version' && err.field === 'protocol' && pattern.test(err.message),
  );
}

test('this build speaks protocol 1', () => {
  assert.equal(PROTOCOL_VERSION, 1);
  assert.ok(MIN_PROTOCOL_VERSION <= PROTOCOL_VERSION);
  assert.equal(negotiateProtocol(PROTOCOL_VERSION), PROTOCOL_VERSION);
});

test('older client: update the plug-in; newer client: update the server', () => {
  rejectsWith(PROTOCOL_VERSION + 1, undefined, /Update the bridge server/);
  rejectsWith(MIN_PROTOCOL_VERSION - 1, undefined, /Update the plug-in/);
  rejectsWith(1, { min: 2, max: 3 }, /needs protocol 2 to 3\. Update the plug-in/);
  rejectsWith(4, { min: 2, max: 3 }, /only speaks protocol 2 to 3\. Update the bridge server/);
  assert.equal(negotiateProtocol(2, { min: 2, max: 3 }), 2);
  assert.equal(negotiateProtocol(3, { min: 2, max: 3 }), 3);
});
