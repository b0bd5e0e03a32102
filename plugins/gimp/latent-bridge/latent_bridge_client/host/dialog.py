"""The procedure dialogs: GIMP's generated dialog plus what the bridge knows (model, scheduler,
LoRA and embedding choosers), the last entered values, a hidden token and no internal fields."""

import json
import os

import gi

gi.require_version('Gimp', '3.0')
from gi.repository import Gimp  # noqa: E402

from .. import models, remember, settings  # noqa: E402
from ..errors import BridgeClientError  # noqa: E402
from ..job import open_connection  # noqa: E402
from .procedures import HIDDEN_ARGUMENTS  # noqa: E402

CAPABILITIES_FILE = 'latent-bridge-capabilities.json'
# Not dialog fields: GIMP's own arguments of an image procedure.
NOT_SHOWN = HIDDEN_ARGUMENTS + ('image', 'drawables')


def _profile_file(name):
    return os.path.join(Gimp.directory(), name)


def last_values_path():
    return os.environ.get('LATENT_BRIDGE_LAST_VALUES_FILE') or _profile_file(remember.FILE)


def save_capabilities(capabilities):
    """Kept for the next dialog, so the choosers work even when the bridge is slow to answer."""
    try:
        with open(_profile_file(CAPABILITIES_FILE), 'w', encoding='utf-8') as f:
            json.dump(capabilities, f)
    except OSError:
        pass


def load_capabilities(timeout=2.0):
    """The bridge's capabilities: asked live (briefly), else the last ones seen, else None."""
    try:
        from .run import settings_path
        url, token = settings.resolve(settings_path())
        with open_connection(url, token, timeout) as conn:
            save_capabilities(conn.capabilities)
            return conn.capabilities
    except (BridgeClientError, OSError):
        pass
    try:
        with open(_profile_file(CAPABILITIES_FILE), encoding='utf-8') as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def _argument_names(procedure):
    return [spec.name for spec in procedure.get_arguments()]


def run_dialog(procedure, config, title_id):
    """Shows the dialog; True when the user pressed OK. What was entered is remembered either way
    (GIMP itself only keeps the values of successful runs)."""
    gi.require_version('GimpUi', '3.0')
    gi.require_version('Gtk', '3.0')
    from gi.repository import GimpUi, Gtk
    GimpUi.init(title_id)
    name = procedure.get_name()
    shown = [n for n in _argument_names(procedure) if n not in NOT_SHOWN]
    remember.restore(config.get_property, config.set_property, shown, remember.load(last_values_path(), name))
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    if 'model' in shown:
        caps = load_capabilities()
        if caps:
            _Choosers(Gtk, dialog, config, caps, shown)
            shown = [n for n in shown if n not in ('model', 'scheduler')]
    if 'checkpoint' in shown:
        files = (load_capabilities() or {}).get('checkpoints') or []
        if files:
            _checkpoint_chooser(Gtk, dialog, config, files)
            shown = [n for n in shown if n != 'checkpoint']
    if 'prompts' in shown:
        # One prompt per line wants a multi-line box, and the box a label of its own.
        view = dialog.get_widget('prompts', Gtk.TextView.__gtype__)
        if view is not None:
            view.set_size_request(420, 140)
        label = dialog.get_label('prompts-label', '_Prompts, one per line', False, True)
        if isinstance(label, Gtk.Label):
            label.set_mnemonic_widget(view)
        at = shown.index('prompts')
        shown = shown[:at] + ['prompts-label'] + shown[at:]
    if 'token' in shown:
        labelled = dialog.get_widget('token', GimpUi.LabelEntry.__gtype__)
        entry = labelled.get_widget() if hasattr(labelled, 'get_widget') else None
        if isinstance(entry, Gtk.Entry):
            entry.set_visibility(False)  # shown as dots, like any password field
    dialog.fill(shown)
    ok = dialog.run()
    try:
        remember.save(last_values_path(), name, {n: config.get_property(n) for n in shown if config.find_property(n)})
    except OSError:
        pass
    dialog.destroy()
    return ok


def _checkpoint_chooser(Gtk, dialog, config, files):
    """The files of the bridge's checkpoints folder, not yet imported first."""
    combo = Gtk.ComboBoxText()
    for c in sorted(files, key=lambda c: bool(c.get('imported'))):
        combo.append(c['name'], models.checkpoint_label(c))
    wanted = config.get_property('checkpoint') or next((c['name'] for c in files if not c.get('imported')), files[0]['name'])
    if not combo.set_active_id(wanted):
        combo.set_active(0)
    config.set_property('checkpoint', combo.get_active_id() or '')
    combo.connect('changed', lambda c: config.set_property('checkpoint', c.get_active_id() or ''))
    box = Gtk.Box(spacing=6, border_width=6)
    box.pack_start(Gtk.Label(label='Checkpoint'), False, False, 0)
    box.pack_start(combo, True, True, 0)
    dialog.get_content_area().pack_start(box, False, False, 0)
    box.show_all()


class _Choosers:
    """Model and scheduler choosers filled from the bridge, with LoRA and embedding pickers;
    picking a model sets steps, guidance and scheduler from its defaults."""

    def __init__(self, Gtk, dialog, config, caps, shown):
        self.Gtk, self.config, self.caps = Gtk, config, caps
        grid = Gtk.Grid(row_spacing=4, column_spacing=6, border_width=6)
        self.model = Gtk.ComboBoxText()
        self.model.append('', 'Automatic (the best model for the task)')
        for m in caps.get('models', []):
            self.model.append(m['name'], models.model_label(m))
        self.scheduler = Gtk.ComboBoxText()
        self.scheduler.append('', 'Automatic')
        for s in caps.get('schedulers', []):
            self.scheduler.append(s, s)
        self.info = Gtk.Label(xalign=0)
        self._row(grid, 0, 'Model', self.model)
        grid.attach(self.info, 1, 1, 1, 1)
        self._row(grid, 2, 'Scheduler', self.scheduler)
        row = 3
        self.lora = self.embedding = None
        if 'loras' in shown and caps.get('loras'):
            self.lora = Gtk.ComboBoxText()
            self.weight = Gtk.SpinButton.new_with_range(-10, 10, 0.05)
            self.weight.set_value(models.DEFAULT_LORA_WEIGHT)
            add = Gtk.Button(label='Add LoRA')
            add.connect('clicked', lambda *_: self._add_lora())
            self._row(grid, row, 'LoRA', self._hbox(self.lora, self.weight, add))
            row += 1
        if caps.get('embeddings') and ('prompt' in shown or 'negative' in shown):
            self.embedding = Gtk.ComboBoxText()
            buttons = []
            for target, text in (('prompt', 'Add to prompt'), ('negative', 'Add to negative')):
                if target in shown:
                    b = Gtk.Button(label=text)
                    b.connect('clicked', lambda _b, t=target: self._insert(t))
                    buttons.append(b)
            self._row(grid, row, 'Embedding', self._hbox(self.embedding, *buttons))
        self.model.set_active_id(config.get_property('model') or '')
        if self.model.get_active_id() is None:
            self.model.set_active_id('')
        self.scheduler.set_active_id(config.get_property('scheduler') or '')
        if self.scheduler.get_active_id() is None:
            self.scheduler.set_active_id('')
        self._fill_extras()
        self.model.connect('changed', lambda *_: self._picked())
        self.scheduler.connect('changed', lambda *_: config.set_property('scheduler', self.scheduler.get_active_id() or ''))
        dialog.get_content_area().pack_start(grid, False, False, 0)
        grid.show_all()

    def _row(self, grid, row, text, widget):
        label = self.Gtk.Label(label=text, xalign=0)
        grid.attach(label, 0, row, 1, 1)
        widget.set_hexpand(True)
        grid.attach(widget, 1, row, 1, 1)

    def _hbox(self, *widgets):
        box = self.Gtk.Box(spacing=4)
        for i, w in enumerate(widgets):
            box.pack_start(w, i == 0, i == 0, 0)
        return box

    def _current(self):
        wanted = self.model.get_active_id() or ''
        return next((m for m in self.caps.get('models', []) if m['name'] == wanted), None)

    def _picked(self):
        model = self._current()
        self.config.set_property('model', model['name'] if model else '')
        if model:
            for key, value in models.defaults_for(model, self.caps.get('schedulers', [])).items():
                self.config.set_property(key, value)
            self.scheduler.set_active_id(self.config.get_property('scheduler') or '')
        self._fill_extras()

    def _fill_extras(self):
        model = self._current()
        self.info.set_text(models.model_label(model) if model else '')
        for combo, items in ((self.lora, models.loras_for(model, self.caps.get('loras'))),
                             (self.embedding, models.embeddings_for(model, self.caps.get('embeddings')))):
            if combo is None:
                continue
            combo.remove_all()
            for item in items:
                combo.append(item['name'], item['name'])
            combo.set_active(0 if items else -1)

    def _add_lora(self):
        name = self.lora.get_active_id()
        if not name:
            return
        try:
            text = models.add_lora(self.config.get_property('loras'), name, round(self.weight.get_value(), 2))
        except BridgeClientError:
            text = '%s:%g' % (name, round(self.weight.get_value(), 2))  # the typed list was unreadable: start over
        self.config.set_property('loras', text)

    def _insert(self, target):
        word = self.embedding.get_active_id() if self.embedding else None
        if word:
            self.config.set_property(target, models.insert_word(self.config.get_property(target), word))
