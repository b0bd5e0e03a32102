/**
 * The browser-style WebSocket surface the client uses: UXP's global WebSocket has it, and so
 * does the `ws` package under Node (tests). Handlers are properties, as in Adobe's sample.
 */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  /** Bytes queued by send() and not yet on the wire (documented in UXP; used for pacing). */
  readonly bufferedAmount?: number;
  send(data: string | ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export const SOCKET_OPEN = 1;

/**
 * The sub-protocol the client offers. UXP's typings declare WebSocket's `protocols` argument as
 * required (cc-ext-uxp-types 7.3.1), so the client always passes one; the bridge's `ws` server
 * echoes the first offered one (no handleProtocols), and browsers and Node accept that answer.
 */
export const BRIDGE_SUBPROTOCOL = 'latent-bridge';

type SocketCtor = new (url: string, protocols?: string | string[]) => SocketLike;

/**
 * The global WebSocket (UXP, browsers). Assumed, since Adobe documents neither way: the
 * constructor may insist on a protocol argument, or may reject one; the factory offers the
 * sub-protocol and falls back to the bare URL only if the constructor throws.
 */
export function globalSocketFactory(): SocketFactory {
  const Ctor = (globalThis as { WebSocket?: SocketCtor }).WebSocket;
  if (!Ctor) throw new Error('No WebSocket in this environment');
  return socketFactoryFor(Ctor);
}

export function socketFactoryFor(Ctor: SocketCtor): SocketFactory {
  return (url) => {
    try {
      return new Ctor(url, BRIDGE_SUBPROTOCOL);
    } catch {
      return new Ctor(url);
    }
  };
}
