"""Procedure definitions: names, menu entries and arguments (GIMP stores the last values of
every argument per procedure, which is what makes the dialogs remember between runs)."""

import gi

gi.require_version('Gimp', '3.0')
from gi.repository import GObject, Gimp  # noqa: E402

from .. import mnemonics  # noqa: E402

RW = GObject.ParamFlags.READWRITE
MENU = '<Image>/Filters/latent-bridge'
PREFIX = 'latent-bridge-'

GENERATE = PREFIX + 'generate'
IMG2IMG = PREFIX + 'img2img'
INPAINT = PREFIX + 'inpaint'
OUTPAINT = PREFIX + 'outpaint'
ANIMATE = PREFIX + 'animate'
PROMPT_LIST = PREFIX + 'prompt-list'
SETTINGS = PREFIX + 'settings'
IMPORT = PREFIX + 'import'

# What each procedure runs: a generate mode, or a txt2img job with one result per frame or entry.
KINDS = {GENERATE: 'txt2img', IMG2IMG: 'img2img', INPAINT: 'inpaint', OUTPAINT: 'outpaint', ANIMATE: 'animate',
         PROMPT_LIST: 'prompt-list'}
IMAGE_PROCEDURES = (GENERATE, IMG2IMG, INPAINT, OUTPAINT, ANIMATE, PROMPT_LIST)

_DOCS = {
    GENERATE: ('_Generate...', 'Generate an image from a prompt',
               'Generates into the selection (masked by it) or over the whole canvas, as new layers.'),
    IMG2IMG: ('_Image to Image...', 'Redraw the selection or the canvas from a prompt',
              'Sends the visible pixels of the selection (or canvas) and pastes the results as new layers.'),
    INPAINT: ('_Inpaint Selection...', 'Regenerate the selected area from a prompt',
              'Sends the padded selection area and its soft mask; results become new layers masked by the '
              'selection.'),
    OUTPAINT: ('_Expand Canvas...', 'Grow the canvas and fill the new area from a prompt',
               'Enlarges the canvas on the chosen sides and adds the results as new layers.'),
    ANIMATE: ('_Animate...', 'Frames moving from one prompt and seed to another',
              'Generates the frames over the selection box (or the canvas) as layers in a new layer group, '
              'bottom to top in frame order with their durations in the names, as Filters > Animation plays them.'),
    PROMPT_LIST: ('_Prompt List...', 'One image per line of a list of prompts',
                  'Generates one layer per prompt (one per line) into the selection or over the canvas, in a '
                  'new layer group.'),
    IMPORT: ('Import _Checkpoint...', 'Install a checkpoint from the bridge\'s checkpoints folder',
             'Imports a .safetensors or .ckpt file from the checkpoints folder of the bridge as a model, with progress.'),
    SETTINGS: ('_Settings...', 'Set the latent-bridge server address and token',
               'Stored in the GIMP profile; LATENT_BRIDGE_URL and LATENT_BRIDGE_TOKEN take precedence.'),
}


def _choice(*items):
    choice = Gimp.Choice.new()
    for i, (nick, label) in enumerate(items):
        choice.add(nick, i, label, '')
    return choice


def _model_arguments(p):
    p.add_string_argument('model', '_Model', 'Model name on the bridge; empty picks one for the task', '', RW)
    p.add_int_argument('steps', '_Steps', 'Denoising steps', 1, 150, 20, RW)
    p.add_double_argument('guidance', '_Guidance', 'Classifier-free guidance scale', 0.0, 50.0, 7.0, RW)
    p.add_string_argument('scheduler', 'Sc_heduler', 'Scheduler name; empty picks euler_a or the first offered',
                          '', RW)
    p.add_string_argument('loras', '_LoRAs', 'LoRAs to apply as name:weight, comma separated (weights -10 to 10)',
                          '', RW)


def _mix_argument(p):
    p.add_choice_argument('mix-mode', 'Mi_x mode', 'How a mixed prompt "a :0.7 | b :0.3" combines',
                          _choice(('embeddings', 'Blend the text embeddings'),
                                  ('noise', 'Combine the noise predictions')), 'embeddings', RW)


def _common_arguments(p, strength=None, variation=True):
    p.add_string_argument('prompt', '_Prompt', 'What to draw', '', RW)
    p.add_string_argument('negative', '_Negative prompt', 'What to avoid', '', RW)
    _model_arguments(p)
    p.add_int_argument('seed', 'S_eed', 'Seed; -1 picks a random one', -1, 2147483647, -1, RW)
    if variation:
        p.add_int_argument('variation-seed', '_Variation seed', 'Seed whose noise is blended in; -1 picks one',
                           -1, 2147483647, -1, RW)
        p.add_double_argument('variation-strength', 'Variation stren_gth',
                              'How far towards the variation seed (0 off, 1 all the way)', 0.0, 1.0, 0.0, RW)
        _mix_argument(p)
    if strength is not None:
        p.add_double_argument('strength', 'S_trength', 'How much to change (0 keeps, 1 redraws)', 0.0, 1.0,
                              strength, RW)
    p.add_int_argument('batch', '_Batch', 'Images to make; more than one go in a layer group', 1, 8, 1, RW)
    _preview_argument(p)


def _preview_argument(p):
    p.add_boolean_argument('preview', 'Show pre_views', 'Show the image taking shape in a preview window', True, RW)


def _area_argument(p, blurb):
    p.add_choice_argument('area', '_Area', blurb,
                          _choice(('selection', 'Selection (canvas when none)'), ('canvas', 'Whole canvas')),
                          'selection', RW)


def _animate_arguments(p):
    p.add_string_argument('prompt', '_Prompt', 'The first frame\'s prompt', '', RW)
    p.add_string_argument('to-prompt', '_To prompt', 'The last frame\'s prompt; empty keeps the prompt', '', RW)
    p.add_string_argument('negative', '_Negative prompt', 'What to avoid', '', RW)
    _model_arguments(p)
    p.add_int_argument('seed', 'S_eed', 'The first frame\'s seed; -1 picks a random one', -1, 2147483647, -1, RW)
    p.add_int_argument('to-seed', 'To s_eed', 'The last frame\'s seed; -1 keeps the seed', -1, 2147483647, -1, RW)
    p.add_int_argument('frames', '_Frames', 'Number of frames (the bridge\'s maxResults limits it)', 2, 1000, 8,
                       RW)
    p.add_double_argument('chain-strength', '_Chain strength', 'Each frame starts from the previous one through '
                          'image to image at this strength, for smoother motion; 0 turns it off', 0.0, 0.99, 0.0,
                          RW)
    p.add_int_argument('frame-ms', 'Frame _duration', 'Milliseconds each frame shows, written into the layer '
                       'names for Filters > Animation', 1, 60000, 100, RW)
    _preview_argument(p)
    _area_argument(p, 'The frames\' size and place')
    p.add_choice_argument('target', 'Put _frames in', 'Where the frames go',
                          _choice(('group', 'A layer group in this image'),
                                  ('image', 'A new image, ready for Filters > Animation > Playback')), 'group', RW)


def _prompt_list_arguments(p):
    p.add_string_argument('prompts', '_Prompts', 'One prompt per line; each gives one layer', '', RW)
    p.add_string_argument('negative', '_Negative prompt', 'What to avoid, for every prompt', '', RW)
    _model_arguments(p)
    p.add_int_argument('seed', 'S_eed', 'Seed for every prompt; -1 picks a random one', -1, 2147483647, -1, RW)
    _mix_argument(p)
    _preview_argument(p)
    _area_argument(p, 'Where the results go')


def _source_argument(p):
    p.add_choice_argument('source', 'Sou_rce', 'Pixels to send', _choice(('visible', 'Visible image'),
                                                                          ('layer', 'Selected layer')), 'visible', RW)


def _timeout_argument(p):
    p.add_int_argument('timeout', 'Time_out', 'Seconds before the job is cancelled; 0 waits forever', 0, 86400,
                       900, RW)


class _Arguments:
    """Collects a procedure's add_*_argument calls, then makes them with clash-free mnemonics."""

    def __init__(self, procedure):
        self.procedure = procedure
        self.calls = []

    def __getattr__(self, attr):
        if attr.startswith('add_') and attr.endswith('_argument'):
            return lambda name, label, *rest: self.calls.append((attr, name, label, rest))
        return getattr(self.procedure, attr)

    def flush(self):
        hidden = {i for i, call in enumerate(self.calls) if call[1] in HIDDEN_ARGUMENTS}
        labels = mnemonics.assign([call[2] for call in self.calls], skip=hidden)
        for (attr, name, _, rest), label in zip(self.calls, labels):
            getattr(self.procedure, attr)(name, label, *rest)
        return self.procedure


# Arguments the dialogs never show (the settings procedure's run mode is for scripts).
HIDDEN_ARGUMENTS = ('run-mode',)


def define(plugin, name, run_image, run_settings, run_import=None):
    if name == IMPORT:
        p = _Arguments(Gimp.Procedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run_import, None))
        p.add_enum_argument('run-mode', 'Run mode', 'The run mode', Gimp.RunMode, Gimp.RunMode.NONINTERACTIVE, RW)
        p.add_string_argument('checkpoint', 'Check_point', 'File name in the bridge\'s checkpoints folder', '', RW)
        p.add_string_argument('name', 'Install _as', 'Model name; empty: the file name without extension', '', RW)
        _timeout_argument(p)
    elif name == SETTINGS:
        p = _Arguments(Gimp.Procedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run_settings, None))
        p.add_enum_argument('run-mode', 'Run mode', 'The run mode', Gimp.RunMode, Gimp.RunMode.NONINTERACTIVE, RW)
        p.add_string_argument('url', 'Bridge _address', 'WebSocket address of the bridge',
                              'ws://127.0.0.1:7450/ws', RW)
        p.add_string_argument('token', '_Token', 'The bridge token ("latent-bridge token" prints it); empty: '
                              'read the bridge\'s token file', '', RW)
        p.add_boolean_argument('test', 'Test the _connection', 'Connect once and report the models', True, RW)
    else:
        p = _Arguments(Gimp.ImageProcedure.new(plugin, name, Gimp.PDBProcType.PLUGIN, run_image, None))
        p.set_image_types('*')
        p.set_sensitivity_mask(Gimp.ProcedureSensitivityMask.DRAWABLE | Gimp.ProcedureSensitivityMask.DRAWABLES
                               | Gimp.ProcedureSensitivityMask.NO_DRAWABLES)
        if name == GENERATE:
            _common_arguments(p)
            _area_argument(p, 'Where the result goes')
        elif name == IMG2IMG:
            _common_arguments(p, strength=0.6)
            _area_argument(p, 'Which part to redraw')
            _source_argument(p)
        elif name == INPAINT:
            _common_arguments(p, strength=1.0)
            p.add_int_argument('grow', 'G_row mask', 'Grow (negative: shrink) the mask, pixels', -256, 256, 0, RW)
            p.add_int_argument('feather', '_Feather', 'Blend width of the mask edge, pixels', 0, 256, 8, RW)
            p.add_int_argument('padding', 'Context pa_dding', 'Context sent around the selection, pixels', 0, 1024,
                               32, RW)
            _source_argument(p)
        elif name == OUTPAINT:
            _common_arguments(p, strength=1.0, variation=False)
            for side in ('left', 'top', 'right', 'bottom'):
                p.add_int_argument(side, 'Expand %s' % side, 'New canvas on the %s, pixels' % side, 0, 4096,
                                   128 if side == 'right' else 0, RW)
            p.add_choice_argument('fill', 'F_ill', 'How the new canvas starts',
                                  _choice(('edge', 'Stretch the edge'), ('noise', 'Noise')), 'edge', RW)
            _source_argument(p)
        elif name == ANIMATE:
            _animate_arguments(p)
        elif name == PROMPT_LIST:
            _prompt_list_arguments(p)
        _timeout_argument(p)
    p = p.flush()
    label, blurb, help_text = _DOCS[name]
    p.set_menu_label(label)
    p.add_menu_path(MENU)
    p.set_documentation(blurb, help_text, name)
    p.set_attribution('latent-bridge', 'latent-bridge contributors', '2025')
    return p
