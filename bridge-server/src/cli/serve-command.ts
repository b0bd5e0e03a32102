import { BridgeError } from '@latent-bridge/shared';

/**
 * The HTTP/WebSocket server is the next milestone (issue: the bridge server and protocol). Until it
 * lands, `serve` says so plainly instead of pretending to listen.
 */
export async function serveCommand(_argv: string[]): Promise<void> {
  throw new BridgeError(
    'internal',
    'The bridge server is not built yet. Use `latent-bridge generate` meanwhile; the protocol is in shared/PROTOCOL.md.',
  );
}

export async function tokenCommand(): Promise<void> {
  throw new BridgeError('internal', 'Tokens come with the bridge server, which is not built yet.');
}
