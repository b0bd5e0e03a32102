import type { PsBounds, PsDocument, PsLayer, PsLayerList, PsSelection } from '../host/ps-api.js';
import { allocate, fromUnit, unit, type Samples } from './fake-image-data.js';

/** Pixel rectangle used inside the fake. */
export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export function boxIntersect(a: Box, b: Box): Box | null {
  const left = Math.max(a.left, b.left);
  const top = Math.max(a.top, b.top);
  const right = Math.min(a.left + a.width, b.left + b.width);
  const bottom = Math.min(a.top + a.height, b.top + b.height);
  return right > left && bottom > top ? { left, top, width: right - left, height: bottom - top } : null;
}

export function boxToBounds(b: Box): PsBounds {
  return { left: b.left, top: b.top, right: b.left + b.width, bottom: b.top + b.height };
}

/** Accepts both documented rectangle forms. */
export function boxFromInput(r: { left: number; top: number; right?: number; bottom?: number; width?: number; height?: number }): Box {
  const width = r.width ?? (r.right ?? r.left) - r.left;
  const height = r.height ?? (r.bottom ?? r.top) - r.top;
  return { left: r.left, top: r.top, width, height };
}

/** A single-channel plane (layer mask or selection) at the document depth. */
export interface Plane {
  box: Box;
  data: Samples;
  /** Value outside `box`, 0..1. */
  outside: number;
}

export interface LayerState {
  id: number;
  name: string;
  visible: boolean;
  background: boolean;
  /** Pixel content: chunky RGBA at the document depth, straight alpha. */
  box: Box;
  pixels: Samples;
  mask: Plane | null;
}

/** Hooks the document uses to ask the fake app about modal scopes and history. */
export interface DocumentHost {
  requireModal(what: string): void;
  recordChange(doc: FakeDocument, what: string): void;
}

export class FakeLayer implements PsLayer {
  constructor(private readonly doc: FakeDocument, readonly id: number) {}

  private get state(): LayerState {
    return this.doc.layerState(this.id);
  }

  get name(): string {
    return this.state.name;
  }

  set name(value: string) {
    this.doc.change(`Rename layer`, () => (this.state.name = value));
  }

  get visible(): boolean {
    return this.state.visible;
  }

  set visible(value: boolean) {
    if (this.state.visible === value) return;
    this.doc.change(value ? 'Show layer' : 'Hide layer', () => (this.state.visible = value));
  }

  get isBackgroundLayer(): boolean {
    return this.state.background;
  }

  get boundsNoEffects(): PsBounds {
    return boxToBounds(this.state.box);
  }
}

class LayerList implements PsLayerList {
  [index: number]: PsLayer | undefined;
  readonly length: number;
  constructor(items: PsLayer[]) {
    this.length = items.length;
    items.forEach((layer, i) => (this[i] = layer));
  }
}

export class FakeDocument implements PsDocument {
  title: string;
  width: number;
  height: number;
  resolution: number;
  mode: string;
  readonly depth: 8 | 16 | 32;
  colorProfileName: string;
  quickMaskMode = false;
  closed = false;
  /** Top first, like doc.layers. */
  layerStates: LayerState[] = [];
  selectionPlane: Plane | null = null;
  activeLayerId: number | null = null;
  historyStates: string[] = ['Open'];
  private layerObjects = new Map<number, FakeLayer>();

  constructor(
    readonly id: number,
    options: { title: string; width: number; height: number; resolution: number; mode: string; depth: 8 | 16 | 32; profile: string },
    private readonly host: DocumentHost,
    private readonly nextLayerId: () => number,
  ) {
    this.title = options.title;
    this.width = options.width;
    this.height = options.height;
    this.resolution = options.resolution;
    this.mode = options.mode;
    this.depth = options.depth;
    this.colorProfileName = options.profile;
  }

  get bitsPerChannel(): string {
    return `bitDepth${this.depth}`;
  }

  get layers(): PsLayerList {
    return new LayerList(this.layerStates.map((s) => this.layerObject(s.id)));
  }

  get activeLayers(): PsLayerList {
    return new LayerList(this.activeLayerId === null ? [] : [this.layerObject(this.activeLayerId)]);
  }

  get selection(): PsSelection {
    const plane = this.selectionPlane;
    let solid = true;
    if (plane) for (const v of plane.data) if (unit(v, this.depth) !== 1) solid = false;
    return { bounds: plane ? boxToBounds(plane.box) : null, solid: plane !== null && solid };
  }

  async createPixelLayer(options?: { name?: string }): Promise<PsLayer | null> {
    this.assertOpen();
    const id = this.nextLayerId();
    this.change('New Layer', () => {
      const state: LayerState = {
        id,
        name: options?.name ?? `Layer ${id}`,
        visible: true,
        background: false,
        box: { left: 0, top: 0, width: 0, height: 0 },
        pixels: allocate(this.depth, 0),
        mask: null,
      };
      // A new layer goes right above the active layer (top when none is active).
      const at = this.activeLayerId === null ? 0 : this.layerStates.findIndex((s) => s.id === this.activeLayerId);
      this.layerStates.splice(Math.max(0, at), 0, state);
      this.activeLayerId = id;
    });
    return this.layerObject(id);
  }

  layerState(id: number): LayerState {
    this.assertOpen();
    const state = this.layerStates.find((s) => s.id === id);
    if (!state) throw new Error(`Photoshop: no layer with id ${id}`);
    return state;
  }

  layerObject(id: number): FakeLayer {
    let layer = this.layerObjects.get(id);
    if (!layer) {
      layer = new FakeLayer(this, id);
      this.layerObjects.set(id, layer);
    }
    return layer;
  }

  /** Every document change goes through here: it needs a modal scope and makes history. */
  change(what: string, apply: () => void): void {
    this.assertOpen();
    this.host.requireModal(what);
    apply();
    this.host.recordChange(this, what);
  }

  assertOpen(): void {
    if (this.closed) throw new Error('Photoshop: the document has been closed');
  }

  /** Visible composite over `box` as 0..1 RGBA floats (normal blend, straight alpha). */
  composite(box: Box): Float32Array {
    const out = new Float32Array(box.width * box.height * 4);
    for (let i = this.layerStates.length - 1; i >= 0; i--) {
      const layer = this.layerStates[i];
      if (!layer || !layer.visible) continue;
      const area = boxIntersect(layer.box, box);
      if (!area) continue;
      for (let y = area.top; y < area.top + area.height; y++) {
        for (let x = area.left; x < area.left + area.width; x++) {
          const s = ((y - layer.box.top) * layer.box.width + (x - layer.box.left)) * 4;
          const d = ((y - box.top) * box.width + (x - box.left)) * 4;
          const alpha = (layer.background ? 1 : unit(layer.pixels[s + 3] ?? 0, this.depth)) * planeAt(layer.mask, x, y, this.depth);
          const below = out[d + 3] ?? 0;
          const outA = alpha + below * (1 - alpha);
          for (let c = 0; c < 3; c++) {
            const src = unit(layer.pixels[s + c] ?? 0, this.depth);
            const dst = out[d + c] ?? 0;
            out[d + c] = outA === 0 ? 0 : (src * alpha + dst * below * (1 - alpha)) / outA;
          }
          out[d + 3] = outA;
        }
      }
    }
    return out;
  }

  /** Area holding pixels of visible layers (what getPixels trims the composite to). */
  pixelArea(): Box | null {
    let area: Box | null = null;
    for (const layer of this.layerStates) {
      if (!layer.visible || layer.box.width === 0) continue;
      area = area ? union(area, layer.box) : layer.box;
    }
    return area;
  }

  hasVisibleBackground(): boolean {
    return this.layerStates.some((l) => l.background && l.visible);
  }
}

export function planeAt(plane: Plane | null, x: number, y: number, depth: 8 | 16 | 32): number {
  if (!plane) return 1;
  const { box } = plane;
  if (x < box.left || y < box.top || x >= box.left + box.width || y >= box.top + box.height) return plane.outside;
  return unit(plane.data[(y - box.top) * box.width + (x - box.left)] ?? 0, depth);
}

/** A plane's values over `box` at the document depth. */
export function planeRegion(plane: Plane, box: Box, depth: 8 | 16 | 32): Samples {
  const out = allocate(depth, box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    for (let x = 0; x < box.width; x++) out[y * box.width + x] = fromUnit(planeAt(plane, box.left + x, box.top + y, depth), depth);
  }
  return out;
}

function union(a: Box, b: Box): Box {
  const left = Math.min(a.left, b.left);
  const top = Math.min(a.top, b.top);
  const right = Math.max(a.left + a.width, b.left + b.width);
  const bottom = Math.max(a.top + a.height, b.top + b.height);
  return { left, top, width: right - left, height: bottom - top };
}
