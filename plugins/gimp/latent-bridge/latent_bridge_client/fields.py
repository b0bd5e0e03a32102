"""From a procedure's options to the fields of one ``generate``: what each kind of run sends.
No GIMP here, so every choice is unit-tested; the host only reads the options and the document.

Kinds: the four modes (txt2img, img2img, inpaint, outpaint) plus two txt2img jobs with one result
per frame or entry: ``animate`` and ``prompt-list``."""

import random

from . import models, plan
from .errors import BridgeClientError

ANIMATE = 'animate'
PROMPT_LIST = 'prompt-list'
SEQUENCE_KINDS = (ANIMATE, PROMPT_LIST)
MIX_MODES = ('embeddings', 'noise')


def mode_of(kind):
    return 'txt2img' if kind in SEQUENCE_KINDS else kind


def variation(seed, strength, rng=random):
    """The ``variation`` field, or None when strength is 0 (off). A seed of -1 picks one here, so
    the value sent is the one a user can type back in to reproduce the run."""
    if strength is None or strength <= 0:
        return None
    if seed is None or seed < 0:
        seed = rng.randint(0, 2 ** 31 - 1)
    return {'seed': int(seed), 'strength': float(min(1.0, strength))}


def animation(frames, to_prompt, to_seed, chain_strength):
    """The ``animation`` field: empty to-prompt and to-seed -1 mean "same as the start";
    chain strength 0 means no chaining (the protocol wants it strictly between 0 and 1)."""
    if frames < 2:
        raise BridgeClientError('invalid_field', 'An animation needs at least 2 frames.', 'animation.frames')
    out = {'frames': int(frames)}
    to_prompt = (to_prompt or '').strip()
    if to_prompt:
        out['toPrompt'] = to_prompt
    if to_seed is not None and to_seed >= 0:
        out['toSeed'] = int(to_seed)
    if chain_strength is not None and chain_strength > 0:
        if chain_strength >= 1:
            raise BridgeClientError('invalid_field', 'Chain strength must be below 1 (0 turns chaining off).',
                                    'animation.chainStrength')
        out['chainStrength'] = float(chain_strength)
    return out


def prompt_lines(text):
    """One prompt per non-blank line, surrounding spaces dropped; the prompt-list entries."""
    lines = [line.strip() for line in (text or '').splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise BridgeClientError('invalid_field', 'Write at least one prompt, one per line.', 'prompts')
    return lines


def check_result_count(count, limits, field):
    """Fail before connecting jobs when the server would refuse them anyway."""
    most = limits.get('maxResults')
    if most is not None and count > most:
        raise BridgeClientError('limit_exceeded', '%d results is over this bridge\'s limit of %d.' % (count, most),
                                field)


def generate_fields(kind, opts, model, scheduler, box, limits):
    """The generate fields (without id, frames and preview) for ``kind`` from ``opts`` (the
    procedure's option values by name), the chosen ``model`` summary and ``scheduler``, the
    document ``box`` (x, y, w, h) and the server's ``limits``."""
    mode = mode_of(kind)
    fields = {'mode': mode, 'model': model['name'], 'prompt': opts.get('prompt') or '',
              'negative': opts.get('negative') or '', 'steps': opts['steps'], 'guidance': opts['guidance'],
              'scheduler': scheduler, 'batch': 1 if kind in SEQUENCE_KINDS else opts['batch']}
    if opts['seed'] >= 0:
        fields['seed'] = opts['seed']
    loras = models.parse_loras(opts.get('loras'))
    if loras:
        fields['loras'] = loras
    if 'strength' in opts and mode != 'txt2img':
        fields['strength'] = opts['strength']
    if 'mix-mode' in opts:
        fields['mixMode'] = opts['mix-mode']
    if 'variation-strength' in opts:
        fields['variation'] = variation(opts.get('variation-seed'), opts['variation-strength'])
    if mode == 'txt2img':
        fields['width'], fields['height'] = plan.generation_size(box[2], box[3], model['nativeSize'],
                                                                 limits['maxPixels'],
                                                                 model.get('sizeMultiple', 8))
    elif mode == 'inpaint':
        fields.update(grow=opts['grow'], feather=opts['feather'], padding=opts['padding'])
    if kind == ANIMATE:
        fields['animation'] = animation(opts['frames'], opts.get('to-prompt'), opts.get('to-seed'),
                                        opts.get('chain-strength'))
        check_result_count(fields['animation']['frames'], limits, 'animation.frames')
    elif kind == PROMPT_LIST:
        lines = prompt_lines(opts.get('prompts'))
        check_result_count(len(lines), limits, 'prompts')
        fields['prompt'] = ''
        fields['prompts'] = [{'prompt': line} for line in lines]
    return {k: v for k, v in fields.items() if v is not None}
