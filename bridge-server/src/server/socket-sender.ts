import type { WebSocket } from 'ws';
import { encodeFrame, encodeFrameParts, type FrameHeader, type ServerMessage } from '@latent-bridge/shared';
import type { EncodedImage } from './job-types.js';

/**
 * Payloads from this size on are sent as two fragments (header, payload) instead of one joined
 * frame. Joining copies the payload into fresh memory on the server's event loop: for a 2048²
 * RGBA result that is 16 MiB, 6-9 ms, and ~60 ms when the pages fault in fresh (as on a VM);
 * split, the send call takes ~2 ms. The receiver assembles the message either way (browsers and
 * UXP always do; ws and the GIMP client join the fragments). Small previews stay one frame.
 */
const SPLIT_FRAME_BYTES = 1024 * 1024;

/**
 * The server side of one socket's outgoing traffic: JSON messages, and image frames numbered
 * from 1 per connection (wrapping at 2^32), each sent right after the message announcing it.
 */
export class SocketSender {
  private nextFrameId = 1;

  constructor(private readonly ws: WebSocket) {}

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(message: ServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    try {
      this.ws.send(JSON.stringify(message));
    } catch {
      // A socket that fails to send is closing; its close handler cleans up.
    }
  }

  /** A preview or result message followed at once by its frame. */
  sendImage(kind: 'preview' | 'result', message: { id: string; index: number; [key: string]: unknown }, image: EncodedImage): void {
    const frameId = this.nextFrameId;
    this.nextFrameId = frameId >= 0xffff_ffff ? 1 : frameId + 1;
    const { format, width, height, channels, bitDepth, payload } = image;
    const header: FrameHeader = { kind, format, width, height, channels, bitDepth, frameId, jobId: message.id, batchIndex: message.index };
    // Encode before announcing: a frame the encoder refuses must not leave the client waiting for it.
    let parts: { head: Uint8Array; payload: Uint8Array } | Uint8Array;
    try {
      parts = payload.length < SPLIT_FRAME_BYTES ? encodeFrame(header, payload) : encodeFrameParts(header, payload);
    } catch {
      return;
    }
    this.send({ ...message, type: kind, frame: frameId, width, height } as ServerMessage);
    if (this.ws.readyState !== this.ws.OPEN) return;
    try {
      if (parts instanceof Uint8Array) {
        this.ws.send(parts);
      } else {
        // Unmasked, so ws writes the payload from the pipeline's own buffer. Both sends are
        // synchronous: nothing can come between the two fragments.
        this.ws.send(parts.head, { binary: true, fin: false });
        this.ws.send(parts.payload, { binary: true, fin: true });
      }
    } catch {
      // As in send().
    }
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
}
