import type { Rect } from './geometry.js';

/**
 * What the core needs from the editor. The only implementation for Photoshop is
 * host/photoshop-host.ts; tests run it against the fake `photoshop` module.
 */
export type ColorMode = 'rgb' | 'gray' | 'lab' | 'unsupported';

export interface SelectionInfo {
  /** As the host reports it: may extend past the canvas. */
  bounds: Rect;
  /** The part on the canvas; null when the selection lies entirely outside. */
  onCanvas: Rect | null;
  /** A hard rectangle (no soft edges, not a lasso). */
  solid: boolean;
}

export interface DocumentInfo {
  id: number;
  title: string;
  width: number;
  height: number;
  /** Pixels per inch; informative only, all geometry is in pixels. */
  resolution: number;
  mode: ColorMode;
  /** The host's own name for the mode, for messages. */
  modeName: string;
  bitDepth: number;
  profile: string;
  quickMask: boolean;
  selection: SelectionInfo | null;
}

/** The selection's soft mask over a region, at the document's own sample depth. */
export interface SelectionMask {
  rect: Rect;
  /** 8: 0..255; 16: 0..32768 (Photoshop's range). */
  depth: 8 | 16;
  data: Uint8Array | Uint16Array;
  /** The same mask as 8-bit gray, 255 = fully selected (what the server takes). */
  gray8: Uint8Array;
}

export interface SourceRegion {
  rect: Rect;
  /**
   * Visible composite of `rect`, 8-bit sRGB RGBA, straight alpha, transparent where there are no
   * pixels; `size` big (rect's size, or the smaller targetSize asked for).
   */
  rgba: Uint8Array;
  size: { width: number; height: number };
  mask: SelectionMask | null;
}

export interface PasteItem {
  rect: Rect;
  rgba: Uint8Array;
  name: string;
  visible: boolean;
  /** Layer mask to add; null for none. */
  mask: SelectionMask | null;
}

export interface PastedStack {
  groupId: number;
  /** In item order: bottom of the group first. */
  layerIds: number[];
}

export interface HostAdapter {
  /** The active document, or null when none is open. */
  activeDocument(): Promise<DocumentInfo | null>;
  /** A document by id, or null when it has been closed. */
  documentById(id: number): Promise<DocumentInfo | null>;
  /**
   * Reads the composite over `rect` (and the selection over it when `withMask`). With
   * `targetSize` smaller than `rect`, the pixels may come back at that size (Photoshop reads a
   * cached smaller level; check `size`); the mask is always at `rect`'s size.
   */
  readRegion(documentId: number, rect: Rect, withMask: boolean, targetSize?: { width: number; height: number }): Promise<SourceRegion>;
  /** The selection over `rect` alone: no pixels are read (txt2img into a selection). */
  readSelectionMask(documentId: number, rect: Rect): Promise<SelectionMask>;
  /**
   * Adds one new pixel layer per item, all in one history state; never touches existing layers.
   * Fails with document_changed when the document is gone or no longer has `expectSize`.
   */
  pasteResults(documentId: number, expectSize: { width: number; height: number }, items: PasteItem[], historyName: string): Promise<number[]>;
  /**
   * Like pasteResults, then puts the new layers in one new group named `groupName`: item 0 at
   * the bottom, the last item at the top (the order Timeline's "Make Frames From Layers" reads).
   * Still one history state; nothing existing is touched.
   */
  pasteStack(documentId: number, expectSize: { width: number; height: number }, items: PasteItem[], historyName: string, groupName: string): Promise<PastedStack>;
  /** Shows the layer `visibleId` and hides the other ones of `layerIds` (the results strip). */
  showOnly(documentId: number, layerIds: number[], visibleId: number): Promise<void>;
  /** The name of the active layer of the active document, or null. */
  activeLayerName(): Promise<string | null>;
  /** A URL an <img> can show for an RGBA8 preview. */
  previewUrl(rgba: Uint8Array, width: number, height: number): Promise<string>;
}
