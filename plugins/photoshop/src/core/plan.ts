import { BridgeError } from '@latent-bridge/shared';
import { padWithin, type Rect, type Size } from './geometry.js';
import type { DocumentInfo } from './host.js';
import type { JobSettings } from './settings.js';

export type JobMode = 'txt2img' | 'img2img' | 'inpaint';

/** Below this the selection is most likely a stray click, not an area to regenerate. */
export const MIN_SELECTION_SIDE = 4;

export interface JobPlan {
  mode: JobMode;
  documentId: number;
  docSize: Size;
  /** Where the results go, in document pixels (also the source region of img2img/inpaint). */
  region: Rect;
  /** Send the region's pixels as the source image. */
  sendImage: boolean;
  /** Send the selection as the mask frame. */
  sendMask: boolean;
  /** Read the selection over the region (for the mask frame or the layer mask). */
  readMask: boolean;
  /** Give each result layer a mask equal to the selection. */
  maskLayers: boolean;
  /** txt2img: the size to generate at; results are then scaled to the region. */
  generateSize: Size | null;
  historyName: string;
}

/**
 * The mode to use for a document state: the override, or the automatic choice. Animations and
 * prompt lists are txt2img (into the selection when there is one).
 */
export function chooseMode(doc: DocumentInfo, settings: Pick<JobSettings, 'mode'> & Partial<Pick<JobSettings, 'jobKind'>>): JobMode {
  if (settings.mode !== 'auto') return settings.mode;
  if ((settings.jobKind ?? 'single') !== 'single') return 'txt2img';
  return doc.selection ? 'inpaint' : 'txt2img';
}

/**
 * Turns the document state and the panel's settings into what to read, send and paste.
 * Throws BridgeError host_unsupported with words for the user when the state does not allow it.
 */
export function planJob(doc: DocumentInfo | null, settings: JobSettings, nativeSize: number, sizeMultiple = 8): JobPlan {
  if (!doc) throw new BridgeError('host_unsupported', 'No document is open. Open or create a document, then generate.');
  checkDocument(doc);
  const mode = chooseMode(doc, settings);
  if (settings.jobKind !== 'single' && mode !== 'txt2img') {
    const what = settings.jobKind === 'animation' ? 'Animations' : 'Prompt lists';
    throw new BridgeError('host_unsupported', `${what} are generated from text only. Set Mode to Auto or Generate, then try again.`);
  }
  const canvas: Rect = { left: 0, top: 0, width: doc.width, height: doc.height };
  const selection = doc.selection ? checkedSelection(doc) : null;
  const base = { mode, documentId: doc.id, docSize: { width: doc.width, height: doc.height } };

  if (mode === 'inpaint') {
    if (!selection) throw new BridgeError('host_unsupported', 'Inpainting needs a selection. Select the area to regenerate, or choose Generate.');
    return {
      ...base,
      region: padWithin(selection, settings.padding, doc),
      sendImage: true,
      sendMask: true,
      readMask: true,
      maskLayers: true,
      generateSize: null,
      historyName: 'latent-bridge inpaint',
    };
  }
  if (mode === 'img2img') {
    const onSelection = settings.img2imgScope === 'selection' && selection !== null;
    return {
      ...base,
      region: onSelection ? padWithin(selection, settings.padding, doc) : canvas,
      sendImage: true,
      sendMask: false,
      readMask: onSelection,
      maskLayers: onSelection,
      generateSize: null,
      historyName: 'latent-bridge img2img',
    };
  }
  // txt2img: fill the selection when there is one, else the canvas or a chosen size.
  let region: Rect;
  if (selection) region = selection;
  else if (settings.size === 'custom') region = centred(settings.customWidth, settings.customHeight, doc);
  else region = canvas;
  const generateSize = settings.size === 'custom' && !selection
    ? { width: toSide(settings.customWidth, sizeMultiple), height: toSide(settings.customHeight, sizeMultiple) }
    : fitToNative(region, nativeSize, sizeMultiple);
  return {
    ...base,
    region,
    sendImage: false,
    sendMask: false,
    readMask: selection !== null,
    maskLayers: selection !== null,
    generateSize,
    historyName: 'latent-bridge generate',
  };
}

function checkDocument(doc: DocumentInfo): void {
  if (doc.mode !== 'rgb') {
    throw new BridgeError('host_unsupported', `This document is in ${readableMode(doc.modeName)} mode; latent-bridge works on RGB documents. Choose Image > Mode > RGB Color, then try again.`);
  }
  if (doc.bitDepth !== 8 && doc.bitDepth !== 16) {
    throw new BridgeError('host_unsupported', `This document has ${doc.bitDepth} bits per channel; latent-bridge supports 8 and 16. Choose Image > Mode > 16 Bits/Channel, then try again.`);
  }
  if (doc.quickMask) throw new BridgeError('host_unsupported', 'Quick Mask mode is on. Leave Quick Mask mode (press Q) so the selection is active, then try again.');
}

function checkedSelection(doc: DocumentInfo): Rect {
  const selection = doc.selection;
  if (!selection?.onCanvas) {
    throw new BridgeError('host_unsupported', 'The selection lies entirely outside the canvas. Select an area on the canvas, or deselect (Ctrl/Cmd+D) to generate the whole canvas.');
  }
  const area = selection.onCanvas;
  if (area.width < MIN_SELECTION_SIDE || area.height < MIN_SELECTION_SIDE) {
    throw new BridgeError('host_unsupported', `The selection is only ${area.width}×${area.height} pixels. Select an area at least ${MIN_SELECTION_SIDE}×${MIN_SELECTION_SIDE} pixels, or deselect to use the whole canvas.`);
  }
  return area;
}

function readableMode(name: string): string {
  const known: Record<string, string> = {
    CMYKColorMode: 'CMYK',
    indexedColorMode: 'Indexed Color',
    bitmapMode: 'Bitmap',
    duotoneMode: 'Duotone',
    multichannelMode: 'Multichannel',
    grayscaleMode: 'Grayscale',
    labColorMode: 'Lab Color',
  };
  return known[name] ?? name;
}

/**
 * Same aspect as `size`, about nativeSize² pixels, sides multiples of `multiple` within 64..2048:
 * the model's sizeMultiple (64 for Stable Diffusion, whose ONNX exports fail on other sizes), 8
 * when the bridge does not say.
 */
export function fitToNative(size: Size, nativeSize: number, multiple = 8): Size {
  const scale = nativeSize / Math.sqrt(size.width * size.height);
  return { width: toSide(size.width * scale, multiple), height: toSide(size.height * scale, multiple) };
}

function toSide(v: number, multiple: number): number {
  const top = Math.floor(2048 / multiple) * multiple;
  return Math.min(top, Math.max(Math.max(64, multiple), Math.round(v / multiple) * multiple));
}

function centred(width: number, height: number, canvas: Size): Rect {
  return { left: Math.round((canvas.width - width) / 2), top: Math.round((canvas.height - height) / 2), width, height };
}
