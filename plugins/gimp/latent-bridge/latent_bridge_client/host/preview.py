"""Previews in a separate scratch image, never in the user's image: changing that image during a
job would put the preview outside the result's undo group (and the user may keep editing it)."""

import gi

gi.require_version('Gimp', '3.0')
gi.require_version('Gegl', '0.4')
from gi.repository import Gegl, Gimp  # noqa: E402

from .canvas import RGBA8  # noqa: E402
from .trace import trace  # noqa: E402


class PreviewImage:
    def __init__(self, title, show_display):
        self.title = title
        self.show_display = show_display
        self.image = None
        self.layer = None
        self.display = None
        self.shown = 0

    def _open(self, width, height):
        self.close()
        self.image = Gimp.Image.new(width, height, Gimp.ImageBaseType.RGB)
        self.image.undo_disable()
        self.layer = Gimp.Layer.new(self.image, self.title, width, height, Gimp.ImageType.RGBA_IMAGE, 100.0,
                                    Gimp.LayerMode.NORMAL)
        self.image.insert_layer(self.layer, None, 0)
        if self.show_display:
            self.display = Gimp.Display.new(self.image)

    def show(self, preview):
        if self.image is None or not self.image.is_valid() or (
                self.image.get_width(), self.image.get_height()) != (preview.width, preview.height):
            self._open(preview.width, preview.height)
        buf = self.layer.get_buffer()
        buf.set(Gegl.Rectangle.new(0, 0, preview.width, preview.height), RGBA8, preview.rgba)
        buf.flush()
        self.layer.update(0, 0, preview.width, preview.height)
        self.shown += 1
        trace('preview', width=preview.width, height=preview.height)
        if self.display is not None:
            Gimp.displays_flush()

    def close(self):
        if self.display is not None and self.display.is_valid():
            self.display.delete()
        self.display = None
        if self.image is not None and self.image.is_valid():
            self.image.delete()
        self.image = None
        self.layer = None
