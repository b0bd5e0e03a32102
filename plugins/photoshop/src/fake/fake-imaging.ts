import type { PsBounds, PsGetPixelsOptions, PsImageData, PsImaging, PsPixelArray, PsRectInput } from '../host/ps-api.js';
import { boxFromInput, boxIntersect, boxToBounds, planeRegion, type Box, type FakeDocument } from './fake-document.js';
import { allocate, depthOf, FakeImageData, fromPlanar, fromUnit, PS16, unit, type Samples } from './fake-image-data.js';

/** How the fake finds documents; FakePhotoshop provides it. */
export interface ImagingHost {
  document(id: number | undefined): FakeDocument;
  readonly liveImages: Set<FakeImageData>;
}

/**
 * The imaging module as ps-reference media/imaging.md describes it: half-open bounds in either
 * form, getPixels trimmed to where pixels exist (composite without a Background layer, layers),
 * chunky RGB(A) with 3 components when the source has no alpha, 16-bit samples in 0..32768,
 * conversions to the requested component size, putPixels/putLayerMask at targetBounds' corner.
 * Colour conversions between different profiles are not modelled: they throw.
 */
export class FakeImaging implements PsImaging {
  /** Every getPixels call, in order (tests check what was read, and at what size). */
  readonly getPixelsCalls: PsGetPixelsOptions[] = [];
  /** Profile conversions Photoshop would have made ("from → to"); modelled as identity. */
  readonly conversions: string[] = [];
  /** When set, encodeImageData rejects with it (a test of how failures are shown). */
  encodeFailure: Error | null = null;

  constructor(private readonly host: ImagingHost) {}

  async getPixels(options: PsGetPixelsOptions): Promise<{ imageData: PsImageData; sourceBounds: PsBounds; level: number }> {
    this.getPixelsCalls.push({ ...options });
    const doc = this.host.document(options.documentID);
    const canvas: Box = { left: 0, top: 0, width: doc.width, height: doc.height };
    const requested = options.sourceBounds ? checkedBox(options.sourceBounds) : null;
    const depth = requestedDepth(options.componentSize, doc.depth);
    this.checkColour(doc, options.colorSpace, options.colorProfile);

    let box: Box | null;
    let hasAlpha: boolean;
    let floats: (b: Box) => Float32Array;
    if (options.layerID === undefined) {
      const opaque = doc.hasVisibleBackground();
      const source = opaque ? canvas : doc.pixelArea();
      box = source && boxIntersect(boxIntersect(source, canvas) ?? empty(), requested ?? canvas);
      hasAlpha = !opaque;
      floats = (b) => doc.composite(b);
    } else {
      const layer = doc.layerState(options.layerID);
      if (layer.kind === 'group') throw new Error('fake imaging: getPixels of a group is not modelled');
      box = boxIntersect(layer.box, requested ?? layer.box);
      hasAlpha = !layer.background;
      floats = (b) => layerFloats(doc, layer.id, b);
    }
    if (!box) throw new Error('Photoshop: the requested area contains no pixels');
    const components = hasAlpha ? 4 : 3;
    if (options.applyAlpha === true && hasAlpha) throw new Error('fake imaging: applyAlpha is not modelled');
    const scaled = scaledRead(box, requested ?? box, options.targetSize);
    const rgba = scaled ? shrink(floats(box), box, scaled.width, scaled.height) : floats(box);
    const out = scaled ?? box;
    const samples = allocate(depth, out.width * out.height * components);
    for (let p = 0; p < out.width * out.height; p++) {
      for (let c = 0; c < components; c++) samples[p * components + c] = fromUnit(rgba[p * 4 + c] ?? 0, depth);
    }
    const image = new FakeImageData(out.width, out.height, components, depth, 'RGB', options.colorProfile ?? doc.colorProfileName, samples, this.host.liveImages);
    // Scaled reads come from a pyramid level, with bounds relative to that level (imaging.md).
    const level = scaled?.level ?? 0;
    const f = 2 ** level;
    const bounds = boxToBounds(box);
    return { imageData: image, sourceBounds: { left: Math.floor(bounds.left / f), top: Math.floor(bounds.top / f), right: Math.ceil(bounds.right / f), bottom: Math.ceil(bounds.bottom / f) }, level };
  }

  /**
   * Colour checks: the imaging API works on RGB, Grayscale and Lab documents only; another
   * profile than the document's is converted by Photoshop (recorded here, values unchanged).
   */
  private checkColour(doc: FakeDocument, space: string | undefined, profile: string | undefined): void {
    const docSpace = doc.mode === 'RGBColorMode' ? 'RGB' : doc.mode === 'grayscaleMode' ? 'Grayscale' : doc.mode === 'labColorMode' ? 'Lab' : null;
    if (docSpace === null) throw new Error(`Photoshop: the imaging API does not support ${doc.mode} documents`);
    if (space !== undefined && space !== docSpace) throw new Error(`fake imaging: conversion ${docSpace} → ${space} is not modelled`);
    if (profile !== undefined && profile !== '' && profile !== doc.colorProfileName) this.conversions.push(`${doc.colorProfileName} → ${profile}`);
  }

  async putPixels(options: { documentID?: number; layerID: number; imageData: PsImageData; replace?: boolean; targetBounds?: { left: number; top: number } }): Promise<void> {
    const doc = this.host.document(options.documentID);
    const image = own(options.imageData);
    if (image.colorSpace !== 'RGB') throw new Error('Photoshop: putPixels needs RGB image data for an RGB document');
    this.checkColour(doc, image.colorSpace, image.colorProfile);
    if (image.componentSize !== doc.depth) {
      throw new Error(`Photoshop: putPixels needs ${doc.depth}-bit image data for a ${doc.depth}-bit document (got ${image.componentSize}-bit)`);
    }
    if (image.components !== 3 && image.components !== 4) throw new Error('Photoshop: putPixels needs 3 or 4 components');
    const layer = doc.layerState(options.layerID);
    if (layer.kind === 'group') throw new Error('Photoshop: a group has no pixels of its own to replace');
    const at = options.targetBounds ?? { left: 0, top: 0 };
    const box: Box = { left: at.left, top: at.top, width: image.width, height: image.height };
    const src = image.raw();
    const pixels = allocate(doc.depth, box.width * box.height * 4);
    for (let p = 0; p < box.width * box.height; p++) {
      for (let c = 0; c < 4; c++) {
        const v = c < image.components ? unit(src[p * image.components + c] ?? 0, image.componentSize) : 1;
        pixels[p * 4 + c] = fromUnit(v, doc.depth);
      }
    }
    if (options.replace === false && layer.box.width > 0) throw new Error('fake imaging: putPixels with replace:false is not modelled');
    doc.change('Put pixels', () => {
      layer.box = box;
      layer.pixels = pixels;
    });
  }

  async getSelection(options: { documentID?: number; sourceBounds?: PsBounds }): Promise<{ imageData: PsImageData; sourceBounds: PsBounds }> {
    const doc = this.host.document(options.documentID);
    const plane = doc.selectionPlane;
    if (!plane) throw new Error('Photoshop: there is no selection');
    const canvas: Box = { left: 0, top: 0, width: doc.width, height: doc.height };
    const box = boxIntersect(options.sourceBounds ? checkedBox(options.sourceBounds) : plane.box, canvas);
    if (!box) throw new Error('Photoshop: the requested area is outside the canvas');
    const data = planeRegion(plane, box, doc.depth);
    const image = new FakeImageData(box.width, box.height, 1, doc.depth, 'Grayscale', 'Gray Gamma 2.2', data, this.host.liveImages);
    return { imageData: image, sourceBounds: boxToBounds(box) };
  }

  async getLayerMask(options: { documentID?: number; layerID: number; sourceBounds?: PsBounds }): Promise<{ imageData: PsImageData; sourceBounds: PsBounds }> {
    const doc = this.host.document(options.documentID);
    const layer = doc.layerState(options.layerID);
    if (!layer.mask) throw new Error('Photoshop: the layer has no user mask');
    const box = options.sourceBounds ? checkedBox(options.sourceBounds) : layer.mask.box;
    const data = planeRegion(layer.mask, box, doc.depth);
    const image = new FakeImageData(box.width, box.height, 1, doc.depth, 'Grayscale', 'Gray Gamma 2.2', data, this.host.liveImages);
    return { imageData: image, sourceBounds: boxToBounds(box) };
  }

  async putLayerMask(options: { documentID?: number; layerID: number; imageData: PsImageData; replace?: boolean; targetBounds?: { left: number; top: number } }): Promise<void> {
    const doc = this.host.document(options.documentID);
    const image = own(options.imageData);
    if (image.components !== 1 || image.colorSpace !== 'Grayscale') throw new Error('Photoshop: a layer mask needs one grayscale component');
    if (image.componentSize !== doc.depth) throw new Error(`Photoshop: putLayerMask needs ${doc.depth}-bit data for a ${doc.depth}-bit document`);
    const layer = doc.layerState(options.layerID);
    if (layer.background) throw new Error('Photoshop: the background layer cannot have a mask');
    if (layer.kind === 'group') throw new Error('fake imaging: group masks are not modelled');
    if (options.replace === false) throw new Error('fake imaging: putLayerMask with replace:false is not modelled');
    const at = options.targetBounds ?? { left: 0, top: 0 };
    const src = image.raw();
    const data = allocate(doc.depth, image.width * image.height);
    for (let i = 0; i < data.length; i++) data[i] = fromUnit(unit(src[i] ?? 0, image.componentSize), doc.depth);
    doc.change('Add layer mask', () => {
      // A new user mask reveals everything outside the supplied pixels.
      layer.mask = { box: { left: at.left, top: at.top, width: image.width, height: image.height }, data, outside: 1 };
    });
  }

  async createImageDataFromBuffer(
    data: PsPixelArray,
    options: { width: number; height: number; components: number; chunky?: boolean; colorProfile?: string; colorSpace: string; fullRange?: boolean },
  ): Promise<PsImageData> {
    let samples: Samples = data.slice();
    const depth = depthOf(samples);
    if (depth === 16 && options.fullRange === true) samples = Uint16Array.from(samples, (v) => Math.round((v * PS16) / 65535));
    if (depth === 16 && options.fullRange !== true) {
      for (const v of samples) if (v > PS16) throw new Error(`Photoshop: 16-bit sample ${v} is over 32768 (pass fullRange: true for 0..65535)`);
    }
    if (options.chunky === false) samples = fromPlanar(samples, options.components);
    return new FakeImageData(options.width, options.height, options.components, depth, options.colorSpace, options.colorProfile ?? '', samples, this.host.liveImages);
  }

  async encodeImageData(options: { imageData: PsImageData; base64?: boolean }): Promise<number[] | string> {
    const image = own(options.imageData);
    if (this.encodeFailure) throw this.encodeFailure;
    // As Adobe's imaging sample: 8-bit RGB without alpha (a JPEG has none).
    if (image.colorSpace !== 'RGB' || image.components !== 3 || image.componentSize !== 8) {
      throw new Error(`Photoshop: encodeImageData needs 8-bit RGB without alpha (got ${image.components} components, ${image.componentSize}-bit ${image.colorSpace})`);
    }
    // Not a JPEG: a BMP, which browsers also sniff and decode; enough to show previews in tests.
    const bytes = bmp(image);
    if (options.base64 !== true) return Array.from(bytes);
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }
}

function own(image: PsImageData): FakeImageData {
  if (!(image instanceof FakeImageData)) throw new Error('Photoshop: imageData must come from the imaging API');
  return image;
}

function checkedBox(input: PsRectInput): Box {
  const box = boxFromInput(input);
  if (![box.left, box.top, box.width, box.height].every(Number.isInteger) || box.width <= 0 || box.height <= 0) {
    throw new Error(`Photoshop: invalid bounds ${JSON.stringify(input)}`);
  }
  return box;
}

function requestedDepth(componentSize: number | undefined, docDepth: 8 | 16 | 32): 8 | 16 | 32 {
  if (componentSize === undefined || componentSize === -1) return docDepth;
  if (componentSize === 8 || componentSize === 16 || componentSize === 32) return componentSize;
  throw new Error(`Photoshop: invalid componentSize ${componentSize}`);
}

/**
 * A read at `targetSize` (imaging.md): never scaled up; the trimmed `box` shrinks by the same
 * factor as the requested area; the level is the pyramid level Photoshop would pick.
 */
function scaledRead(box: Box, requested: Box, target: { width?: number; height?: number } | undefined): { width: number; height: number; level: number } | null {
  if (!target || (target.width === undefined && target.height === undefined)) return null;
  const sx = target.width !== undefined ? target.width / requested.width : Number.POSITIVE_INFINITY;
  const sy = target.height !== undefined ? target.height / requested.height : Number.POSITIVE_INFINITY;
  const scale = Math.min(sx, sy);
  if (scale >= 1) return null;
  const level = Math.max(0, Math.floor(Math.log2(1 / scale)));
  return { width: Math.max(1, Math.round(box.width * scale)), height: Math.max(1, Math.round(box.height * scale)), level };
}

/** Box-filter shrink of 0..1 RGBA floats. */
function shrink(src: Float32Array, box: Box, width: number, height: number): Float32Array {
  const out = new Float32Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * box.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * box.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * box.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * box.width) / width));
      const n = (y1 - y0) * (x1 - x0);
      for (let c = 0; c < 4; c++) {
        let sum = 0;
        for (let yy = y0; yy < y1; yy++) for (let xx = x0; xx < x1; xx++) sum += src[(yy * box.width + xx) * 4 + c] ?? 0;
        out[(y * width + x) * 4 + c] = sum / n;
      }
    }
  }
  return out;
}

function layerFloats(doc: FakeDocument, id: number, box: Box): Float32Array {
  const layer = doc.layerState(id);
  const out = new Float32Array(box.width * box.height * 4);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) {
      const s = ((box.top + y - layer.box.top) * layer.box.width + (box.left + x - layer.box.left)) * 4;
      for (let c = 0; c < 4; c++) out[(y * box.width + x) * 4 + c] = unit(layer.pixels[s + c] ?? 0, doc.depth);
    }
  }
  return out;
}

function empty(): Box {
  return { left: 0, top: 0, width: 0, height: 0 };
}

function bmp(image: FakeImageData): Uint8Array {
  const { width, height } = image;
  const src = image.raw();
  const row = Math.ceil((width * 3) / 4) * 4;
  const size = 54 + row * height;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set([0x42, 0x4d]);
  view.setUint32(2, size, true);
  view.setUint32(10, 54, true);
  view.setUint32(14, 40, true);
  view.setInt32(18, width, true);
  view.setInt32(22, height, true);
  view.setUint16(26, 1, true);
  view.setUint16(28, 24, true);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = ((height - 1 - y) * width + x) * image.components;
      const d = 54 + y * row + x * 3;
      const v = (c: number) => fromUnit(unit(src[s + c] ?? 0, image.componentSize), 8);
      out[d] = v(2);
      out[d + 1] = v(1);
      out[d + 2] = v(0);
    }
  }
  return out;
}
