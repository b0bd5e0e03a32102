"""Job feedback that never takes the view away from the user's image.

Interactive runs get a small window of the plug-in's own (GTK, in the plug-in process) with the
live preview, a progress bar and a Cancel button that sends ``cancel`` to the bridge. No image
and no display are created, so GIMP stays on the user's image tab, scrolled where it was, and
nothing is left behind to be saved: if GIMP's status-bar Cancel ends the plug-in, the window
goes with the process and the bridge cancels the job of the closed connection.
Batch runs only trace the previews (tests count them)."""

from .trace import trace

PREVIEW_SIDE = 256


class NullPreview:
    """Batch runs: no window; previews are traced only."""

    cancelled = False

    def show(self, preview):
        trace('preview', width=preview.width, height=preview.height)

    def progress(self, step, total):
        pass

    def pump(self):
        pass

    def close(self):
        pass


class PreviewWindow:
    """The interactive job window. ``pump()`` keeps it responsive while the job waits."""

    def __init__(self, title):
        import gi
        gi.require_version('Gtk', '3.0')
        gi.require_version('GdkPixbuf', '2.0')
        from gi.repository import GdkPixbuf, GLib, Gtk
        self._Gtk, self._GLib, self._Pixbuf = Gtk, GLib, GdkPixbuf
        self.cancelled = False
        self.window = Gtk.Window(title=title)
        self.window.set_default_size(PREVIEW_SIDE + 24, -1)
        self.window.set_keep_above(True)
        self.window.connect('delete-event', self._on_delete)
        box = Gtk.Box(orientation=Gtk.Orientation.VERTICAL, spacing=6, border_width=12)
        self.image = Gtk.Image()
        self.image.set_size_request(PREVIEW_SIDE, PREVIEW_SIDE)
        self.bar = Gtk.ProgressBar(show_text=True)
        self.bar.set_text('Waiting for the bridge\u2026')
        self.button = Gtk.Button.new_with_mnemonic('_Cancel')
        self.button.connect('clicked', lambda *_: self.cancel())
        for w in (self.image, self.bar, self.button):
            box.pack_start(w, False, False, 0)
        self.window.add(box)
        try:
            from gi.repository import GimpUi
            GimpUi.window_set_transient(self.window)
        except Exception:  # older GimpUi: an ordinary top-level window is fine
            pass
        self.window.show_all()
        self.pump()

    def _on_delete(self, *_):
        self.cancel()
        return True  # the window closes when the job has ended

    def cancel(self):
        if not self.cancelled:
            self.cancelled = True
            self.bar.set_text('Cancelling\u2026')
            self.button.set_sensitive(False)
            trace('cancel_clicked')

    def show(self, preview):
        trace('preview', width=preview.width, height=preview.height)
        data = self._GLib.Bytes.new(bytes(preview.rgba))
        pix = self._Pixbuf.Pixbuf.new_from_bytes(data, self._Pixbuf.Colorspace.RGB, True, 8, preview.width,
                                                 preview.height, preview.width * 4)
        scale = min(PREVIEW_SIDE / float(preview.width), PREVIEW_SIDE / float(preview.height))
        w, h = max(1, int(preview.width * scale)), max(1, int(preview.height * scale))
        self.image.set_from_pixbuf(pix.scale_simple(w, h, self._Pixbuf.InterpType.BILINEAR))
        self.pump()

    def progress(self, step, total):
        if not self.cancelled:
            self.bar.set_fraction(min(1.0, step / float(total)))
            self.bar.set_text('Step %d of %d' % (step, total))
        self.pump()

    def pump(self):
        Gtk = self._Gtk
        while Gtk.events_pending():
            Gtk.main_iteration_do(False)

    def close(self):
        if self.window is not None:
            self.window.destroy()
            self.window = None
            self.pump()
