"""Model-aware choices for the dialogs, from the bridge's capabilities: labels with family and
size, the fields a model pre-fills, LoRAs and embeddings that fit it, the ``loras`` text a user
edits ("name:weight, ..."). No GIMP here: unit-tested."""

from .errors import BridgeClientError

FAMILY_NAMES = {'sd1': 'SD 1.x', 'sd2': 'SD 2.x', 'sdxl': 'SDXL'}
DEFAULT_LORA_WEIGHT = 0.8
MAX_LORAS = 16


def model_size(model):
    d = model.get('defaults')
    return (d['width'], d['height']) if d else (model['nativeSize'], model['nativeSize'])


def model_label(model):
    """'sdxl-base · SDXL · 1024x1024': what the Model chooser shows."""
    w, h = model_size(model)
    parts = [model['name']]
    if model.get('family'):
        parts.append(FAMILY_NAMES.get(model['family'], model['family']))
    parts.append('%dx%d' % (w, h))
    if model.get('inpainting'):
        parts.append('inpainting')
    return ' \u00b7 '.join(parts)


def defaults_for(model, schedulers):
    """Config values picking ``model`` pre-fills: steps, guidance and scheduler from its
    ``defaults`` (the scheduler only when the bridge offers it); {} for a model without."""
    d = model.get('defaults')
    if not d:
        return {}
    out = {'steps': int(d['steps']), 'guidance': float(d['guidance'])}
    if d['scheduler'] in schedulers:
        out['scheduler'] = d['scheduler']
    return out


def _fits(model, item):
    return not model or not model.get('family') or not item.get('family') or item['family'] == model['family']


def loras_for(model, loras):
    return [lora for lora in (loras or []) if _fits(model, lora)]


def embeddings_for(model, embeddings):
    return [e for e in (embeddings or []) if _fits(model, e)]


def parse_loras(text):
    """'film-grain:0.6, detail' -> [{'name': 'film-grain', 'weight': 0.6}, {'name': 'detail', 'weight': 0.8}]
    (generate.loras); a clear invalid_field error naming the entry otherwise."""
    out = []
    for n, part in enumerate(p.strip() for p in (text or '').replace('\n', ',').split(',')):
        if not part:
            continue
        name, sep, weight = part.rpartition(':') if ':' in part else (part, '', '')
        name = name.strip()
        if not name:
            raise BridgeClientError('invalid_field', 'LoRA entry "%s" has no name; write name:weight.' % part,
                                    'loras.%d.name' % n)
        try:
            w = float(weight) if sep else DEFAULT_LORA_WEIGHT
        except ValueError:
            raise BridgeClientError('invalid_field', 'LoRA "%s": the weight "%s" is not a number.' % (name, weight),
                                    'loras.%d.weight' % n) from None
        if not -10 <= w <= 10:
            raise BridgeClientError('invalid_field', 'LoRA "%s": the weight must be between -10 and 10.' % name,
                                    'loras.%d.weight' % n)
        out = [e for e in out if e['name'] != name] + [{'name': name, 'weight': w}]
    if len(out) > MAX_LORAS:
        raise BridgeClientError('limit_exceeded', 'At most %d LoRAs can be applied at once.' % MAX_LORAS, 'loras')
    return out


def add_lora(text, name, weight=DEFAULT_LORA_WEIGHT):
    """The ``loras`` text with ``name`` added (or its weight changed)."""
    entries = [e for e in parse_loras(text) if e['name'] != name] + [{'name': name, 'weight': weight}]
    return ', '.join('%s:%g' % (e['name'], e['weight']) for e in entries)


def insert_word(prompt, word):
    """The prompt with an embedding's trigger word appended, comma separated."""
    text = (prompt or '').rstrip()
    if not text:
        return word
    return '%s %s' % (text, word) if text.endswith((',', '(')) else '%s, %s' % (text, word)


def checkpoint_label(checkpoint):
    gb = checkpoint['bytes'] / 1e9
    size = '%.1f GB' % gb if gb >= 1 else '%d MB' % round(checkpoint['bytes'] / 1e6)
    label = '%s \u00b7 %s' % (checkpoint['name'], size)
    return label + (' \u00b7 imported as %s' % checkpoint['imported'] if checkpoint.get('imported') else '')
