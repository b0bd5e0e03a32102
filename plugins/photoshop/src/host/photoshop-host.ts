import { BridgeError } from '@latent-bridge/shared';
import { boundsFromRect, intersect, rectFromBounds, sameSize, type Rect } from '../core/geometry.js';
import type { ColorMode, DocumentInfo, HostAdapter, PastedStack, PasteItem, SelectionMask, SourceRegion } from '../core/host.js';
import { placeGray, placeRgba, rgbaToRgbOnWhite, to16BitPs, to8Bit, ps16To8 } from '../core/pixels.js';
import { GRAY_PROFILE, SRGB_PROFILE, type PhotoshopApi, type PsDocument, type PsExecutionContext, type PsImageData, type PsLayer, type PsLayerList } from './ps-api.js';

const MODES: Readonly<Record<string, ColorMode>> = {
  RGBColorMode: 'rgb',
  grayscaleMode: 'gray',
  labColorMode: 'lab',
};

const DEPTHS: Readonly<Record<string, number>> = { bitDepth1: 1, bitDepth8: 8, bitDepth16: 16, bitDepth32: 32 };

/**
 * The Photoshop implementation of HostAdapter. Reads and writes happen inside short
 * executeAsModal scopes; nothing here ever waits on the network, so the caller does the
 * network part between two scopes. It only ever writes to layers it has just created.
 */
export class PhotoshopHost implements HostAdapter {
  constructor(private readonly ps: PhotoshopApi) {}

  async activeDocument(): Promise<DocumentInfo | null> {
    let doc: PsDocument | null | undefined;
    try {
      doc = this.ps.app.activeDocument;
    } catch {
      doc = null; // Photoshop throws rather than answering null on some versions.
    }
    return doc ? describe(doc) : null;
  }

  async documentById(id: number): Promise<DocumentInfo | null> {
    const doc = this.findDocument(id);
    return doc ? describe(doc) : null;
  }

  async readRegion(documentId: number, rect: Rect, withMask: boolean, targetSize?: { width: number; height: number }): Promise<SourceRegion> {
    return this.modal('Read pixels for latent-bridge', async () => {
      const doc = this.requireDocument(documentId);
      const pixels = (targetSize && (targetSize.width < rect.width || targetSize.height < rect.height) ? await this.readScaled(doc, rect, targetSize) : null)
        ?? { rgba: await this.readFull(doc, rect), size: { width: rect.width, height: rect.height } };
      const mask = withMask ? await this.readSelection(doc, rect) : null;
      return { rect, ...pixels, mask };
    });
  }

  async readSelectionMask(documentId: number, rect: Rect): Promise<SelectionMask> {
    return this.modal('Read selection for latent-bridge', async () => this.readSelection(this.requireDocument(documentId), rect));
  }

  /** The composite over `rect` at full size, 8-bit sRGB RGBA. */
  private async readFull(doc: PsDocument, rect: Rect): Promise<Uint8Array> {
    const got = await this.ps.imaging.getPixels({
      documentID: doc.id,
      sourceBounds: boundsFromRect(rect),
      componentSize: 8,
      colorSpace: 'RGB',
      colorProfile: SRGB_PROFILE,
    });
    // getPixels trims to where pixels exist, so the answer may be smaller than asked.
    return withData(got.imageData, (data, image) => placeRgba(to8Bit(data, image.componentSize), image.components, rectFromBounds(got.sourceBounds), rect));
  }

  /**
   * A scaled read (imaging.md targetSize: Photoshop may use a cached pyramid level, and then
   * answers bounds relative to that level). Used only when the answer covers the whole target;
   * a trimmed one (transparent edges) is dropped and the caller reads at full size instead.
   */
  private async readScaled(doc: PsDocument, rect: Rect, target: { width: number; height: number }): Promise<{ rgba: Uint8Array; size: { width: number; height: number } } | null> {
    const got = await this.ps.imaging.getPixels({
      documentID: doc.id,
      sourceBounds: boundsFromRect(rect),
      targetSize: { width: target.width, height: target.height },
      componentSize: 8,
      colorSpace: 'RGB',
      colorProfile: SRGB_PROFILE,
    });
    return withData(got.imageData, (data, image) => {
      if (image.width !== target.width || image.height !== target.height) return null;
      const whole = { left: 0, top: 0, width: image.width, height: image.height };
      return { rgba: placeRgba(to8Bit(data, image.componentSize), image.components, whole, whole), size: { width: image.width, height: image.height } };
    });
  }

  async pasteResults(documentId: number, expectSize: { width: number; height: number }, items: PasteItem[], historyName: string): Promise<number[]> {
    return this.pasteSuspended(documentId, expectSize, historyName, async (doc) => {
      const ids: number[] = [];
      for (const item of items) {
        const layer = await this.addResultLayer(doc, item);
        layer.visible = item.visible;
        ids.push(layer.id);
      }
      return ids;
    });
  }

  async pasteStack(documentId: number, expectSize: { width: number; height: number }, items: PasteItem[], historyName: string, groupName: string): Promise<PastedStack> {
    return this.pasteSuspended(documentId, expectSize, historyName, async (doc) => {
      // Each new layer lands above the previous one (it is the active layer), so item 0 ends at
      // the bottom; grouping keeps that order.
      const layers: PsLayer[] = [];
      for (const item of items) layers.push(await this.addResultLayer(doc, item));
      const group = await doc.createLayerGroup({ name: groupName, fromLayers: layers });
      if (!group) throw new BridgeError('internal', 'Photoshop did not create the layer group.');
      // Adobe leaves the order inside the new group unspecified: place every layer explicitly,
      // the last item on top and each earlier one right below the next (Layer.move).
      const expected = layers.map((l) => l.id).reverse();
      if (idsOf(group.layers).join() !== expected.join()) {
        const top = layers[layers.length - 1];
        if (top && top.parent?.id !== group.id) await top.move(group, this.ps.constants.ElementPlacement.PLACEINSIDE);
        for (let i = layers.length - 2; i >= 0; i--) {
          const layer = layers[i];
          const above = layers[i + 1];
          if (layer && above) await layer.move(above, this.ps.constants.ElementPlacement.PLACEAFTER);
        }
      }
      items.forEach((item, i) => {
        const layer = layers[i];
        if (layer && !item.visible) layer.visible = false;
      });
      return { groupId: group.id, layerIds: layers.map((l) => l.id) };
    });
  }

  /** Checks the document, then runs `body` with history suspended: one state, or none on failure. */
  private async pasteSuspended<T>(documentId: number, expectSize: { width: number; height: number }, historyName: string, body: (doc: PsDocument) => Promise<T>): Promise<T> {
    return this.modal(historyName, async (context) => {
      const doc = this.findDocument(documentId);
      if (!doc) throw new BridgeError('document_changed', 'The document was closed while the image was being generated.');
      if (!sameSize(doc, expectSize)) {
        throw new BridgeError('document_changed', `The document was resized (from ${expectSize.width}×${expectSize.height} to ${doc.width}×${doc.height}) while the image was being generated.`);
      }
      const suspension = await context.hostControl.suspendHistory({ documentID: doc.id, name: historyName });
      try {
        const result = await body(doc);
        await context.hostControl.resumeHistory(suspension, true);
        return result;
      } catch (err) {
        await context.hostControl.resumeHistory(suspension, false);
        throw err;
      }
    });
  }

  async showOnly(documentId: number, layerIds: number[], visibleId: number): Promise<void> {
    await this.modal('Show latent-bridge result', async () => {
      const doc = this.requireDocument(documentId);
      // Results may sit inside groups, and doc.layers is only the top level.
      for (const layer of walkLayers(doc.layers)) {
        if (layerIds.includes(layer.id)) layer.visible = layer.id === visibleId;
      }
    });
  }

  async activeLayerName(): Promise<string | null> {
    const doc = this.ps.app.activeDocument;
    return doc?.activeLayers[0]?.name ?? null;
  }

  async previewUrl(rgba: Uint8Array, width: number, height: number): Promise<string> {
    // UXP <img> takes JPEG data URLs (imaging.md, encodeImageData); Adobe's sample encodes 8-bit
    // RGB without alpha, and JPEG has none, so alpha is matted away first.
    const image = await this.ps.imaging.createImageDataFromBuffer(rgbaToRgbOnWhite(rgba), {
      width,
      height,
      components: 3,
      chunky: true,
      colorSpace: 'RGB',
      colorProfile: SRGB_PROFILE,
    });
    try {
      const encoded = await this.ps.imaging.encodeImageData({ imageData: image, base64: true });
      return `data:image/jpeg;base64,${String(encoded)}`;
    } finally {
      image.dispose();
    }
  }

  /** A new pixel layer holding the item's pixels (and mask); visibility is the caller's. */
  private async addResultLayer(doc: PsDocument, item: PasteItem): Promise<PsLayer> {
    const layer = await doc.createPixelLayer({ name: item.name });
    if (!layer) throw new BridgeError('internal', 'Photoshop did not create the result layer.');
    // A 16-bit document takes 16-bit data in Photoshop's 0..32768 range (imaging.md); 32-bit
    // documents are refused before a job starts (core/plan.ts).
    const pixels = doc.bitsPerChannel === 'bitDepth16' ? to16BitPs(item.rgba) : item.rgba;
    const image = await this.ps.imaging.createImageDataFromBuffer(pixels, {
      width: item.rect.width,
      height: item.rect.height,
      components: 4,
      chunky: true,
      colorSpace: 'RGB',
      colorProfile: SRGB_PROFILE,
    });
    try {
      await this.ps.imaging.putPixels({
        documentID: doc.id,
        layerID: layer.id,
        imageData: image,
        replace: true,
        targetBounds: { left: item.rect.left, top: item.rect.top },
      });
    } finally {
      image.dispose();
    }
    if (item.mask) await this.putMask(doc, layer.id, item.mask);
    return layer;
  }

  private async putMask(doc: PsDocument, layerID: number, mask: SelectionMask): Promise<void> {
    // The mask goes back at the selection's own depth so it equals the selection exactly.
    const image = await this.ps.imaging.createImageDataFromBuffer(mask.data, {
      width: mask.rect.width,
      height: mask.rect.height,
      components: 1,
      chunky: true,
      colorSpace: 'Grayscale',
      colorProfile: GRAY_PROFILE,
    });
    try {
      await this.ps.imaging.putLayerMask({
        documentID: doc.id,
        layerID,
        imageData: image,
        replace: true,
        targetBounds: { left: mask.rect.left, top: mask.rect.top },
      });
    } finally {
      image.dispose();
    }
  }

  private async readSelection(doc: PsDocument, rect: Rect): Promise<SelectionMask> {
    const got = await this.ps.imaging.getSelection({ documentID: doc.id, sourceBounds: boundsFromRect(rect) });
    return withData(got.imageData, (data, image) => {
      const depth = image.componentSize === 16 ? 16 : 8;
      const srcRect = rectFromBounds(got.sourceBounds);
      let values: Uint8Array | Uint16Array;
      if (image.componentSize === 32) values = to8Bit(data, 32);
      else values = depth === 16 ? Uint16Array.from(data) : Uint8Array.from(data);
      const full = depth === 16 ? new Uint16Array(rect.width * rect.height) : new Uint8Array(rect.width * rect.height);
      placeGray(values, srcRect, rect, full);
      const gray8 = depth === 16 ? Uint8Array.from(full, ps16To8) : Uint8Array.from(full);
      return { rect, depth, data: full, gray8 };
    });
  }

  private findDocument(id: number): PsDocument | null {
    const docs = this.ps.app.documents;
    for (let i = 0; i < docs.length; i++) {
      const doc = docs[i];
      if (doc && doc.id === id) return doc;
    }
    return null;
  }

  private requireDocument(id: number): PsDocument {
    const doc = this.findDocument(id);
    if (!doc) throw new BridgeError('document_changed', 'The document was closed.');
    return doc;
  }

  private async modal<T>(commandName: string, body: (context: PsExecutionContext) => Promise<T>): Promise<T> {
    try {
      return await this.ps.core.executeAsModal((context) => body(context), { commandName, timeOut: 5000 });
    } catch (err) {
      if (err instanceof BridgeError) throw err;
      if (isModalBusy(err)) {
        throw new BridgeError('host_unsupported', 'Photoshop is busy with another plug-in command. Wait for it to finish and try again.');
      }
      throw new BridgeError('internal', `Photoshop refused the command: ${errorText(err)}`);
    }
  }
}

function describe(doc: PsDocument): DocumentInfo {
  const canvas = { left: 0, top: 0, width: doc.width, height: doc.height };
  const raw = doc.selection.bounds;
  const bounds = raw ? rectFromBounds(raw) : null;
  return {
    id: doc.id,
    title: doc.title,
    width: doc.width,
    height: doc.height,
    resolution: doc.resolution,
    mode: MODES[doc.mode] ?? 'unsupported',
    modeName: doc.mode,
    bitDepth: DEPTHS[doc.bitsPerChannel] ?? 0,
    profile: doc.colorProfileName,
    quickMask: doc.quickMaskMode,
    selection: bounds && bounds.width > 0 && bounds.height > 0
      ? { bounds, onCanvas: intersect(bounds, canvas), solid: doc.selection.solid }
      : null,
  };
}

async function withData<T>(image: PsImageData, use: (data: Uint8Array | Uint16Array | Float32Array, image: PsImageData) => T): Promise<T> {
  try {
    return use(await image.getData({ chunky: true }), image);
  } finally {
    image.dispose();
  }
}

/** Every layer of a tree, groups and their content included, top first. */
function* walkLayers(list: PsLayerList | null): Generator<PsLayer> {
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const layer = list?.[i];
    if (!layer) continue;
    yield layer;
    if (layer.kind === 'group') yield* walkLayers(layer.layers);
  }
}

function idsOf(list: PsLayerList | null): number[] {
  const ids: number[] = [];
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const layer = list?.[i];
    if (layer) ids.push(layer.id);
  }
  return ids;
}

function isModalBusy(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { number?: unknown }).number === 9;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
