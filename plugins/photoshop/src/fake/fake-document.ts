import type { PsDocument, PsLayer, PsLayerList, PsSelection } from '../host/ps-api.js';
import { allocate, fromUnit, unit, type Samples } from './fake-image-data.js';
import { boxToBounds, boxUnion, FakeLayer, LayerList, type FakeLayerKind } from './fake-layers.js';

export { boxToBounds } from './fake-layers.js';

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
  kind: FakeLayerKind;
  /** The group holding this layer, null at the top level. */
  parentId: number | null;
  /** Pixel content: chunky RGBA at the document depth, straight alpha (empty for a group). */
  box: Box;
  pixels: Samples;
  mask: Plane | null;
}

/** Hooks the document uses to ask the fake app about modal scopes and history. */
export interface DocumentHost {
  requireModal(what: string): void;
  recordChange(doc: FakeDocument, what: string): void;
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
  /**
   * Every layer, groups included, top first as the Layers panel lists them fully expanded: a
   * group comes right before its content, and `parentId` says which group a layer is in.
   */
  layerStates: LayerState[] = [];
  selectionPlane: Plane | null = null;
  activeLayerId: number | null = null;
  historyStates: string[] = ['Open'];
  /**
   * Adobe does not specify the order createLayerGroup({ fromLayers }) leaves layers in.
   * 'stacking' keeps their stacking order (what Layer > Group Layers does); 'argument' puts
   * them in the order of the array, first on top, so code that depends on either gets caught.
   */
  groupOrder: 'stacking' | 'argument' = 'stacking';
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

  /** The top level only, like Photoshop 23+ (a group's content is under group.layers). */
  get layers(): PsLayerList {
    return new LayerList(this.children(null).map((s) => this.layerObject(s.id)));
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
      this.insertNew(this.emptyState(id, options?.name ?? `Layer ${id}`, 'pixel'));
      this.activeLayerId = id;
    });
    return this.layerObject(id);
  }

  /**
   * Without `fromLayers` an empty group goes where a new layer would. With it, the group takes
   * the place of the topmost of those layers and holds them (with their content), keeping
   * their stacking order, wherever they were (Layer > Group Layers). The group becomes active.
   */
  async createLayerGroup(options?: { name?: string; fromLayers?: PsLayer | PsLayer[] }): Promise<PsLayer | null> {
    this.assertOpen();
    const from = options?.fromLayers === undefined ? [] : Array.isArray(options.fromLayers) ? options.fromLayers : [options.fromLayers];
    const ids = new Set(from.map((l) => this.layerState(l.id).id));
    for (const id of ids) if (this.layerState(id).background) throw new Error('Photoshop: the background layer cannot be grouped');
    const id = this.nextLayerId();
    const group = this.emptyState(id, options?.name ?? `Group ${id}`, 'group');
    this.change(ids.size === 0 ? 'New Group' : 'Group Layers', () => {
      if (ids.size === 0) this.insertNew(group);
      else this.groupInto(group, ids);
      this.activeLayerId = id;
    });
    return this.layerObject(id);
  }

  /**
   * Layer.move (classes/layer.md, 23.0): placeBefore = right above `relativeId`, placeAfter =
   * right below it (below a group's content), placeInside = top of the group `relativeId`.
   * The layer moves with its content; the background layer does not move.
   */
  moveLayer(id: number, relativeId: number, placement: string): void {
    const state = this.layerState(id);
    const relative = this.layerState(relativeId);
    if (state.background) throw new Error('Photoshop: the background layer cannot be moved');
    if (id === relativeId || this.isInside(relative, id)) throw new Error('Photoshop: a layer cannot move relative to itself or its own content');
    if (placement === 'placeInside' && relative.kind !== 'group') throw new Error('Photoshop: placeInside needs a group layer');
    if (!['placeBefore', 'placeAfter', 'placeInside'].includes(placement)) throw new Error(`fake: move with ${placement} is not modelled`);
    this.change('Move Layer', () => {
      const moving = this.layerStates.filter((s) => s === state || this.isInside(s, id));
      const rest = this.layerStates.filter((s) => !moving.includes(s));
      let at: number;
      if (placement === 'placeBefore') {
        state.parentId = relative.parentId;
        at = rest.indexOf(relative);
      } else if (placement === 'placeInside') {
        state.parentId = relative.id;
        at = rest.indexOf(relative) + 1;
      } else {
        state.parentId = relative.parentId;
        const block = rest.filter((s) => s === relative || this.isInside(s, relative.id));
        at = rest.indexOf(block[block.length - 1] as LayerState) + 1;
      }
      rest.splice(at, 0, ...moving);
      this.layerStates = rest;
    });
  }

  /** Direct children of a group (null: the top level), top first. */
  children(parentId: number | null): LayerState[] {
    return this.layerStates.filter((s) => s.parentId === parentId);
  }

  /** Everything inside a group, at any depth, top first. */
  descendants(groupId: number): LayerState[] {
    return this.layerStates.filter((s) => this.isInside(s, groupId));
  }

  /** Shown: the layer and every group around it are visible. */
  shown(state: LayerState): boolean {
    for (let s: LayerState | undefined = state; s; s = s.parentId === null ? undefined : this.layerState(s.parentId)) {
      if (!s.visible) return false;
    }
    return true;
  }

  private isInside(state: LayerState, groupId: number): boolean {
    for (let p = state.parentId; p !== null; p = this.layerState(p).parentId) if (p === groupId) return true;
    return false;
  }

  private emptyState(id: number, name: string, kind: FakeLayerKind): LayerState {
    return { id, name, visible: true, background: false, kind, parentId: null, box: { left: 0, top: 0, width: 0, height: 0 }, pixels: allocate(this.depth, 0), mask: null };
  }

  /**
   * Where Photoshop puts a new layer: right above the active layer in the same group; at the
   * top inside the active layer when that is a group; at the very top when none is active.
   */
  private insertNew(state: LayerState): void {
    const active = this.activeLayerId === null ? undefined : this.layerStates.find((s) => s.id === this.activeLayerId);
    if (!active) {
      this.layerStates.unshift(state);
      return;
    }
    const at = this.layerStates.indexOf(active);
    if (active.kind === 'group') {
      state.parentId = active.id;
      this.layerStates.splice(at + 1, 0, state);
    } else {
      state.parentId = active.parentId;
      this.layerStates.splice(at, 0, state);
    }
  }

  private groupInto(group: LayerState, ids: Set<number>): void {
    // Layers inside a chosen group move with it; the rest are the roots that go in.
    const roots = this.layerStates.filter((s) => ids.has(s.id) && ![...ids].some((other) => other !== s.id && this.isInside(s, other)));
    const top = roots[0];
    if (!top) return;
    const moving = this.layerStates.filter((s) => roots.some((r) => r === s || this.isInside(s, r.id)));
    group.parentId = top.parentId;
    const rest = this.layerStates.filter((s) => !moving.includes(s));
    const firstBelow = this.layerStates.slice(this.layerStates.indexOf(top)).find((s) => !moving.includes(s));
    const at = firstBelow ? rest.indexOf(firstBelow) : rest.length;
    let inside = moving;
    if (this.groupOrder === 'argument') {
      const order = [...ids];
      const blockOf = (r: LayerState) => moving.filter((s) => s === r || this.isInside(s, r.id));
      inside = [...roots].sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id)).flatMap(blockOf);
    }
    for (const r of roots) r.parentId = group.id;
    rest.splice(at, 0, group, ...inside);
    this.layerStates = rest;
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
    // Groups are pass-through at 100 % opacity: their content blends as if ungrouped.
    for (let i = this.layerStates.length - 1; i >= 0; i--) {
      const layer = this.layerStates[i];
      if (!layer || layer.kind === 'group' || !this.shown(layer)) continue;
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
      if (layer.kind === 'group' || layer.box.width === 0 || !this.shown(layer)) continue;
      area = area ? boxUnion(area, layer.box) : layer.box;
    }
    return area;
  }

  hasVisibleBackground(): boolean {
    return this.layerStates.some((l) => l.background && this.shown(l));
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
