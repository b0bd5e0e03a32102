import type { z } from 'zod/v4';
import { BridgeError } from '../errors.js';
import { CLIENT_MESSAGE_TYPES, clientMessageSchema, type ClientMessage } from './client-messages.js';
import { checkGenerate } from './generate-rules.js';
import { resolveLimits, type Limits } from './limits.js';
import { SERVER_MESSAGE_TYPES, serverMessageSchema, type ServerMessage } from './server-messages.js';
import { utf8ByteLength } from './text-measure.js';
import { issueToBridgeError } from './zod-issues.js';

/**
 * Validates a message from a client: JSON text as received, or a value already parsed.
 * Returns it typed with defaults filled in, or throws BridgeError with code malformed_message,
 * unknown_message_type, invalid_field or limit_exceeded and the field path.
 */
export function parseClientMessage(input: unknown, limits?: Partial<Limits>): ClientMessage {
  const resolved = resolveLimits(limits);
  const value = decodeJson(input, resolved.maxMessageBytes);
  requireKnownType(value, CLIENT_MESSAGE_TYPES, 'client');
  const message = validate(clientMessageSchema, value);
  if (message.type === 'generate') checkGenerate(message, resolved);
  return message;
}

/** Validates a message from the server, as parseClientMessage does for the other direction. */
export function parseServerMessage(input: unknown): ServerMessage {
  const value = decodeJson(input, Number.POSITIVE_INFINITY);
  requireKnownType(value, SERVER_MESSAGE_TYPES, 'server');
  const message = validate(serverMessageSchema, value);
  if (message.type === 'progress' && message.step > message.total) {
    throw new BridgeError('invalid_field', 'step: must not be more than total', 'step');
  }
  return message;
}

/**
 * The job id of a message that may have failed validation, so the error can still be
 * addressed to its job. Never throws.
 */
export function messageJobId(input: unknown): string | undefined {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return undefined;
    }
  }
  if (!isPlainObject(value)) return undefined;
  const id = value['id'];
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function decodeJson(input: unknown, maxBytes: number): Record<string, unknown> {
  let value = input;
  if (typeof input === 'string') {
    if (input.length > maxBytes || utf8ByteLength(input) > maxBytes) {
      throw new BridgeError('limit_exceeded', `Message is over this server's limit of ${maxBytes} bytes.`);
    }
    try {
      value = JSON.parse(input);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new BridgeError('malformed_message', `Message is not valid JSON: ${detail}`);
    }
  }
  if (!isPlainObject(value)) throw new BridgeError('malformed_message', 'Message must be a JSON object.');
  return value;
}

function requireKnownType(value: Record<string, unknown>, known: readonly string[], side: string): void {
  const type = value['type'];
  if (typeof type !== 'string') {
    throw new BridgeError('malformed_message', 'Message needs a string field "type".', 'type');
  }
  if (!known.includes(type)) {
    throw new BridgeError('unknown_message_type', `Unknown ${side} message type ${JSON.stringify(type)}.`, 'type');
  }
}

function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  // reportInput lets the error say what was received instead of what was missing.
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) throw issueToBridgeError(result.error.issues);
  return result.data;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
