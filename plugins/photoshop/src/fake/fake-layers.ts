import type { PsBounds, PsElementPlacement, PsLayer, PsLayerList } from '../host/ps-api.js';
import type { Box, FakeDocument } from './fake-document.js';

/** Layer kinds the fake models (Constants.LayerKind values). */
export type FakeLayerKind = 'pixel' | 'group';

export function boxToBounds(b: Box): PsBounds {
  return { left: b.left, top: b.top, right: b.left + b.width, bottom: b.top + b.height };
}

export function boxUnion(a: Box, b: Box): Box {
  const left = Math.min(a.left, b.left);
  const top = Math.min(a.top, b.top);
  const right = Math.max(a.left + a.width, b.left + b.width);
  const bottom = Math.max(a.top + a.height, b.top + b.height);
  return { left, top, width: right - left, height: bottom - top };
}

/**
 * Photoshop's Layer object over the fake's state: a handle by id that reads the document each
 * time, so it sees moves, renames and rollbacks like the real DOM proxy does.
 */
export class FakeLayer implements PsLayer {
  constructor(private readonly doc: FakeDocument, readonly id: number) {}

  private get state() {
    return this.doc.layerState(this.id);
  }

  get name(): string {
    return this.state.name;
  }

  set name(value: string) {
    this.doc.change('Rename layer', () => (this.state.name = value));
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

  get kind(): FakeLayerKind {
    return this.state.kind;
  }

  /** A group's bounds are the union of its content's; an empty group has zero bounds. */
  get boundsNoEffects(): PsBounds {
    const state = this.state;
    if (state.kind !== 'group') return boxToBounds(state.box);
    let area: Box | null = null;
    for (const child of this.doc.descendants(this.id)) {
      if (child.kind === 'group' || child.box.width === 0) continue;
      area = area ? boxUnion(area, child.box) : child.box;
    }
    return boxToBounds(area ?? { left: 0, top: 0, width: 0, height: 0 });
  }

  get parent(): PsLayer | null {
    const parentId = this.state.parentId;
    return parentId === null ? null : this.doc.layerObject(parentId);
  }

  async move(relativeObject: PsLayer, insertLocation: PsElementPlacement): Promise<void> {
    this.doc.moveLayer(this.id, relativeObject.id, String(insertLocation));
  }

  get layers(): PsLayerList | null {
    if (this.state.kind !== 'group') return null;
    return new LayerList(this.doc.children(this.id).map((s) => this.doc.layerObject(s.id)));
  }
}

export class LayerList implements PsLayerList {
  [index: number]: PsLayer | undefined;
  readonly length: number;
  constructor(items: PsLayer[]) {
    this.length = items.length;
    items.forEach((layer, i) => (this[i] = layer));
  }
}
