import { BridgeError, negotiateProtocol, parseClientMessage, type Limits, type ProtocolRange } from '@latent-bridge/shared';
import { tokenMatches } from '../config/token.js';

/**
 * Checks a connection's first message and returns the protocol version both sides will speak.
 * Throws hello_required (not a hello), protocol_version (checked before anything else in the
 * hello, so a client of any version hears which side to update), invalid_field, limit_exceeded
 * or unauthorized (a token is configured and this one does not match).
 */
export function acceptHello(bytes: Uint8Array, limits: Limits, range: ProtocolRange, token: string | null): number {
  if (bytes.length > limits.maxMessageBytes) {
    throw new BridgeError('limit_exceeded', `hello is over this server's limit of ${limits.maxMessageBytes} bytes.`);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch {
    throw new BridgeError('hello_required', 'The first message on a connection must be hello (it was not JSON).');
  }
  if (typeof value !== 'object' || value === null || (value as { type?: unknown }).type !== 'hello') {
    throw new BridgeError('hello_required', 'The first message on a connection must be hello.');
  }
  const protocol = (value as { protocol?: unknown }).protocol;
  if (typeof protocol === 'number' && Number.isInteger(protocol)) negotiateProtocol(protocol, range);
  const hello = parseClientMessage(value, limits);
  if (hello.type !== 'hello') throw new BridgeError('hello_required', 'The first message on a connection must be hello.');
  const negotiated = negotiateProtocol(hello.protocol, range);
  if (token !== null && !tokenMatches(hello.token, token)) {
    throw new BridgeError('unauthorized', 'Missing or wrong token. Run `latent-bridge token` on the server machine and paste it into the plug-in.', 'token');
  }
  return negotiated;
}
