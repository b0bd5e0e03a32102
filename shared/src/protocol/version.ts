import { BridgeError } from '../errors.js';
import { MIN_PROTOCOL_VERSION, PROTOCOL_VERSION } from './constants.js';

export interface ProtocolRange {
  min: number;
  max: number;
}

/**
 * The server's answer to `hello.protocol`: the version both sides will speak (the client's,
 * when this server still speaks it), or a protocol_version error that says which side to update.
 */
export function negotiateProtocol(
  requested: number,
  range: ProtocolRange = { min: MIN_PROTOCOL_VERSION, max: PROTOCOL_VERSION },
): number {
  if (requested < range.min) {
    throw new BridgeError(
      'protocol_version',
      `The plug-in speaks protocol ${requested}, but this bridge server needs protocol ${describe(range)}. Update the plug-in.`,
      'protocol',
    );
  }
  if (requested > range.max) {
    throw new BridgeError(
      'protocol_version',
      `The plug-in speaks protocol ${requested}, but this bridge server only speaks protocol ${describe(range)}. Update the bridge server.`,
      'protocol',
    );
  }
  return requested;
}

function describe(range: ProtocolRange): string {
  return range.min === range.max ? String(range.max) : `${range.min} to ${range.max}`;
}
