import type { PhotoshopApi, PsApp, PsConstants, PsCore, PsElementPlacement, PsDocument, PsDocumentList, PsExecutionContext } from '../host/ps-api.js';
import { FakeDocument, type Box, type LayerState } from './fake-document.js';
import { allocate, fromUnit, type FakeImageData } from './fake-image-data.js';
import { FakeImaging } from './fake-imaging.js';

export interface NewDocumentOptions {
  width: number;
  height: number;
  depth?: 8 | 16 | 32;
  resolution?: number;
  mode?: string;
  profile?: string;
  title?: string;
  /** Background fill as 0..1 RGB; omit for a document without a Background layer. */
  background?: readonly [number, number, number];
}

/** Colour at a pixel as 0..1 RGBA. */
export type PixelFn = (x: number, y: number) => readonly [number, number, number, number];

interface Suspension {
  /** The identifier object handed out (Photoshop's HistorySuspension). */
  token: { id: number };
  doc: FakeDocument;
  name: string;
  snapshot: LayerState[];
  activeLayerId: number | null;
  changed: boolean;
}

/**
 * An in-memory `photoshop` module: app (documents), core.executeAsModal with history
 * suspension, imaging. Rules from ps-reference media/executeasmodal.md: one modal scope at a
 * time (a second caller gets an error with number 9), document changes only inside a scope,
 * suspended changes coalesce into one history state named after the suspension (none when
 * nothing changed), rollback with commit=false, auto-resume when the scope ends (commit on
 * return, roll back on exception). Layer groups as classes/document.md and classes/layer.md
 * describe them: see FakeDocument.createLayerGroup.
 */
export class FakePhotoshop implements PhotoshopApi {
  readonly imaging: FakeImaging;
  readonly liveImages = new Set<FakeImageData>();
  /** Things done that Photoshop would refuse or that break the plug-in's rules. */
  readonly violations: string[] = [];
  private docs: FakeDocument[] = [];
  private activeId: number | null = null;
  private ids = 100;
  private modalDepth = 0;
  private suspensions: Suspension[] = [];
  private cancelRequested = false;

  constructor() {
    this.imaging = new FakeImaging({ document: (id) => this.document(id), liveImages: this.liveImages });
  }

  get isModal(): boolean {
    return this.modalDepth > 0;
  }

  get app(): PsApp {
    const docs = this.docs;
    const list: PsDocumentList = Object.assign(Object.create(null) as object, { length: docs.length }, docs) as PsDocumentList;
    const active = this.activeId === null ? null : (docs.find((d) => d.id === this.activeId) ?? null);
    return { activeDocument: active, documents: list };
  }

  /** Constants.ElementPlacement's values as Photoshop defines them (string enum). */
  readonly constants: PsConstants = {
    ElementPlacement: {
      PLACEBEFORE: 'placeBefore' as PsElementPlacement,
      PLACEAFTER: 'placeAfter' as PsElementPlacement,
      PLACEINSIDE: 'placeInside' as PsElementPlacement,
    },
  };

  get core(): PsCore {
    return { executeAsModal: (target, options) => this.executeAsModal(target, options) };
  }

  // ---- test helpers: set up what a user would have done in Photoshop ----

  createDocument(options: NewDocumentOptions): FakeDocument {
    const doc = new FakeDocument(
      this.ids++,
      {
        title: options.title ?? `Untitled-${this.docs.length + 1}`,
        width: options.width,
        height: options.height,
        resolution: options.resolution ?? 72,
        mode: options.mode ?? 'RGBColorMode',
        depth: options.depth ?? 8,
        profile: options.profile ?? 'sRGB IEC61966-2.1',
      },
      { requireModal: (what) => this.requireModal(what), recordChange: (d, what) => this.recordChange(d, what) },
      () => this.ids++,
    );
    if (options.background) {
      const [r, g, b] = options.background;
      doc.layerStates.push(this.makeLayer(doc, 'Background', { left: 0, top: 0, width: options.width, height: options.height }, () => [r, g, b, 1], true));
      doc.activeLayerId = doc.layerStates[0]?.id ?? null;
    }
    this.docs.push(doc);
    this.activeId = doc.id;
    return doc;
  }

  /** Adds a pixel layer on top, as if painted by the user (no history state). */
  addLayer(doc: FakeDocument, name: string, box: Box, pixel: PixelFn): LayerState {
    const layer = this.makeLayer(doc, name, box, pixel, false);
    doc.layerStates.unshift(layer);
    doc.activeLayerId = layer.id;
    return layer;
  }

  /** Sets the selection from a 0..1 function over `box` (soft edges allowed). */
  select(doc: FakeDocument, box: Box, amount: (x: number, y: number) => number): void {
    const data = allocate(doc.depth, box.width * box.height);
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) data[y * box.width + x] = fromUnit(amount(box.left + x, box.top + y), doc.depth);
    }
    doc.selectionPlane = { box, data, outside: 0 };
  }

  deselect(doc: FakeDocument): void {
    doc.selectionPlane = null;
  }

  closeDocument(doc: FakeDocument): void {
    doc.closed = true;
    this.docs = this.docs.filter((d) => d !== doc);
    if (this.activeId === doc.id) this.activeId = this.docs[0]?.id ?? null;
  }

  resizeCanvas(doc: FakeDocument, width: number, height: number): void {
    doc.width = width;
    doc.height = height;
    doc.historyStates.push('Canvas Size');
  }

  /** The user pressing Escape on Photoshop's progress bar. */
  cancelModal(): void {
    this.cancelRequested = true;
  }

  document(id: number | undefined): FakeDocument {
    const doc = id === undefined || id < 0 ? this.docs.find((d) => d.id === this.activeId) : this.docs.find((d) => d.id === id);
    if (!doc) throw new Error(id === undefined ? 'Photoshop: no document is open' : `Photoshop: no open document with id ${id}`);
    return doc;
  }

  /** For assertions: documents as PsDocument. */
  documentsList(): PsDocument[] {
    return [...this.docs];
  }

  // ---- modal scopes and history ----

  private async executeAsModal<T>(
    target: (context: PsExecutionContext, descriptor?: object) => Promise<T>,
    options: { commandName: string; descriptor?: object },
  ): Promise<T> {
    if (typeof options?.commandName !== 'string') throw new Error('executeAsModal: options.commandName is required');
    if (this.modalDepth > 0) throw Object.assign(new Error('host is in a modal state'), { number: 9 });
    this.modalDepth++;
    this.cancelRequested = false;
    const mine: Suspension[] = [];
    const fake = this;
    const context: PsExecutionContext = {
      get isCancelled() {
        return fake.cancelRequested;
      },
      hostControl: {
        suspendHistory: async ({ documentID, name }) => {
          const doc = this.document(documentID);
          if (this.suspensions.some((s) => s.doc === doc)) throw new Error('Photoshop: history is already suspended on this document');
          const suspension: Suspension = { token: { id: this.ids++ }, doc, name, snapshot: cloneLayers(doc.layerStates), activeLayerId: doc.activeLayerId, changed: false };
          this.suspensions.push(suspension);
          mine.push(suspension);
          return suspension.token;
        },
        resumeHistory: async (id, commit = true) => {
          const suspension = this.suspensions.find((s) => s.token === id);
          if (!suspension) throw new Error('Photoshop: unknown history suspension');
          this.resume(suspension, commit);
        },
      },
    };
    try {
      const result = await target(context, options.descriptor ?? {});
      for (const s of mine) if (this.suspensions.includes(s)) this.resume(s, true);
      return result;
    } catch (err) {
      for (const s of mine) if (this.suspensions.includes(s)) this.resume(s, false);
      throw err;
    } finally {
      this.modalDepth--;
    }
  }

  private resume(suspension: Suspension, commit: boolean): void {
    this.suspensions = this.suspensions.filter((s) => s !== suspension);
    if (!commit) {
      suspension.doc.layerStates = suspension.snapshot;
      suspension.doc.activeLayerId = suspension.activeLayerId;
    }
    else if (suspension.changed) suspension.doc.historyStates.push(suspension.name);
  }

  private requireModal(what: string): void {
    if (this.modalDepth === 0) {
      this.violations.push(`${what} outside executeAsModal`);
      throw new Error(`Photoshop: "${what}" needs a modal scope (core.executeAsModal)`);
    }
  }

  private recordChange(doc: FakeDocument, what: string): void {
    const suspension = this.suspensions.find((s) => s.doc === doc);
    if (suspension) suspension.changed = true;
    else doc.historyStates.push(what);
  }

  private makeLayer(doc: FakeDocument, name: string, box: Box, pixel: PixelFn, background: boolean): LayerState {
    const pixels = allocate(doc.depth, box.width * box.height * 4);
    for (let y = 0; y < box.height; y++) {
      for (let x = 0; x < box.width; x++) {
        const rgba = pixel(box.left + x, box.top + y);
        for (let c = 0; c < 4; c++) pixels[(y * box.width + x) * 4 + c] = fromUnit(background && c === 3 ? 1 : rgba[c] ?? 0, doc.depth);
      }
    }
    return { id: this.ids++, name, visible: true, background, kind: 'pixel', parentId: null, box, pixels, mask: null };
  }
}

function cloneLayers(layers: LayerState[]): LayerState[] {
  return layers.map((l) => ({
    ...l,
    box: { ...l.box },
    pixels: l.pixels.slice(),
    mask: l.mask ? { ...l.mask, box: { ...l.mask.box }, data: l.mask.data.slice() } : null,
  }));
}
