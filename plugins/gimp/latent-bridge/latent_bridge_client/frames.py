"""LBF1 binary frames (shared/PROTOCOL.md, "Binary frames"): encode, and decode with the
protocol's validation order so a bad frame names the same field as the TypeScript decoder."""

import re
import struct
from collections import namedtuple

from .errors import BridgeClientError

MAGIC = b'LBF1'
FRAME_VERSION = 1
FIXED_HEADER = 32
# magic, headerLength, version, kind, format, channels, bitDepth, flags,
# frameId, width, height, payloadLength, batchIndex, jobIdLength
_HEADER = struct.Struct('<4sHBBBBBBIIIIHH')

KINDS = {'image': 1, 'mask': 2, 'preview': 3, 'result': 4}
FORMATS = {'raw-rgba': 1, 'raw-gray': 2, 'png': 3, 'jpeg': 4}
_KIND_NAMES = {v: k for k, v in KINDS.items()}
_FORMAT_NAMES = {v: k for k, v in FORMATS.items()}
KIND_FORMATS = {
    'image': ('raw-rgba', 'png', 'jpeg'),
    'mask': ('raw-gray', 'png'),
    'preview': ('raw-rgba', 'png', 'jpeg'),
    'result': ('raw-rgba', 'png', 'jpeg'),
}
FORMAT_RULES = {
    'raw-rgba': ((4,), (8, 16)),
    'raw-gray': ((1,), (8, 16)),
    'png': ((1, 2, 3, 4), (8, 16)),
    'jpeg': ((1, 3), (8,)),
}
CLIENT_KINDS = ('image', 'mask')
SERVER_KINDS = ('preview', 'result')
DEFAULT_LIMITS = {'maxPixels': 4194304, 'maxFrameBytes': 67108864}
JOB_ID_RE = re.compile(r'^[A-Za-z0-9._:-]{1,64}$')
_PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

Frame = namedtuple('Frame', 'kind format width height channels bit_depth frame_id job_id batch_index payload')


def _fail(field, message):
    raise BridgeClientError('frame_invalid', 'Frame %s: %s' % (field, message), field)


def _is_raw(fmt):
    return fmt in ('raw-rgba', 'raw-gray')


def encode_frame(kind, fmt, width, height, payload, frame_id, job_id, batch_index=0, channels=None, bit_depth=8):
    """Bytes of one frame. ``channels`` defaults to what the raw formats require."""
    if channels is None:
        channels = {'raw-rgba': 4, 'raw-gray': 1}.get(fmt)
        if channels is None:
            raise ValueError('channels are required for %s frames' % fmt)
    job = job_id.encode('utf-8')
    if not JOB_ID_RE.match(job_id):
        raise ValueError('job id %r is not 1-64 characters of A-Z a-z 0-9 . _ : -' % job_id)
    payload = bytes(payload)
    if _is_raw(fmt) and len(payload) != width * height * channels * bit_depth // 8:
        raise ValueError('%s payload of %d bytes does not fit %dx%d' % (fmt, len(payload), width, height))
    header = _HEADER.pack(MAGIC, FIXED_HEADER + len(job), FRAME_VERSION, KINDS[kind], FORMATS[fmt], channels,
                          bit_depth, 0, frame_id, width, height, len(payload), batch_index, len(job))
    return header + job + payload


def decode_frame(data, limits=None, kinds=SERVER_KINDS):
    """Parse and validate one frame; raises BridgeClientError('frame_invalid', ..., field)."""
    lim = dict(DEFAULT_LIMITS)
    if limits:
        lim.update({k: v for k, v in limits.items() if k in lim})
    data = bytes(data)
    n = len(data)
    if data[:min(4, n)] != MAGIC[:min(4, n)]:
        _fail('magic', 'not a latent-bridge frame (bad magic, expected "LBF1").')
    if n < FIXED_HEADER:
        _fail('header', 'truncated header: %d bytes, a frame header has at least %d.' % (n, FIXED_HEADER))
    (_, header_length, version, kind_code, format_code, channels, bit_depth, flags, frame_id, width, height,
     payload_length, batch_index, job_id_length) = _HEADER.unpack_from(data, 0)
    if version != FRAME_VERSION:
        _fail('version', 'unsupported frame version %d, this side reads %d.' % (version, FRAME_VERSION))
    if not 1 <= job_id_length <= 64:
        _fail('jobId', 'job id length %d is not between 1 and 64.' % job_id_length)
    if header_length != FIXED_HEADER + job_id_length:
        _fail('headerLength', 'header length %d disagrees with job id length %d (expected %d).'
              % (header_length, job_id_length, FIXED_HEADER + job_id_length))
    kind = _KIND_NAMES.get(kind_code)
    if kind is None:
        _fail('kind', 'unknown frame kind %d.' % kind_code)
    if kinds is not None and kind not in kinds:
        _fail('kind', 'a %s frame is not accepted here.' % kind)
    fmt = _FORMAT_NAMES.get(format_code)
    if fmt is None:
        _fail('format', 'unknown frame format %d.' % format_code)
    if fmt not in KIND_FORMATS[kind]:
        _fail('format', 'a %s frame cannot use format %s.' % (kind, fmt))
    allowed_channels, allowed_depths = FORMAT_RULES[fmt]
    if channels not in allowed_channels:
        _fail('channels', '%s cannot have %d channels.' % (fmt, channels))
    if bit_depth not in allowed_depths:
        _fail('bitDepth', '%s cannot have bit depth %d.' % (fmt, bit_depth))
    if flags != 0:
        _fail('flags', 'reserved flags byte must be 0, got %d.' % flags)
    if width < 1:
        _fail('width', 'width must be at least 1.')
    if height < 1:
        _fail('height', 'height must be at least 1.')
    if width * height > lim['maxPixels']:
        _fail('width', '%dx%d is %d pixels, over the limit of %d.' % (width, height, width * height, lim['maxPixels']))
    if kind in CLIENT_KINDS and batch_index != 0:
        _fail('batchIndex', 'a %s frame must have batch index 0.' % kind)
    if _is_raw(fmt):
        expected = width * height * channels * bit_depth // 8
        if payload_length != expected:
            _fail('payloadLength', 'payload length %d disagrees with %dx%dx%dx%d = %d.'
                  % (payload_length, width, height, channels, bit_depth // 8, expected))
    if payload_length < 1:
        _fail('payloadLength', 'payload length must be at least 1.')
    if header_length + payload_length > lim['maxFrameBytes']:
        _fail('payloadLength', 'frame of %d bytes is over the limit of %d.'
              % (header_length + payload_length, lim['maxFrameBytes']))
    if n < header_length:
        _fail('header', 'truncated header: %d of %d bytes.' % (n, header_length))
    job_bytes = data[FIXED_HEADER:header_length]
    try:
        job_id = job_bytes.decode('ascii')
    except UnicodeDecodeError:
        job_id = None
    if job_id is None or not JOB_ID_RE.match(job_id):
        _fail('jobId', 'job id has characters other than A-Z a-z 0-9 . _ : -.')
    end = header_length + payload_length
    if n < end:
        _fail('payload', 'truncated payload: %d of %d bytes.' % (n - header_length, payload_length))
    if n > end:
        _fail('payload', '%d bytes after the payload.' % (n - end))
    payload = data[header_length:end]
    if fmt == 'png':
        if payload[:8] != _PNG_SIGNATURE or payload[12:16] != b'IHDR' or len(payload) < 24:
            _fail('payload', 'the payload is not a PNG (no PNG signature and IHDR chunk).')
        png_w, png_h = struct.unpack_from('>II', payload, 16)
        if (png_w, png_h) != (width, height):
            _fail('payload', 'the PNG is %dx%d but the header says %dx%d.' % (png_w, png_h, width, height))
    elif fmt == 'jpeg' and payload[:3] != b'\xff\xd8\xff':
        _fail('payload', 'the payload is not a JPEG (no SOI marker).')
    return Frame(kind, fmt, width, height, channels, bit_depth, frame_id, job_id, batch_index, payload)
