/**
 * One open file read with positioned reads (pread): no shared cursor, so reads of different
 * tensors may overlap in time, and nothing but the bytes asked for is ever in memory.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { invalidCheckpoint } from './checkpoint-error.js';

/** Largest single read node's fs accepts comfortably; longer reads loop. */
const MAX_READ = 0x40000000;

export class PositionedFile {
  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(file: string): Promise<PositionedFile> {
    const handle = await open(file, 'r');
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw invalidCheckpoint(file, 'not a regular file');
      return new PositionedFile(file, handle, stat.size);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /**
   * Fills `target` from `position`; a file that ends first is a truncated checkpoint, named by
   * `what` (the tensor or structure being read).
   */
  async readInto(target: Uint8Array, position: number, what: string): Promise<Uint8Array> {
    const length = target.byteLength;
    if (position < 0 || position + length > this.size) {
      throw invalidCheckpoint(
        this.file,
        `needs bytes ${position}..${position + length} but the file has ${this.size} (truncated?)`,
        what,
      );
    }
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(target, done, Math.min(MAX_READ, length - done), position + done);
      if (bytesRead === 0) {
        throw invalidCheckpoint(this.file, `the file ended at byte ${position + done} (it shrank while open?)`, what);
      }
      done += bytesRead;
    }
    return target;
  }

  /** A fresh buffer with `length` bytes from `position`. */
  read(position: number, length: number, what: string): Promise<Uint8Array> {
    return this.readInto(new Uint8Array(length), position, what);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}
