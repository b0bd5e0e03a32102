import type { WebSocket } from 'ws';
import { encodeFrame, type ServerMessage } from '@latent-bridge/shared';
import type { EncodedImage } from './job-types.js';

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
    this.send({ ...message, type: kind, frame: frameId, width, height } as ServerMessage);
    if (this.ws.readyState !== this.ws.OPEN) return;
    try {
      const frame = encodeFrame({ kind, format, width, height, channels, bitDepth, frameId, jobId: message.id, batchIndex: message.index }, payload);
      this.ws.send(frame);
    } catch {
      // As in send().
    }
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }
}
