"""Run functions of the procedures: read the document, run the job, paste the results."""

import os

import gi

gi.require_version('Gimp', '3.0')
from gi.repository import GLib, Gimp  # noqa: E402

from .. import fields, plan, settings  # noqa: E402
from ..errors import BridgeClientError  # noqa: E402
from ..job import SourceImage, SourceMask, open_connection  # noqa: E402
from . import canvas, paste, procedures  # noqa: E402
from .preview import NullPreview, PreviewWindow  # noqa: E402
from .trace import trace  # noqa: E402
from .dialog import run_dialog, save_capabilities  # noqa: E402


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


class _Progress:
    """GIMP's progress bar following the job; pulses while queued or loading."""

    def __init__(self, text):
        Gimp.progress_init(text)
        self.total = None

    def step(self, step, total, window=None):
        self.total = total
        Gimp.progress_update(min(1.0, step / float(total)))
        if window is not None:
            window.progress(step, total)

    def poll(self, window=None):
        if self.total is None:
            Gimp.progress_pulse()
        if window is not None:
            window.pump()

    def end(self):
        Gimp.progress_end()


def _options(config, names):
    return {n: config.get_property(n) for n in names}


COMMON = ('negative', 'model', 'steps', 'guidance', 'scheduler', 'loras', 'seed', 'preview', 'timeout')
VARIATION = ('variation-seed', 'variation-strength', 'mix-mode')
OPTIONS = {
    'txt2img': COMMON + ('prompt', 'batch', 'area') + VARIATION,
    'img2img': COMMON + ('prompt', 'batch', 'strength', 'area', 'source') + VARIATION,
    'inpaint': COMMON + ('prompt', 'batch', 'strength', 'grow', 'feather', 'padding', 'source') + VARIATION,
    'outpaint': COMMON + ('prompt', 'batch', 'strength', 'left', 'top', 'right', 'bottom', 'fill', 'source'),
    fields.ANIMATE: COMMON + ('prompt', 'to-prompt', 'to-seed', 'frames', 'chain-strength', 'frame-ms', 'area',
                              'target'),
    fields.PROMPT_LIST: COMMON + ('prompts', 'mix-mode', 'area'),
}


class _Request:
    """What a run takes from the document, read before connecting so bad input fails fast."""

    def __init__(self, kind, image, drawables, opts):
        mode = fields.mode_of(kind)
        canvas.check_document(image)
        if kind == fields.PROMPT_LIST:
            fields.prompt_lines(opts['prompts'])  # an empty list fails before connecting
        self.size = (image.get_width(), image.get_height())
        self.image, self.mode = image, mode
        self.layer = canvas.source_drawable(image, drawables, opts.get('source') == 'layer')
        selection = canvas.selection_box(image)
        self.src = self.mask = self.expand = self.selection = None
        if mode == 'inpaint':
            if selection is None:
                raise BridgeClientError('host_unsupported', 'Inpaint needs a selection: select the area to redraw.')
            self.box = plan.pad_and_clamp(selection, opts['padding'], self.size[0], self.size[1])
            self.selection = canvas.read_selection(image, self.box)
        elif mode == 'outpaint':
            self.box = canvas.canvas_box(image)
            self.expand = plan.check_expand(opts['left'], opts['top'], opts['right'], opts['bottom'])
        elif selection is not None and opts['area'] == 'selection':
            self.box = selection
            # Animation frames fill the selection's box: a mask would hide part of every frame.
            self.selection = canvas.read_selection(image, self.box) if kind != fields.ANIMATE else None
        else:
            self.box = canvas.canvas_box(image)

    def read_source(self, model, limits):
        """Pixels (and the inpaint mask) to send, at the model's working size: a big area is
        scaled down while reading (plan.source_size) and the results are scaled back up when
        pasted. Returns the status-bar note saying so, or None."""
        if self.mode == 'txt2img':
            return None
        w, h = self.box[2], self.box[3]
        # Outpaint results must cover the grown canvas pixel for pixel: sent as is.
        sent = (w, h) if self.mode == 'outpaint' else plan.source_size(w, h, model['nativeSize'], limits['maxPixels'])
        self.src = SourceImage(sent[0], sent[1], canvas.read_rgba(self.image, self.box, self.layer, sent))
        if self.mode == 'inpaint':
            gray = self.selection if sent == (w, h) else canvas.read_selection(self.image, self.box, sent)
            self.mask = SourceMask(sent[0], sent[1], gray)
        self.sent = sent
        trace('send_source', width=sent[0], height=sent[1])
        return plan.size_note(self.box, sent)


def _generate_fields(kind, opts, req, conn):
    mode = fields.mode_of(kind)
    model = conn.pick_model(mode, (opts['model'] or '').strip())
    scheduler = conn.pick_scheduler((opts['scheduler'] or '').strip())
    out = fields.generate_fields(kind, opts, model, scheduler, req.box, conn.capabilities['limits'])
    if mode == 'outpaint':
        out.update(expand=req.expand, fill=opts['fill'])
    return model, out


def _result_counter(kind, sent):
    """Progress text as an animation's frames or a list's images arrive (they come one by one)."""
    if kind not in fields.SEQUENCE_KINDS:
        return None
    total = sent['animation']['frames'] if kind == fields.ANIMATE else len(sent['prompts'])
    what = 'frame' if kind == fields.ANIMATE else 'image'
    return lambda r: Gimp.progress_set_text('latent-bridge: %s %d of %d received' % (what, r.index + 1, total))


def _check_sizes(results, sent):
    for r in results:
        if (r.width, r.height) != tuple(sent):
            raise BridgeClientError('image_invalid', 'The bridge sent a %dx%d result for a %dx%d source.'
                                    % (r.width, r.height, sent[0], sent[1]))


def _paste(kind, image, req, results, opts, sent, interactive=False):
    if kind == 'outpaint':
        paste.paste_outpaint(image, results, req.expand, opts['prompt'], req.size)
    elif kind == fields.ANIMATE:
        frames = sent['animation']['frames']
        plan.check_sequence(results, frames, 'frames')
        names = [plan.frame_layer_name(r.index, frames, opts['frame-ms']) for r in results]
        if opts['target'] == 'image':
            paste.frames_image(results, names, req.box[2:], interactive)
            return
        group = plan.animation_group_name(opts['prompt'], opts['to-prompt'], frames)
        paste.paste_named(image, results, req.box, names, group, None, req.size, frames=True)
    elif kind == fields.PROMPT_LIST:
        prompts = [entry['prompt'] for entry in sent['prompts']]
        plan.check_sequence(results, len(prompts), 'entries')
        names = [plan.layer_name(prompts[r.index], r.seed) for r in results]
        paste.paste_named(image, results, req.box, names, plan.prompt_list_group_name(prompts), req.selection,
                          req.size)
    else:
        if kind != 'txt2img':
            _check_sizes(results, req.sent)
        paste.paste_results(image, results, req.box, opts['prompt'], req.selection, req.size)


def run_image(procedure, run_mode, image, drawables, config, _data):
    name = procedure.get_name()
    kind = procedures.KINDS[name]
    interactive = run_mode == Gimp.RunMode.INTERACTIVE
    if interactive and not run_dialog(procedure, config, name):
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    progress = None
    previews = NullPreview()
    try:
        opts = _options(config, OPTIONS[kind])
        req = _Request(kind, image, drawables, opts)
        url, token = settings.resolve(settings_path())
        progress = _Progress('latent-bridge: connecting to %s' % url)
        with open_connection(url, token) as conn:
            save_capabilities(conn.capabilities)
            model, sent = _generate_fields(kind, opts, req, conn)
            note = req.read_source(model, conn.capabilities['limits'])
            if opts['preview']:
                sent.update(preview={'every': max(1, opts['steps'] // 10)}, previewFormat='raw-rgba')
            Gimp.progress_set_text('latent-bridge: %s with %s%s' % (kind, model['name'], '; ' + note if note else ''))
            if interactive:
                previews = PreviewWindow('latent-bridge: %s with %s' % (kind, model['name']))
            results = conn.run_job(sent, req.src, req.mask, on_progress=lambda s, t: progress.step(s, t, previews),
                                   on_poll=lambda: progress.poll(previews), should_cancel=lambda: previews.cancelled,
                                   timeout=opts['timeout'] or None,
                                   on_preview=previews.show if opts['preview'] else None,
                                   on_result=_result_counter(kind, sent))
        previews.close()
        _paste(kind, image, req, results, opts, sent, run_mode == Gimp.RunMode.INTERACTIVE)
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
    if run_mode == Gimp.RunMode.INTERACTIVE and not run_dialog(procedure, config, procedure.get_name()):
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


def run_import(procedure, config, _data):
    """Import Checkpoint: runs import-model on the bridge with a progress window (interactive)
    or GIMP's progress (batch), then reports the installed model's name."""
    run_mode = config.get_property('run-mode')
    interactive = run_mode == Gimp.RunMode.INTERACTIVE
    if interactive and not run_dialog(procedure, config, procedure.get_name()):
        return procedure.new_return_values(Gimp.PDBStatusType.CANCEL, GLib.Error())
    source = (config.get_property('checkpoint') or '').strip()
    name = (config.get_property('name') or '').strip() or None
    window = None
    progress = None
    try:
        if not source:
            raise BridgeClientError('invalid_field', 'Choose a checkpoint file to import.', 'checkpoint')
        url, token = settings.resolve(settings_path())
        progress = _Progress('latent-bridge: importing %s' % source)
        with open_connection(url, token) as conn:
            window = PreviewWindow('latent-bridge: importing %s' % source) if interactive else NullPreview()
            installed = conn.import_model(source, name, on_progress=lambda s, t: progress.step(s, t, window),
                                          on_poll=lambda: progress.poll(window),
                                          should_cancel=lambda: window.cancelled,
                                          timeout=config.get_property('timeout') or None)
            save_capabilities(conn.capabilities)
        Gimp.message('latent-bridge: %s is imported as model "%s".' % (source, installed))
    except BridgeClientError as err:
        return _failure(procedure, err)
    finally:
        if window is not None:
            window.close()
        if progress is not None:
            progress.end()
    return _ok(procedure)
