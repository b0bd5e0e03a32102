/**
 * A zip reader for PyTorch's checkpoint archives: the central directory (ZIP64 included) is read
 * and checked against the file; stored entries, which torch always writes (uncompressed, data
 * aligned to 64 bytes), are then read in place by offset. Deflated entries, from archives
 * re-packed by other tools, are inflated whole when read.
 */
import { promisify } from 'node:util';
import { inflateRaw } from 'node:zlib';
import { crc32 } from '@latent-bridge/shared';
import { invalidCheckpoint } from './checkpoint-error.js';
import type { PositionedFile } from './positioned-file.js';

const inflateRawAsync = promisify(inflateRaw);

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
/** Far more than any checkpoint has (one entry per storage); bounds what a hostile file can make us hold. */
const MAX_ENTRIES = 1_000_000;
const MAX_CENTRAL_DIRECTORY = 256 * 1024 * 1024;

export interface ZipEntry {
  readonly name: string;
  /** 0 stored, 8 deflated. */
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly crc32: number;
  /** File offset of the local header; the data offset is found from it on first read. */
  readonly localHeaderOffset: number;
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}
function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}
function u64(file: string, b: Uint8Array, at: number, what: string): number {
  const v = u32(b, at) + u32(b, at + 4) * 0x100000000;
  if (!Number.isSafeInteger(v)) throw invalidCheckpoint(file, `zip ${what} ${v} is beyond any real file`);
  return v;
}

export class ZipArchive {
  private readonly byName: ReadonlyMap<string, ZipEntry>;
  private readonly dataOffsets = new Map<string, number>();

  private constructor(
    readonly reader: PositionedFile,
    readonly entries: readonly ZipEntry[],
    /** Where the central directory starts: no entry's data may reach past it. */
    private readonly centralOffset: number,
  ) {
    this.byName = new Map(entries.map((e) => [e.name, e]));
  }

  get file(): string {
    return this.reader.file;
  }

  static async open(reader: PositionedFile): Promise<ZipArchive> {
    const file = reader.file;
    const tailLength = Math.min(reader.size, EOCD_SIZE + MAX_COMMENT + 20);
    const tailStart = reader.size - tailLength;
    const tail = await reader.read(tailStart, tailLength, 'zip end of central directory');
    let eocd = -1;
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
      if (u32(tail, i) === SIG_EOCD && i + EOCD_SIZE + u16(tail, i + 20) === tailLength) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw invalidCheckpoint(file, 'no zip end-of-central-directory record (truncated or not a zip archive)');
    let count = u16(tail, eocd + 10);
    let cdSize = u32(tail, eocd + 12);
    let cdOffset = u32(tail, eocd + 16);
    if (u16(tail, eocd + 4) !== 0 || u16(tail, eocd + 6) !== 0) throw invalidCheckpoint(file, 'multi-disk zip archives are not supported');
    const locator = eocd - 20;
    if (locator >= 0 && u32(tail, locator) === SIG_ZIP64_LOCATOR) {
      const recordOffset = u64(file, tail, locator + 8, 'ZIP64 record offset');
      const record = await reader.read(recordOffset, 56, 'zip ZIP64 end of central directory');
      if (u32(record, 0) !== SIG_ZIP64_EOCD) throw invalidCheckpoint(file, 'the ZIP64 locator points at no ZIP64 end-of-central-directory record');
      count = u64(file, record, 32, 'entry count');
      cdSize = u64(file, record, 40, 'central directory size');
      cdOffset = u64(file, record, 48, 'central directory offset');
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      throw invalidCheckpoint(file, 'the zip needs ZIP64 records that are missing (truncated?)');
    }
    if (count > MAX_ENTRIES) throw invalidCheckpoint(file, `the zip claims ${count} entries`);
    if (cdSize > MAX_CENTRAL_DIRECTORY) throw invalidCheckpoint(file, `the zip central directory claims ${cdSize} bytes`);
    if (cdOffset + cdSize > reader.size) {
      throw invalidCheckpoint(file, `the zip central directory [${cdOffset}, ${cdOffset + cdSize}) runs past the end of the ${reader.size}-byte file (truncated?)`);
    }
    const cd = await reader.read(cdOffset, cdSize, 'zip central directory');
    const entries = parseCentralDirectory(file, cd, count, cdOffset);
    return new ZipArchive(reader, entries, cdOffset);
  }

  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /** File offset of an entry's data, from its local header (read once, then remembered). */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.dataOffsets.get(entry.name);
    if (known !== undefined) return known;
    const file = this.file;
    const header = await this.reader.read(entry.localHeaderOffset, 30, entry.name);
    if (u32(header, 0) !== SIG_LOCAL) throw invalidCheckpoint(file, `no local zip header at offset ${entry.localHeaderOffset}`, entry.name);
    const offset = entry.localHeaderOffset + 30 + u16(header, 26) + u16(header, 28);
    if (offset + entry.compressedSize > this.centralOffset) {
      throw invalidCheckpoint(file, `zip entry data [${offset}, ${offset + entry.compressedSize}) runs into the central directory at ${this.centralOffset}`, entry.name);
    }
    this.dataOffsets.set(entry.name, offset);
    return offset;
  }

  /**
   * Reads `length` bytes at `position` of the entry's uncompressed data into `target`. Stored
   * entries are read in place; deflated ones are inflated whole (and checked) each time.
   */
  async readRange(entry: ZipEntry, position: number, target: Uint8Array, what: string): Promise<Uint8Array> {
    if (position < 0 || position + target.byteLength > entry.size) {
      throw invalidCheckpoint(this.file, `needs bytes [${position}, ${position + target.byteLength}) of zip entry "${entry.name}", which holds ${entry.size}`, what);
    }
    if (entry.method === 0) return this.reader.readInto(target, (await this.dataOffset(entry)) + position, what);
    const whole = await this.readEntry(entry);
    target.set(whole.subarray(position, position + target.byteLength));
    return target;
  }

  /** The whole uncompressed entry, its CRC checked. For small entries (data.pkl) and deflated ones. */
  async readEntry(entry: ZipEntry): Promise<Uint8Array> {
    const file = this.file;
    const raw = await this.reader.read(await this.dataOffset(entry), entry.compressedSize, entry.name);
    let data: Uint8Array;
    if (entry.method === 0) data = raw;
    else {
      try {
        data = new Uint8Array(await inflateRawAsync(raw, { maxOutputLength: Math.max(1, entry.size) }));
      } catch (err) {
        throw invalidCheckpoint(file, `the deflated zip entry does not inflate (${err instanceof Error ? err.message : String(err)})`, entry.name);
      }
    }
    if (data.byteLength !== entry.size) throw invalidCheckpoint(file, `zip entry holds ${data.byteLength} bytes, its directory says ${entry.size}`, entry.name);
    if (crc32(data) !== entry.crc32) throw invalidCheckpoint(file, 'zip entry fails its CRC-32 check (corrupt file)', entry.name);
    return data;
  }
}

function parseCentralDirectory(file: string, cd: Uint8Array, count: number, cdOffset: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  const names = new Set<string>();
  const decoder = new TextDecoder('utf-8');
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > cd.byteLength || u32(cd, at) !== SIG_CENTRAL) throw invalidCheckpoint(file, `zip central directory entry ${i} is damaged`);
    const flags = u16(cd, at + 8);
    const method = u16(cd, at + 10);
    const crc = u32(cd, at + 16);
    let compressedSize = u32(cd, at + 20);
    let size = u32(cd, at + 24);
    const nameLength = u16(cd, at + 28);
    const extraLength = u16(cd, at + 30);
    const commentLength = u16(cd, at + 32);
    let localHeaderOffset = u32(cd, at + 42);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > cd.byteLength) throw invalidCheckpoint(file, `zip central directory entry ${i} runs past the directory`);
    const name = decoder.decode(cd.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field: the 64-bit values of whichever 32-bit fields are saturated, in this order.
    let extra = at + 46 + nameLength;
    const extraEnd = extra + extraLength;
    while (extra + 4 <= extraEnd) {
      const id = u16(cd, extra);
      const length = u16(cd, extra + 2);
      if (extra + 4 + length > extraEnd) break;
      if (id === 0x0001) {
        let p = extra + 4;
        const take = (what: string): number => {
          if (p + 8 > extra + 4 + length) throw invalidCheckpoint(file, `zip ZIP64 extra field too short for the ${what}`, name);
          const v = u64(file, cd, p, what);
          p += 8;
          return v;
        };
        if (size === 0xffffffff) size = take('size');
        if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('header offset');
      }
      extra += 4 + length;
    }
    if (flags & 1) throw invalidCheckpoint(file, 'encrypted zip entries are not supported', name);
    if (method !== 0 && method !== 8) throw invalidCheckpoint(file, `zip compression method ${method} is not supported (only stored and deflated)`, name);
    if (method === 0 && compressedSize !== size) throw invalidCheckpoint(file, `stored zip entry has ${compressedSize} bytes but says it holds ${size}`, name);
    if (localHeaderOffset + 30 > cdOffset) throw invalidCheckpoint(file, `zip local header offset ${localHeaderOffset} is not before the central directory`, name);
    if (names.has(name)) throw invalidCheckpoint(file, 'the zip holds two entries with this name', name);
    names.add(name);
    entries.push({ name, method, compressedSize, size, crc32: crc, localHeaderOffset });
    at = end;
  }
  return entries;
}
