"""Writing results: new layers only, at the exact offset, in one undo group."""

import gi

gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gegl, Gimp  # noqa: E402

from .. import plan  # noqa: E402
from ..errors import BridgeClientError  # noqa: E402
from .canvas import GRAY8, RGBA8  # noqa: E402
from .trace import trace as _trace  # noqa: E402

_LAYER_TYPES = {
    Gimp.ImageBaseType.RGB: Gimp.ImageType.RGBA_IMAGE,
    Gimp.ImageBaseType.GRAY: Gimp.ImageType.GRAYA_IMAGE,
    Gimp.ImageBaseType.INDEXED: Gimp.ImageType.INDEXEDA_IMAGE,
}


class UndoGroup:
    def __init__(self, image):
        self.image = image

    def __enter__(self):
        self.image.undo_group_start()
        _trace('undo_group_start')
        return self

    def __exit__(self, *exc):
        self.image.undo_group_end()
        _trace('undo_group_end')


def _new_layer(image, name, result, parent, position):
    """Insert a layer holding ``result`` (RGBA 8 bit); the image's type and precision are kept
    (GEGL converts the 8-bit sRGB bytes to them)."""
    layer = Gimp.Layer.new(image, name, result.width, result.height, _LAYER_TYPES[image.get_base_type()], 100.0,
                           Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, parent, position)
    _trace('insert_layer', name=name)
    buf = layer.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, result.width, result.height), RGBA8, result.rgba)
    buf.flush()
    layer.update(0, 0, result.width, result.height)
    return layer


def _insert_results(image, results, names, group, box, mask_bytes, frames=False):
    """New layers named ``names`` over ``box`` (x, y, w, h), scaled to it when the server generated
    at another size; ``mask_bytes`` (8-bit, box-sized) becomes each layer's mask. With a ``group``
    name they go in a new layer group. A batch or list has result 0 on top and only it visible;
    ``frames`` stacks them bottom-to-top in order, all visible, the order GIMP's Playback and GIF
    export play layers in (bottom first)."""
    x, y, w, h = box
    parent = None
    if group is not None:
        parent = Gimp.GroupLayer.new(image, group)
        image.insert_layer(parent, None, 0)
        _trace('insert_group', name=group)
    layers = []
    for i, (result, name) in enumerate(zip(results, names)):
        layer = _new_layer(image, name, result, parent, 0 if frames or parent is None else i)
        if (result.width, result.height) != (w, h):
            layer.scale(w, h, True)
            _trace('scale_layer', width=w, height=h)
        layer.set_offsets(x, y)
        if mask_bytes is not None:
            _add_mask(layer, w, h, mask_bytes)
        if i > 0 and not frames:
            layer.set_visible(False)
        layers.append(layer)
    return layers


def _batch_names(results, prompt):
    names = [plan.layer_name(prompt, r.seed) for r in results]
    return names, (plan.group_name(prompt, len(results)) if len(results) > 1 else None)


def _add_mask(layer, w, h, mask_bytes):
    """The selection as it was when the job started (the user may have changed it since)."""
    mask = layer.create_mask(Gimp.AddMaskType.WHITE)
    layer.add_mask(mask)
    buf = mask.get_buffer()
    buf.set(Gegl.Rectangle.new(0, 0, w, h), GRAY8, mask_bytes)
    buf.flush()
    mask.update(0, 0, w, h)
    _trace('add_mask')


def _check_unchanged(image, expected_size):
    if not image.is_valid():
        raise BridgeClientError('document_changed', 'The image was closed while the job ran.')
    if (image.get_width(), image.get_height()) != expected_size:
        raise BridgeClientError('document_changed', 'The image was resized while the job ran; nothing was pasted.')


def paste_results(image, results, box, prompt, mask_bytes, expected_size):
    """Results over ``box`` in one undo group; see _insert_results."""
    return paste_named(image, results, box, *_batch_names(results, prompt), mask_bytes=mask_bytes,
                       expected_size=expected_size)


def paste_named(image, results, box, names, group, mask_bytes, expected_size, frames=False):
    """Results with the given layer ``names`` (and ``group`` name) over ``box``, in one undo group."""
    _check_unchanged(image, expected_size)
    with UndoGroup(image):
        layers = _insert_results(image, results, names, group, box, mask_bytes, frames)
    Gimp.displays_flush()
    return layers


def paste_outpaint(image, results, expand, prompt, expected_size):
    """Grow the canvas by ``expand`` (existing layers keep their pixels and their place in the
    picture) and put the results over the whole new canvas, in one undo group."""
    _check_unchanged(image, expected_size)
    new_w = expected_size[0] + expand['left'] + expand['right']
    new_h = expected_size[1] + expand['top'] + expand['bottom']
    for r in results:
        if (r.width, r.height) != (new_w, new_h):
            raise BridgeClientError('image_invalid', 'The bridge sent a %dx%d result for a %dx%d canvas.'
                                    % (r.width, r.height, new_w, new_h))
    with UndoGroup(image):
        image.resize(new_w, new_h, expand['left'], expand['top'])
        _trace('resize_canvas', width=new_w, height=new_h)
        layers = _insert_results(image, results, *_batch_names(results, prompt), box=(0, 0, new_w, new_h),
                                 mask_bytes=None)
    Gimp.displays_flush()
    return layers


def frames_image(results, names, size, show_display):
    """A new image of ``size`` with the frames as its only layers, bottom to top: what Filters >
    Animation > Playback and GIF export play (they take top-level layers only, so frames inside a
    layer group play as one). The user's image is not touched."""
    w, h = size
    image = Gimp.Image.new(w, h, Gimp.ImageBaseType.RGB)
    image.undo_disable()  # a fresh image: nothing to undo back to
    _trace('new_image', width=w, height=h)
    for result, name in zip(results, names):
        layer = _new_layer(image, name, result, None, 0)
        if (result.width, result.height) != (w, h):
            layer.scale(w, h, True)
        layer.set_offsets(0, 0)
    image.undo_enable()
    image.clean_all()
    if show_display:
        Gimp.Display.new(image)
        Gimp.displays_flush()
    return image
