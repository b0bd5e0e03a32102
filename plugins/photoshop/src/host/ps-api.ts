/**
 * The subset of Photoshop's `photoshop` module that the adapter uses, typed from Adobe's
 * documentation (ps-reference: media/imaging.md, media/executeasmodal.md, classes/document.md,
 * classes/layer.md, classes/selection.md,
 * objects/createoptions/grouplayercreateoptions.md). Both the real module and the test fake satisfy it,
 * so the adapter is written once against Photoshop's documented rules.
 */

/** Half-open pixel rectangle: `right` and `bottom` are not part of it. */
export interface PsBounds {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

/** The imaging API accepts either form for source rectangles. */
export type PsRectInput = PsBounds | { left: number; top: number; width: number; height: number };

export type PsPixelArray = Uint8Array | Uint16Array | Float32Array;

export interface PsImageData {
  readonly width: number;
  readonly height: number;
  readonly components: number;
  /** 8 (0..255), 16 (0..32768 unless fullRange) or 32 (float). */
  readonly componentSize: number;
  readonly hasAlpha: boolean;
  readonly colorSpace: string;
  readonly colorProfile: string;
  readonly pixelFormat: string;
  getData(options?: { chunky?: boolean; fullRange?: boolean }): Promise<PsPixelArray>;
  dispose(): void;
}

export interface PsGetPixelsOptions {
  documentID?: number;
  layerID?: number;
  sourceBounds?: PsRectInput;
  targetSize?: { width?: number; height?: number };
  colorSpace?: string;
  colorProfile?: string;
  componentSize?: number;
  applyAlpha?: boolean;
}

export interface PsImaging {
  getPixels(options: PsGetPixelsOptions): Promise<{ imageData: PsImageData; sourceBounds: PsBounds; level: number }>;
  putPixels(options: {
    documentID?: number;
    layerID: number;
    imageData: PsImageData;
    replace?: boolean;
    targetBounds?: { left: number; top: number };
    commandName?: string;
  }): Promise<void>;
  getSelection(options: { documentID?: number; sourceBounds?: PsBounds }): Promise<{ imageData: PsImageData; sourceBounds: PsBounds }>;
  getLayerMask(options: {
    documentID?: number;
    layerID: number;
    kind?: 'user' | 'vector';
    sourceBounds?: PsBounds;
  }): Promise<{ imageData: PsImageData; sourceBounds: PsBounds }>;
  putLayerMask(options: {
    documentID?: number;
    layerID: number;
    kind?: 'user';
    imageData: PsImageData;
    replace?: boolean;
    targetBounds?: { left: number; top: number };
    commandName?: string;
  }): Promise<void>;
  createImageDataFromBuffer(
    data: PsPixelArray,
    options: {
      width: number;
      height: number;
      components: number;
      chunky?: boolean;
      colorProfile?: string;
      colorSpace: string;
      fullRange?: boolean;
    },
  ): Promise<PsImageData>;
  encodeImageData(options: { imageData: PsImageData; base64?: boolean }): Promise<number[] | string>;
}

export interface PsLayer {
  readonly id: number;
  name: string;
  visible: boolean;
  readonly isBackgroundLayer: boolean;
  /** Constants.LayerKind, e.g. "pixel" or "group". */
  readonly kind: string;
  /** For a group: the union of its content's bounds (zeros when empty). */
  readonly boundsNoEffects: PsBounds;
  /** The group holding this layer; null at the top level. */
  readonly parent: PsLayer | null;
  /** A group's layers, top first; null for other kinds (classes/layer.md, 23.0). */
  readonly layers: PsLayerList | null;
  /**
   * Moves the layer relative to another (classes/layer.md, 23.0; typed as returning void in
   * @types/photoshop, awaited anyway). Constants.ElementPlacement values.
   */
  move(relativeObject: PsLayer, insertLocation: PsElementPlacement): Promise<void> | void;
}

export interface PsSelection {
  /** Null without a selection; may extend past the canvas. */
  readonly bounds: PsBounds | null;
  readonly solid: boolean;
}

export interface PsLayerList {
  readonly length: number;
  readonly [index: number]: PsLayer | undefined;
}

export interface PsDocument {
  readonly id: number;
  readonly title: string;
  /** Pixels (apiVersion 2), whatever the resolution. */
  readonly width: number;
  readonly height: number;
  /** Pixels per inch. */
  readonly resolution: number;
  /** Constants.DocumentMode, e.g. "RGBColorMode". */
  readonly mode: string;
  /** Constants.BitsPerChannelType, e.g. "bitDepth16". */
  readonly bitsPerChannel: string;
  readonly colorProfileName: string;
  readonly quickMaskMode: boolean;
  /** The top level of the layer tree, top first (groups hold the rest). */
  readonly layers: PsLayerList;
  readonly activeLayers: PsLayerList;
  readonly selection: PsSelection;
  createPixelLayer(options?: { name?: string }): Promise<PsLayer | null>;
  /**
   * A new group (classes/document.md, 23.0); with `fromLayers` it takes those layers in, in
   * their stacking order, where the topmost of them was (Layer > Group Layers).
   */
  createLayerGroup(options?: { name?: string; fromLayers?: PsLayer | PsLayer[] }): Promise<PsLayer | null>;
}

export interface PsDocumentList {
  readonly length: number;
  readonly [index: number]: PsDocument | undefined;
}

export interface PsApp {
  readonly activeDocument: PsDocument | null;
  readonly documents: PsDocumentList;
}

/** What suspendHistory returns: an identifier object to hand back to resumeHistory. */
export type PsSuspension = unknown;

export interface PsHostControl {
  suspendHistory(options: { documentID: number; name: string }): Promise<PsSuspension>;
  resumeHistory(suspension: PsSuspension, commit?: boolean): Promise<void>;
}

export interface PsExecutionContext {
  readonly isCancelled: boolean;
  readonly hostControl: PsHostControl;
}

export interface PsCore {
  executeAsModal<T>(
    target: (context: PsExecutionContext, descriptor?: object) => Promise<T>,
    options: { commandName: string; timeOut?: number; interactive?: boolean; descriptor?: object },
  ): Promise<T>;
}

/** Constants.ElementPlacement as @types/photoshop declares it (a string enum: "placeAfter", …). */
export type PsElementPlacement = (typeof import('photoshop'))['constants']['ElementPlacement'][keyof (typeof import('photoshop'))['constants']['ElementPlacement']];

export interface PsConstants {
  readonly ElementPlacement: {
    readonly PLACEBEFORE: PsElementPlacement;
    readonly PLACEAFTER: PsElementPlacement;
    readonly PLACEINSIDE: PsElementPlacement;
  };
}

export interface PhotoshopApi {
  readonly app: PsApp;
  readonly core: PsCore;
  readonly imaging: PsImaging;
  readonly constants: PsConstants;
}

/** The subset of the `uxp` module the panel uses. */
export interface UxpApi {
  readonly entrypoints: {
    setup(options: { panels: Record<string, { create?(root?: unknown): void; show?(root?: unknown): void; hide?(event?: unknown): void }> }): void;
  };
  readonly storage: {
    readonly secureStorage: {
      getItem(key: string): Promise<Uint8Array>;
      setItem(key: string, value: string | ArrayBuffer | Uint8Array): Promise<void>;
      removeItem(key: string): Promise<void>;
    };
  };
}

/** Colour profile names as Photoshop spells them. */
export const SRGB_PROFILE = 'sRGB IEC61966-2.1';
export const GRAY_PROFILE = 'Gray Gamma 2.2';
