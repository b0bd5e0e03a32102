"""Reading from the document: selection bounds and soft mask, pixels of a region."""

import gi

gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gegl, Gimp  # noqa: E402

from ..errors import BridgeClientError  # noqa: E402

# Non-linear sRGB 8 bit: what SD models expect; "RGBA u8" would be linear light.
RGBA8 = "R'G'B'A u8"
GRAY8 = 'Y u8'


def check_document(image):
    if image is None or not image.is_valid():
        raise BridgeClientError('document_changed', 'The image is no longer open.')
    if not image.get_layers():
        raise BridgeClientError('host_unsupported', 'The image has no layers: add one first.')


def selection_box(image):
    """(x, y, w, h) of the selection in image coordinates, or None when nothing is selected."""
    ok, non_empty, x1, y1, x2, y2 = Gimp.Selection.bounds(image)
    if not ok or not non_empty or x2 <= x1 or y2 <= y1:
        return None
    return x1, y1, x2 - x1, y2 - y1


def canvas_box(image):
    return 0, 0, image.get_width(), image.get_height()


def _get(buf, x, y, box_w, size, fmt):
    """``buf`` over the area at (x, y), read at ``size`` (w, h): GEGL scales while reading (the
    rectangle is then in scaled coordinates), so a big area never exists at full size here."""
    w, h = size
    scale = w / float(box_w)
    if scale >= 1.0:
        return buf.get(Gegl.Rectangle.new(x, y, w, h), 1.0, fmt, Gegl.AbyssPolicy.NONE)
    rect = Gegl.Rectangle.new(int(round(x * scale)), int(round(y * scale)), w, h)
    return buf.get(rect, scale, fmt, Gegl.AbyssPolicy.NONE)


def read_rgba(image, box, drawable=None, size=None):
    """RGBA 8-bit bytes of ``box``: the merged visible image, or only ``drawable`` when given
    (layer buffers are in layer coordinates, so its offsets are subtracted); at ``size`` (w, h)
    when given (smaller than the box: scaled down while reading)."""
    x, y, w, h = box
    size = size or (w, h)
    if drawable is None:
        visible = Gimp.Layer.new_from_visible(image, image, 'latent-bridge source')
        try:
            return _get(visible.get_buffer(), x, y, w, size, RGBA8)
        finally:
            visible.delete()
    ok, ox, oy = drawable.get_offsets()
    return _get(drawable.get_buffer(), x - ox, y - oy, w, size, RGBA8)


def read_selection(image, box, size=None):
    """Selection values over ``box`` (8 bit, 255 = fully selected); image coordinates; at
    ``size`` (w, h) when given."""
    x, y, w, h = box
    return _get(image.get_selection().get_buffer(), x, y, w, size or (w, h), GRAY8)


def source_drawable(image, drawables, use_layer):
    if not use_layer:
        return None
    layers = [d for d in (drawables or []) if isinstance(d, Gimp.Layer)] or list(image.get_selected_layers())
    if not layers:
        raise BridgeClientError('host_unsupported', 'Select a layer to use as the source, or use the visible image.')
    return layers[0]
