import type { WebSocket } from 'ws';
import { BridgeError, encodeFrame, encodeFrameParts, type FrameHeader, type ServerMessage } from '@latent-bridge/shared';
import type { EncodedImage } from './job-types.js';

/**
 * Payloads from this size on are sent as two fragments (header, payload) instead of one joined
 * frame. Joining copies the payload into fresh memory on the server's event loop: for a 2048²
 * RGBA result that is 16 MiB, 6-9 ms, and ~60 ms when the pages fault in fresh (as on a VM);
 * split, the send call takes ~2 ms. The receiver assembles the message either way (browsers and
 * UXP always do; ws and the GIMP client join the fragments). Small previews stay one frame.
 */
const SPLIT_FRAME_BYTES = 1024 * 1024;

/** How frames are built: shared's encoder, or (in tests) one that can be made to refuse. */
export interface FrameEncoder {
  /** One joined frame. */
  joined(header: FrameHeader, payload: Uint8Array): Uint8Array;
  /** Header bytes and the payload itself, sent as two fragments of one message. */
  parts(header: FrameHeader, payload: Uint8Array): { head: Uint8Array; payload: Uint8Array };
}

export const SHARED_FRAME_ENCODER: FrameEncoder = { joined: encodeFrame, parts: encodeFrameParts };

/**
 * The server side of one socket's outgoing traffic: JSON messages, and image frames numbered
 * from 1 per connection (wrapping at 2^32), each sent right after the message announcing it.
 */
export class SocketSender {
  private nextFrameId = 1;

  constructor(
    private readonly ws: WebSocket,
    private readonly encoder: FrameEncoder = SHARED_FRAME_ENCODER,
  ) {}

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

  /**
   * A preview or result message followed at once by its frame. Throws BridgeError('internal'),
   * with nothing sent, when the encoder refuses the frame: that is the server's fault, not the
   * client's, and the caller decides whether the job can do without it.
   */
  sendImage(kind: 'preview' | 'result', message: { id: string; index: number; [key: string]: unknown }, image: EncodedImage): void {
    const frameId = this.nextFrameId;
    this.nextFrameId = frameId >= 0xffff_ffff ? 1 : frameId + 1;
    const { format, width, height, channels, bitDepth, payload } = image;
    const header: FrameHeader = { kind, format, width, height, channels, bitDepth, frameId, jobId: message.id, batchIndex: message.index };
    // Encode before announcing: a frame the encoder refuses must not leave the client waiting for it.
    let parts: { head: Uint8Array; payload: Uint8Array } | Uint8Array;
    try {
      parts = payload.length < SPLIT_FRAME_BYTES ? this.encoder.joined(header, payload) : this.encoder.parts(header, payload);
    } catch (err) {
      throw new BridgeError('internal', `Could not build the frame of ${kind} ${message.index} of job ${message.id}: ${err instanceof Error ? err.message : String(err)}`);
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
