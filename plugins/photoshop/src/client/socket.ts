/**
 * The browser-style WebSocket surface the client uses: UXP's global WebSocket has it, and so
 * does the `ws` package under Node (tests). Handlers are properties, as in Adobe's sample.
 */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: string | ArrayBuffer | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export const SOCKET_OPEN = 1;

/** The global WebSocket (UXP, browsers). */
export function globalSocketFactory(): SocketFactory {
  const Ctor = (globalThis as { WebSocket?: new (url: string) => SocketLike }).WebSocket;
  if (!Ctor) throw new Error('No WebSocket in this environment');
  return (url) => new Ctor(url);
}
