"""Messages of the shared protocol (shared/PROTOCOL.md): builders for what the plug-in sends and a
validating parser for what the server sends. Server messages drop unknown fields, as the protocol
asks, so a newer server can add informative fields without breaking this client."""

import json
import re

from . import CLIENT_NAME, CLIENT_VERSION, PROTOCOL_VERSION
from .errors import BridgeClientError

MAX_SAFE_INTEGER = 2 ** 53 - 1
JOB_ID_RE = re.compile(r'^[A-Za-z0-9._:-]{1,64}$')
SHORT_HASH_RE = re.compile(r'^[0-9a-f]{10}$')
ERROR_CODES = frozenset((
    'invalid_field', 'limit_exceeded', 'model_not_found', 'model_invalid', 'model_load_failed',
    'tensor_mismatch', 'execution_provider_unavailable', 'inference_failed', 'tokenizer_invalid',
    'unknown_scheduler', 'scheduler_config_invalid', 'prompt_syntax', 'checkpoint_invalid', 'checkpoint_unsafe',
    'checkpoint_unsupported', 'import_failed', 'download_failed',
    'download_not_found', 'download_size_mismatch', 'image_invalid', 'mask_invalid', 'protocol_version',
    'malformed_message', 'unknown_message_type', 'frame_invalid', 'frame_missing', 'hello_required',
    'unauthorized', 'forbidden_origin', 'job_not_found', 'queue_full', 'cancelled', 'shutting_down',
    'host_unsupported', 'document_changed', 'bridge_unreachable', 'internal'))
LIMIT_NAMES = ('maxPixels', 'maxBatch', 'maxSteps', 'maxMessageBytes', 'maxQueuePerClient', 'maxPromptChars',
               'maxFrameBytes', 'maxPendingFrames', 'frameTtlMs', 'maxResults')


class _Invalid(Exception):
    def __init__(self, field, message, code='invalid_field'):
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code


def _path(base, name):
    return name if not base else '%s.%s' % (base, name)


def _int(value, field, minimum=0, maximum=MAX_SAFE_INTEGER):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            isinstance(value, float) and not value.is_integer()):
        raise _Invalid(field, '%s: must be an integer' % field)
    value = int(value)
    if value < minimum:
        raise _Invalid(field, '%s: must be at least %d' % (field, minimum))
    if value > maximum:
        raise _Invalid(field, '%s: must be at most %d' % (field, maximum))
    return value


def _str(value, field, min_length=0):
    if not isinstance(value, str):
        raise _Invalid(field, '%s: must be a string' % field)
    if len(value) < min_length:
        raise _Invalid(field, '%s: must not be empty' % field)
    return value


def _bool(value, field):
    if not isinstance(value, bool):
        raise _Invalid(field, '%s: must be a boolean' % field)
    return value


def _job_id(value, field):
    if not isinstance(value, str) or not JOB_ID_RE.match(value):
        raise _Invalid(field, '%s: must be 1-64 characters of A-Z a-z 0-9 . _ : -' % field)
    return value


def _enum(values):
    def check(value, field):
        if not isinstance(value, str) or value not in values:
            raise _Invalid(field, '%s: is not one of the known values' % field)
        return value
    return check


def _object(spec):
    """Checker for an object: spec is [(name, checker, required)], unknown fields dropped."""
    def check(value, field):
        if not isinstance(value, dict):
            raise _Invalid(field or None, '%s: must be an object' % (field or 'message'))
        out = {}
        for name, checker, required in spec:
            path = _path(field, name)
            if name not in value:
                if required:
                    raise _Invalid(path, '%s: is required' % path)
                continue
            out[name] = checker(value[name], path)
        return out
    return check


def _array(item):
    def check(value, field):
        if not isinstance(value, list):
            raise _Invalid(field, '%s: must be an array' % field)
        return [item(v, '%s[%d]' % (field, i)) for i, v in enumerate(value)]
    return check


def _nullable_str(value, field):
    return None if value is None else _str(value, field)


def _timings(value, field):
    if not isinstance(value, dict):
        raise _Invalid(field, '%s: must be an object' % field)
    out = {}
    for name, ms in value.items():
        path = _path(field, name)
        if isinstance(ms, bool) or not isinstance(ms, (int, float)):
            raise _Invalid(path, '%s: must be a number' % path)
        if ms < 0:
            raise _Invalid(path, '%s: must be at least 0' % path)
        out[name] = ms
    return out


def _ge(minimum):
    return lambda v, f: _int(v, f, minimum)


_u32 = lambda v, f: _int(v, f, 0, 0xFFFFFFFF)  # noqa: E731
_nonempty = lambda v, f: _str(v, f, 1)  # noqa: E731

MODEL_FAMILIES = ('sd1', 'sd2', 'sdxl')
_family = _enum(MODEL_FAMILIES)
_SIZE = _object([('width', _ge(1), True), ('height', _ge(1), True)])


def _number(minimum):
    def check(value, field):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _Invalid(field, '%s: must be a number' % field)
        if value < minimum:
            raise _Invalid(field, '%s: must be at least %s' % (field, minimum))
        return value
    return check


def _short_hash(value, field):
    if not isinstance(value, str) or not SHORT_HASH_RE.match(value):
        raise _Invalid(field, '%s: must be 10 hex digits' % field)
    return value


def _bounded_array(item, maximum):
    whole = _array(item)

    def check(value, field):
        if isinstance(value, list) and len(value) > maximum:
            raise _Invalid(field, '%s: must have at most %d items' % (field, maximum))
        return whole(value, field)
    return check


MODEL_DEFAULTS = _object([('steps', _ge(1), True), ('guidance', _number(0), True),
                          ('scheduler', _nonempty, True), ('width', _ge(1), True), ('height', _ge(1), True)])
MODEL_SUMMARY = _object([('name', _nonempty, True), ('nativeSize', _ge(64), True),
                         ('inpainting', _bool, True), ('img2img', _bool, True),
                         ('sizeMultiple', lambda v, f: _int(v, f, 8, 512), False),
                         ('family', _family, False),
                         ('prediction', _enum(('epsilon', 'v_prediction')), False),
                         ('defaults', MODEL_DEFAULTS, False),
                         ('sizes', _bounded_array(_SIZE, 64), False),
                         ('hash', _short_hash, False)])
LORA_SUMMARY = _object([('name', _nonempty, True), ('family', _family, False), ('alias', _nonempty, False)])
EMBEDDING_SUMMARY = _object([('name', _nonempty, True), ('family', _family, False), ('vectors', _ge(1), True)])
CHECKPOINT_SUMMARY = _object([('name', _nonempty, True), ('bytes', _ge(0), True), ('imported', _nonempty, False)])
# Wave-2 lists: optional, absent from older bridges.
_ASSET_LISTS = [('loras', _array(LORA_SUMMARY), False), ('embeddings', _array(EMBEDDING_SUMMARY), False),
                ('checkpoints', _array(CHECKPOINT_SUMMARY), False)]
LIMITS = _object([(name, _ge(0 if name == 'maxPendingFrames' else 1), True) for name in LIMIT_NAMES])
_ID = ('id', _job_id, True)

SERVER_MESSAGES = {
    'welcome': _object([('server', _nonempty, True), ('protocol', _ge(1), True),
                        ('capabilities', _object([('models', _array(MODEL_SUMMARY), True),
                                                  ('schedulers', _array(_nonempty), True),
                                                  ('limits', LIMITS, True)] + _ASSET_LISTS), True)]),
    'queued': _object([_ID, ('position', _ge(0), True)]),
    'started': _object([_ID]),
    'progress': _object([_ID, ('step', _ge(0), True), ('total', _ge(1), True),
                         ('phase', _enum(('denoise', 'import')), False), ('etaMs', _ge(0), False)]),
    'preview': _object([_ID, ('index', _ge(0), True), ('frame', _u32, True), ('width', _ge(1), True),
                        ('height', _ge(1), True), ('step', _ge(0), True)]),
    'result': _object([_ID, ('index', _ge(0), True), ('frame', _u32, True), ('width', _ge(1), True),
                       ('height', _ge(1), True), ('seed', _ge(0), True), ('parameters', _str, True)]),
    'error': _object([('id', _job_id, False), ('code', _enum(ERROR_CODES), True), ('message', _str, True),
                      ('field', _str, False)]),
    'cancelled': _object([_ID]),
    'done': _object([_ID, ('results', _ge(0), True), ('timings', _timings, True), ('model', _nonempty, False),
                     ('warnings', _bounded_array(_str, 64), False)]),
    'models': _object([('models', _array(MODEL_SUMMARY), True)] + _ASSET_LISTS),
    'status': _object([('state', _enum(('idle', 'busy', 'loading', 'stopping')), True),
                       ('queueLength', _ge(0), True),
                       ('jobs', _array(_object([_ID, ('state', _enum(('queued', 'running')), True),
                                                ('position', _ge(0), True)])), True),
                       ('loadedModel', _nullable_str, True), ('uptimeMs', _ge(0), True)]),
}


def parse_server_value(value):
    """Validate an already-decoded server message; returns it with unknown fields dropped."""
    try:
        if not isinstance(value, dict):
            raise _Invalid(None, 'Message must be a JSON object.', 'malformed_message')
        kind = value.get('type')
        if not isinstance(kind, str):
            raise _Invalid('type', 'Message has no string "type".', 'malformed_message')
        check = SERVER_MESSAGES.get(kind)
        if check is None:
            raise _Invalid('type', 'Unknown server message type "%s".' % kind, 'unknown_message_type')
        parsed = check(value, '')
        if kind == 'progress' and parsed['step'] > parsed['total']:
            raise _Invalid('step', 'step: must not be more than total')
    except _Invalid as e:
        raise BridgeClientError(e.code, 'The bridge sent a bad message: %s' % e.message, e.field) from None
    out = {'type': kind}
    out.update(parsed)
    return out


def parse_server_message(text):
    try:
        value = json.loads(text)
    except ValueError:
        raise BridgeClientError('malformed_message', 'The bridge sent a message that is not JSON.') from None
    return parse_server_value(value)


def hello(token=None):
    msg = {'type': 'hello', 'protocol': PROTOCOL_VERSION, 'client': '%s/%s' % (CLIENT_NAME, CLIENT_VERSION)}
    if token:
        msg['token'] = token
    return msg


def cancel(job_id):
    return {'type': 'cancel', 'id': job_id}


GENERATE_FIELDS = ('mode', 'model', 'prompt', 'negative', 'steps', 'guidance', 'scheduler', 'seed', 'strength',
                   'width', 'height', 'batch', 'image', 'mask', 'grow', 'feather', 'padding', 'expand', 'fill',
                   'preview', 'resultFormat', 'previewFormat', 'variation', 'seedResizeFrom', 'mixMode', 'animation', 'prompts',
                   'loras')


def generate(job_id, **fields):
    """A generate message; fields left as None are left out so the server fills its defaults."""
    unknown = set(fields) - set(GENERATE_FIELDS)
    if unknown:
        raise ValueError('unknown generate fields: %s' % ', '.join(sorted(unknown)))
    msg = {'type': 'generate', 'id': job_id}
    for name in GENERATE_FIELDS:
        if fields.get(name) is not None:
            msg[name] = fields[name]
    return msg


def import_model(job_id, source, name=None):
    """Ask the bridge to import a checkpoint file from its checkpoints folder (a queued job)."""
    msg = {'type': 'import-model', 'id': job_id, 'source': source}
    if name:
        msg['name'] = name
    return msg


def dumps(msg):
    return json.dumps(msg, separators=(',', ':'), ensure_ascii=False)
