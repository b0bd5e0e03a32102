"""Run functions of the procedures: read the document, run the job, paste the results."""

import os

import gi

gi.require_version('Gimp', '3.0')
from gi.repository import GLib, Gimp  # noqa: E402

from .. import plan, settings  # noqa: E402
from ..errors import BridgeClientError  # noqa: E402
from ..job import SourceImage, SourceMask, open_connection  # noqa: E402
from . import canvas, paste, procedures  # noqa: E402
from .preview import PreviewImage  # noqa: E402


def settings_path():
    return os.environ.get('LATENT_BRIDGE_SETTINGS_FILE') or os.path.join(Gimp.directory(), settings.SETTINGS_FILE)


def _ok(procedure):
    return procedure.new_return_values(Gimp.PDBStatusType.SUCCESS, GLib.Error())


def _failure(procedure, err):
    status = Gimp.PDBStatusType.CANCEL if err.code == 'cancelled' else Gimp.PDBStatusType.EXECUTION_ERROR
    if err.code in ('host_unsupported', 'invalid_field'):
        status = Gimp.PDBStatusType.CALLING_ERROR
    return procedure.new_return_values(status, GLib.Error.new_literal(GLib.quark_from_string('latent-bridge'),
                                                                      'latent-bridge: %s' % err, 0))


def _dialog(procedure, config, title_id):
    gi.require_version('GimpUi', '3.0')
    from gi.repository import GimpUi
    GimpUi.init(title_id)
    dialog = GimpUi.ProcedureDialog(procedure=procedure, config=config)
    dialog.fill(None)
    ok = dialog.run()
    dialog.destroy()
    return ok


class _Progress:
    """GIMP's progress bar following the job; pulses while queued or loading."""

    def __init__(self, text):
        Gimp.progress_init(text)
        self.total = None

    def step(self, step, total):
        self.total = total
        Gimp.progress_update(min(1.0, step / float(total)))

    def poll(self):
        if self.total is None:
            Gimp.progress_pulse()

    def end(self):
        Gimp.progress_end()


def _options(config, names):
    return {n: config.get_property(n) for n in names}


def _params(opts, conn, mode):
    model = conn.pick_model(mode, (opts['model'] or '').strip())
    fields = {
        'mode': mode, 'model': model['name'], 'prompt': opts['prompt'] or '', 'negative': opts['negative'] or '',
        'steps': opts['steps'], 'guidance': opts['guidance'],
        'scheduler': conn.pick_scheduler((opts['scheduler'] or '').strip()), 'batch': opts['batch'],
    }
    if opts['seed'] >= 0:
        fields['seed'] = opts['seed']
    if 'strength' in opts and mode != 'txt2img':
        fields['strength'] = opts['strength']
    return model, fields


COMMON = ('prompt', 'negative', 'model', 'steps', 'guidance', 'scheduler', 'seed', 'batch', 'preview', 'timeout')
EXTRA = {'txt2img': ('area',), 'img2img': ('strength', 'area', 'source'),
         'inpaint': ('strength', 'grow', 'feather', 'padding', 'source'),
         'outpaint': ('strength', 'left', 'top', 'right', 'bottom', 'fill', 'source')}


class _Request:
    """What a run takes from the document, read before connecting so bad input fails fast."""

    def __init__(self, mode, image, drawables, opts):
        canvas.check_document(image)
        self.size = (image.get_width(), image.get_height())
        layer = canvas.source_drawable(image, drawables, opts.get('source') == 'layer')
        selection = canvas.selection_box(image)
        self.src = self.mask = self.expand = self.selection = None
        if mode == 'inpaint':
            if selection is None:
                raise BridgeClientError('host_unsupported', 'Inpaint needs a selection: select the area to redraw.')
            self.box = plan.pad_and_clamp(selection, opts['padding'], self.size[0], self.size[1])
            self.selection = canvas.read_selection(image, self.box)
            self.mask = SourceMask(self.box[2], self.box[3], self.selection)
        elif mode == 'outpaint':
            self.box = canvas.canvas_box(image)
            self.expand = plan.check_expand(opts['left'], opts['top'], opts['right'], opts['bottom'])
        elif selection is not None and opts['area'] == 'selection':
            self.box = selection
            self.selection = canvas.read_selection(image, self.box)
        else:
            self.box = canvas.canvas_box(image)
        if mode != 'txt2img':
            self.src = SourceImage(self.box[2], self.box[3], canvas.read_rgba(image, self.box, layer))


def _generate_fields(mode, opts, req, conn):
    model, fields = _params(opts, conn, mode)
    if mode == 'txt2img':
        fields['width'], fields['height'] = plan.generation_size(
            req.box[2], req.box[3], model['nativeSize'], conn.capabilities['limits']['maxPixels'])
    elif mode == 'inpaint':
        fields.update(grow=opts['grow'], feather=opts['feather'], padding=opts['padding'])
    elif mode == 'outpaint':
        fields.update(expand=req.expand, fill=opts['fill'])
    return model, fields


def _paste(mode, image, req, results, prompt):
    if mode == 'outpaint':
        paste.paste_outpaint(image, results, req.expand, prompt, req.size)
        return
    if mode != 'txt2img':
        for r in results:
            if (r.width, r.height) != (req.box[2], req.box[3]):
                raise BridgeClientError('image_invalid', 'The bridge sent a %dx%d result for a %dx%d source.'
                                        % (r.width, r.height, req.box[2], req.box[3]))
    paste.paste_results(image, results, req.box, prompt, req.selection, req.size)


def run_image(procedure, run_mode, image, drawables, config, _data):
    name = procedure.get_name()
    mode = procedures.MODES[name]
    if run_mode == Gimp.RunMode.INTERACTIVE and not _dialog(procedure, config, name):
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    progress = None
    previews = PreviewImage('latent-bridge preview', show_display=run_mode == Gimp.RunMode.INTERACTIVE)
    try:
        opts = _options(config, COMMON + EXTRA[mode])
        req = _Request(mode, image, drawables, opts)
        url, token = settings.resolve(settings_path())
        progress = _Progress('latent-bridge: connecting to %s' % url)
        with open_connection(url, token) as conn:
            model, fields = _generate_fields(mode, opts, req, conn)
            if opts['preview']:
                fields.update(preview={'every': max(1, opts['steps'] // 10)}, previewFormat='raw-rgba')
            Gimp.progress_set_text('latent-bridge: %s with %s' % (mode, model['name']))
            results = conn.run_job(fields, req.src, req.mask, on_progress=progress.step, on_poll=progress.poll,
                                   timeout=opts['timeout'] or None,
                                   on_preview=previews.show if opts['preview'] else None)
        previews.close()
        _paste(mode, image, req, results, opts['prompt'])
    except BridgeClientError as err:
        # GIMP shows the returned error itself (a dialog when interactive, stderr in batch mode).
        return _failure(procedure, err)
    finally:
        previews.close()
        if progress is not None:
            progress.end()
    return _ok(procedure)


def run_settings(procedure, config, _data):
    run_mode = config.get_property('run-mode') if config.find_property('run-mode') else Gimp.RunMode.NONINTERACTIVE
    if run_mode == Gimp.RunMode.INTERACTIVE and not _dialog(procedure, config, procedure.get_name()):
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    url = settings.normalize_url(config.get_property('url'))
    token = (config.get_property('token') or '').strip()
    settings.save_settings_file(settings_path(), url, token)
    if not config.get_property('test'):
        return _ok(procedure)
    try:
        resolved_url, resolved_token = settings.resolve(settings_path())
        with open_connection(resolved_url, resolved_token) as conn:
            names = ', '.join(m['name'] for m in conn.capabilities['models']) or 'no models yet'
            Gimp.message('latent-bridge: connected to %s at %s (models: %s).' % (conn.server, resolved_url, names))
    except BridgeClientError as err:
        return _failure(procedure, err)
    return _ok(procedure)
