/**
 * Encoded image bytes (PNG, JPEG, WebP) ↔ RgbaImage, through sharp. Every call hands sharp a
 * buffer and takes raw pixels back: no temp files, one sharp pipeline per call.
 *
 * 16-bit PNGs are decoded at 16 bits and reduced here with round(v · 255 / 65535): libvips' own
 * 16 → 8 bit conversion truncates (v >> 8), which darkens every channel by up to one level.
 */
import { sharp } from './vips.js';
import { BridgeError } from '@latent-bridge/shared';
import { checkPixelLimit, DEFAULT_MAX_PIXELS } from './geometry.js';
import { assertRgba, isOpaque, type RgbaImage } from './pixels.js';
import { insertPngText, type PngTextEntry } from './png-text.js';

export type ImageFormat = 'png' | 'jpeg' | 'webp';

export interface DecodeOptions {
  /** Images with more pixels are rejected with limit_exceeded (default DEFAULT_MAX_PIXELS). */
  readonly maxPixels?: number;
  /** Field name used in errors (default 'image'). */
  readonly field?: string;
}

export interface PngEncodeOptions {
  /** zlib level 1 and no adaptive filtering: for previews, several times faster, larger files. */
  readonly fast?: boolean;
  /** Text chunks to embed (tEXt, or iTXt when not Latin-1), e.g. the A1111 "parameters" entry. */
  readonly text?: readonly PngTextEntry[];
  /** Embed an sRGB ICC profile so editors with a wide-gamut working space do not reinterpret the colours. */
  readonly srgbProfile?: boolean;
}

export interface LossyEncodeOptions {
  /** 1..100, default 90. */
  readonly quality?: number;
  readonly srgbProfile?: boolean;
}

export interface WebpEncodeOptions extends LossyEncodeOptions {
  readonly lossless?: boolean;
}

export interface JpegEncodeOptions extends LossyEncodeOptions {
  /** JPEG has no alpha: transparent pixels are composited onto this colour (default white). */
  readonly background?: { r: number; g: number; b: number };
}

/** Recognises the container from its signature; null when it is none of the supported ones. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | null {
  const starts = (sig: readonly number[], at = 0): boolean => sig.every((v, i) => bytes[at + i] === v);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  if (starts([0xff, 0xd8, 0xff])) return 'jpeg';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'webp'; // RIFF....WEBP
  return null;
}

/** Reads IHDR without decoding: width, height and bit depth (1, 2, 4, 8 or 16). */
function pngHeader(bytes: Uint8Array): { width: number; height: number; bitDepth: number } | null {
  if (bytes.length < 33) return null;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(12) !== 0x49484452) return null; // 'IHDR'
  return { width: v.getUint32(16), height: v.getUint32(20), bitDepth: bytes[24]! };
}

function mapSharpError(err: unknown, field: string): BridgeError {
  if (err instanceof BridgeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/pixel limit/i.test(message)) return new BridgeError('limit_exceeded', `${field}: ${message}`, field);
  return new BridgeError('image_invalid', `${field}: cannot decode image (${message})`, field);
}

const to8From16 = (() => {
  const lut = new Uint8Array(65536);
  for (let v = 0; v < 65536; v++) lut[v] = Math.floor((v * 510 + 65535) / 131070);
  return lut;
})();

/** Decodes PNG (1–16 bit, grey, RGB, palette, alpha), JPEG or WebP into RGBA8. */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbaImage> {
  const field = options.field ?? 'image';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw new BridgeError('image_invalid', `${field}: no image bytes`, field);
  }
  const format = sniffFormat(bytes);
  if (!format) throw new BridgeError('image_invalid', `${field}: not a PNG, JPEG or WebP file`, field);
  let sixteen = false;
  if (format === 'png') {
    const header = pngHeader(bytes);
    if (!header) throw new BridgeError('image_invalid', `${field}: PNG header is missing or truncated`, field);
    checkPixelLimit(header, maxPixels, field);
    sixteen = header.bitDepth === 16;
  }
  try {
    const input = sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', autoOrient: true });
    if (sixteen) {
      const { data, info } = await input
        .toColourspace('rgb16')
        .ensureAlpha()
        .raw({ depth: 'ushort' })
        .toBuffer({ resolveWithObject: true });
      checkDecoded(info, field, data.length, 2);
      const aligned = data.byteOffset % 2 === 0 ? data : Buffer.from(data);
      const wide = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.length / 2);
      const out = new Uint8Array(wide.length);
      for (let i = 0; i < wide.length; i++) out[i] = to8From16[wide[i]!]!;
      return { width: info.width, height: info.height, data: out };
    }
    const { data, info } = await input.toColourspace('srgb').ensureAlpha().raw().toBuffer({ resolveWithObject: true });
    checkDecoded(info, field, data.length, 1);
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    throw mapSharpError(err, field);
  }
}

function checkDecoded(info: sharp.OutputInfo, field: string, length: number, bytesPerSample: number): void {
  if (info.channels !== 4 || length !== info.width * info.height * 4 * bytesPerSample) {
    throw new BridgeError('image_invalid', `${field}: decoder returned ${info.channels} channels`, field);
  }
}

/** A sharp pipeline over the raw pixels; opaque images go in as RGB so encoders skip the alpha plane. */
function rawInput(image: RgbaImage, dropAlpha: boolean): sharp.Sharp {
  assertRgba(image);
  const { width, height } = image;
  if (!dropAlpha) return sharp(image.data, { raw: { width, height, channels: 4 } });
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  const d = image.data;
  for (let p = 0, s = 0, o = 0; p < n; p++, s += 4, o += 3) {
    rgb[o] = d[s]!;
    rgb[o + 1] = d[s + 1]!;
    rgb[o + 2] = d[s + 2]!;
  }
  return sharp(rgb, { raw: { width, height, channels: 3 } });
}

function withProfile(pipeline: sharp.Sharp, srgb: boolean | undefined): sharp.Sharp {
  return srgb ? pipeline.withIccProfile('srgb') : pipeline;
}

function checkQuality(q: number | undefined): number {
  const quality = q ?? 90;
  if (!Number.isInteger(quality) || quality < 1 || quality > 100) {
    throw new BridgeError('invalid_field', `quality: must be an integer in [1, 100], got ${String(q)}`, 'quality');
  }
  return quality;
}

async function run(pipeline: sharp.Sharp): Promise<Uint8Array> {
  try {
    const buf = await pipeline.toBuffer();
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  } catch (err) {
    throw new BridgeError('internal', `image encoding failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function encodePng(image: RgbaImage, options: PngEncodeOptions = {}): Promise<Uint8Array> {
  const pipeline = rawInput(image, isOpaque(image)).png(
    options.fast ? { compressionLevel: 1, adaptiveFiltering: false } : { compressionLevel: 6, adaptiveFiltering: true },
  );
  const png = await run(withProfile(pipeline, options.srgbProfile));
  return options.text && options.text.length > 0 ? insertPngText(png, options.text) : png;
}

export async function encodeWebp(image: RgbaImage, options: WebpEncodeOptions = {}): Promise<Uint8Array> {
  const quality = checkQuality(options.quality);
  const pipeline = rawInput(image, isOpaque(image)).webp(
    options.lossless ? { lossless: true } : { quality, alphaQuality: 100, smartSubsample: true },
  );
  return run(withProfile(pipeline, options.srgbProfile));
}

export interface AnimatedWebpOptions extends WebpEncodeOptions {
  /** Milliseconds each frame shows (default 125). */
  readonly delayMs?: number;
  /** 0 (default): loop forever. */
  readonly loops?: number;
}

/** Frames of one size as an animated WebP (sharp stacks them as pages of one tall image). */
export async function encodeAnimatedWebp(frames: readonly RgbaImage[], options: AnimatedWebpOptions = {}): Promise<Uint8Array> {
  const first = frames[0];
  if (first === undefined) throw new BridgeError('invalid_field', 'An animation needs at least one frame.', 'frames');
  const { width, height } = first;
  const stacked = new Uint8Array(width * height * 4 * frames.length);
  frames.forEach((frame, i) => {
    assertRgba(frame, `frames[${i}]`);
    if (frame.width !== width || frame.height !== height) {
      throw new BridgeError('image_invalid', `frames[${i}] is ${frame.width}×${frame.height}, frame 0 is ${width}×${height}`, `frames[${i}]`);
    }
    stacked.set(frame.data, i * width * height * 4);
  });
  const quality = checkQuality(options.quality);
  const delay = Math.max(1, Math.round(options.delayMs ?? 125));
  const pipeline = sharp(stacked, { raw: { width, height: height * frames.length, channels: 4, pageHeight: height } }).webp({
    ...(options.lossless ? { lossless: true } : { quality, alphaQuality: 100, smartSubsample: true }),
    loop: options.loops ?? 0,
    delay: frames.map(() => delay),
  });
  return run(withProfile(pipeline, options.srgbProfile));
}

export async function encodeJpeg(image: RgbaImage, options: JpegEncodeOptions = {}): Promise<Uint8Array> {
  const quality = checkQuality(options.quality);
  const opaque = isOpaque(image);
  let pipeline = rawInput(image, opaque);
  if (!opaque) pipeline = pipeline.flatten({ background: options.background ?? { r: 255, g: 255, b: 255 } });
  // 4:4:4 keeps chroma at full resolution: subsampled chroma bleeds colour across sharp edges.
  pipeline = pipeline.jpeg({ quality, chromaSubsampling: '4:4:4' });
  return run(withProfile(pipeline, options.srgbProfile));
}
