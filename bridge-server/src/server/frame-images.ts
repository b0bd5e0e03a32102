import { BridgeError, type DecodedFrame } from '@latent-bridge/shared';
import { decodeImage, decodeRaw, type Mask, type RgbaImage } from '../image/index.js';

/**
 * Pixels of a client's image frame as RGBA8: raw RGBA at 8 or 16 bits (full 0–65535 range, as
 * the protocol says) or an encoded PNG/JPEG. Undecodable bytes are image_invalid on `field`.
 */
export async function imageFromFrame(frame: DecodedFrame, maxPixels: number, field = 'image'): Promise<RgbaImage> {
  const { header, payload } = frame;
  try {
    if (header.format === 'raw-rgba') {
      return decodeRaw({ width: header.width, height: header.height, channels: 4, bitsPerChannel: header.bitDepth, data: payload, littleEndian: true }, maxPixels);
    }
    const image = await decodeImage(payload, { maxPixels, field });
    if (image.width !== header.width || image.height !== header.height) {
      throw new BridgeError('image_invalid', `${field}: the image is ${image.width}×${image.height}, its frame header says ${header.width}×${header.height}`, field);
    }
    return image;
  } catch (err) {
    throw asFieldError(err, 'image_invalid', field);
  }
}

/** A mask frame (raw gray 8/16 bit or a PNG, whose first channel is used) as 8-bit coverage. */
export async function maskFromFrame(frame: DecodedFrame, maxPixels: number, field = 'mask'): Promise<Mask> {
  const { header, payload } = frame;
  try {
    if (header.format === 'raw-gray') {
      const rgba = decodeRaw({ width: header.width, height: header.height, channels: 1, bitsPerChannel: header.bitDepth, data: payload, littleEndian: true }, maxPixels);
      return { width: rgba.width, height: rgba.height, data: firstChannel(rgba) };
    }
    const rgba = await decodeImage(payload, { maxPixels, field });
    if (rgba.width !== header.width || rgba.height !== header.height) {
      throw new BridgeError('mask_invalid', `${field}: the mask is ${rgba.width}×${rgba.height}, its frame header says ${header.width}×${header.height}`, field);
    }
    return { width: rgba.width, height: rgba.height, data: firstChannel(rgba) };
  } catch (err) {
    throw asFieldError(err, 'mask_invalid', field);
  }
}

function firstChannel(image: RgbaImage): Uint8Array {
  const out = new Uint8Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) out[i] = image.data[i * 4] as number;
  return out;
}

/** Keeps limit errors as they are; anything else about the pixels becomes `code` on `field`. */
function asFieldError(err: unknown, code: 'image_invalid' | 'mask_invalid', field: string): BridgeError {
  if (err instanceof BridgeError && (err.code === 'limit_exceeded' || err.code === code)) {
    return err.field === field ? err : new BridgeError(err.code, err.message, field);
  }
  const message = err instanceof Error ? err.message : String(err);
  return new BridgeError(code, `${field}: ${message}`, field);
}
