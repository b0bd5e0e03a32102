"""One connection to the bridge and one job on it: hello, source frames, generate, progress,
cancel, results. No GIMP here: the host passes callbacks for progress and for "cancel now?"."""

import os
import socket
import time
from collections import namedtuple

from . import handshake, protocol, ws
from .errors import BridgeClientError, from_error_message
from .frames import decode_frame, encode_frame

Result = namedtuple('Result', 'index seed width height parameters rgba')
SourceImage = namedtuple('SourceImage', 'width height rgba')  # RGBA 8-bit, straight alpha
SourceMask = namedtuple('SourceMask', 'width height gray')  # 8-bit, 255 = regenerate

POLL_SECONDS = 0.1
CANCEL_GRACE_SECONDS = 15.0


def _unreachable(url, why):
    return BridgeClientError(
        'bridge_unreachable',
        'Cannot reach the latent-bridge server at %s (%s). Start it with "latent-bridge serve", '
        'or set its address in Filters > latent-bridge > Settings.' % (url, why))


class BridgeConnection:
    """An open, greeted connection; ``capabilities`` is the server's welcome."""

    def __init__(self, url, token=None, timeout=10.0, fragment_size=None):
        self.url = url
        try:
            self.ws = handshake.connect(url, timeout=timeout, fragment_size=fragment_size)
        except ws.WsHandshakeError as e:
            code = {401: 'unauthorized', 403: 'forbidden_origin'}.get(e.status, 'bridge_unreachable')
            raise BridgeClientError(code, 'The server at %s refused the WebSocket: %s' % (url, e)) from None
        except (OSError, ws.WsError) as e:
            raise _unreachable(url, e) from None
        self._next_frame = 1
        try:
            self.send(protocol.hello(token))
            reply = self.recv_message(timeout)
        except BridgeClientError:
            self.close()
            raise
        if reply['type'] == 'error':
            self.close()
            err = from_error_message(reply)
            if err.code == 'unauthorized':
                err.message += ' (Plug-in side: LATENT_BRIDGE_TOKEN or Filters > latent-bridge > Settings.)'
            raise err
        if reply['type'] != 'welcome':
            self.close()
            raise BridgeClientError('malformed_message', 'The bridge answered hello with "%s".' % reply['type'])
        self.capabilities = reply['capabilities']
        self.server = reply['server']

    def send(self, msg):
        try:
            self.ws.send_text(protocol.dumps(msg))
        except ws.WsError as e:
            raise self._lost(e) from None

    def _lost(self, e):
        if getattr(e, 'code', None) == 1009:
            # Close code 1009: the bridge refused a message as too big. Not a restart.
            return BridgeClientError('limit_exceeded', 'The bridge refused the image as too large to receive. Select a '
                                     'smaller area, or raise the bridge\'s limits (latent-bridge serve --help).')
        why = getattr(e, 'reason', '') or str(e)
        return BridgeClientError('bridge_unreachable',
                                 'The connection to the bridge at %s was lost (%s); is it restarting?' % (self.url, why))

    def recv_raw(self, timeout):
        """Next message (str or bytes); raises ws.WsTimeout when none came in time."""
        try:
            return self.ws.recv(timeout)
        except ws.WsTimeout:
            raise
        except ws.WsError as e:
            raise self._lost(e) from None

    def recv_message(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                data = self.recv_raw(max(0.0, deadline - time.monotonic()))
            except ws.WsTimeout:
                raise BridgeClientError('bridge_unreachable', 'The bridge at %s did not answer in time.' % self.url)
            if isinstance(data, str):
                return protocol.parse_server_message(data)

    def send_frame(self, kind, fmt, width, height, payload, job_id, bit_depth=8):
        frame_id = self._next_frame
        self._next_frame = (self._next_frame + 1) & 0xFFFFFFFF
        data = encode_frame(kind, fmt, width, height, payload, frame_id, job_id, bit_depth=bit_depth)
        try:
            self.ws.send_binary(data)
        except ws.WsError as e:
            raise self._lost(e) from None
        return frame_id

    def close(self):
        try:
            self.ws.close(timeout=1.0)
        except Exception:  # closing is best effort; the job's outcome is already decided
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------ jobs

    def pick_model(self, mode, wanted=''):
        models = self.capabilities['models']
        if wanted:
            for m in models:
                if m['name'] == wanted:
                    return m
            names = ', '.join(m['name'] for m in models) or 'none'
            raise BridgeClientError('model_not_found', 'The bridge has no model "%s" (it has: %s).' % (wanted, names),
                                    'model')
        if mode == 'inpaint' or mode == 'outpaint':
            ranked = [m for m in models if m['inpainting']] + [m for m in models if not m['inpainting'] and m['img2img']]
        elif mode == 'img2img':
            ranked = [m for m in models if m['img2img'] and not m['inpainting']] + [m for m in models if m['img2img']]
        else:
            ranked = [m for m in models if not m['inpainting']] + models
        if not ranked:
            raise BridgeClientError('model_not_found', 'The bridge has no model for %s.' % mode, 'model')
        return ranked[0]

    def pick_scheduler(self, wanted=''):
        names = self.capabilities['schedulers']
        if wanted:
            return wanted  # the server names it in unknown_scheduler if wrong
        for preferred in ('euler_a', 'euler-a', 'euler'):
            if preferred in names:
                return preferred
        if not names:
            raise BridgeClientError('unknown_scheduler', 'The bridge offers no scheduler.', 'scheduler')
        return names[0]

    def run_job(self, params, image=None, mask=None, on_progress=None, should_cancel=None, timeout=None,
                on_poll=None, on_preview=None, on_result=None):
        """Run one generate; returns [Result] in batch order.

        ``params``: generate fields (mode, model, prompt, ...). ``on_progress(step, total)`` follows
        the server; ``should_cancel()`` is asked while waiting and ``timeout`` (seconds) bounds the
        job: either sends ``cancel`` and raises BridgeClientError('cancelled'). ``on_preview(Result)``
        gets raw-rgba previews when ``params`` asks for them (``preview``); ``on_result(Result)`` each
        result as it arrives (an animation's frames and a prompt list's entries come one by one).
        """
        job_id = 'gimp-%s' % os.urandom(6).hex()
        fields = dict(params)
        if image is not None:
            fields['image'] = {'frame': self.send_frame('image', 'raw-rgba', image.width, image.height, image.rgba,
                                                        job_id)}
        if mask is not None:
            fields['mask'] = {'frame': self.send_frame('mask', 'raw-gray', mask.width, mask.height, mask.gray,
                                                       job_id)}
        fields.setdefault('resultFormat', 'raw-rgba')
        self.send(protocol.generate(job_id, **fields))
        limits = self.capabilities['limits']
        deadline = None if not timeout else time.monotonic() + timeout
        results = []
        pending = None  # the result/preview message whose frame comes next
        cancel = {'sent_at': None, 'reason': None}
        last_tick = time.monotonic()
        while True:
            # Ticks run on a timeout and between messages alike, so a chatty server cannot starve
            # cancel checks, the deadline or the host's polling.
            now = time.monotonic()
            if now - last_tick >= POLL_SECONDS:
                last_tick = now
                self._tick(job_id, cancel, should_cancel, deadline, timeout, on_poll)
            try:
                data = self.recv_raw(POLL_SECONDS)
            except ws.WsTimeout:
                continue
            if isinstance(data, bytes):
                if pending is None:
                    raise BridgeClientError('frame_invalid', 'The bridge sent a frame nobody announced.')
                frame = decode_frame(data, limits)
                announced, pending = pending, None
                if announced['type'] == 'result':
                    results.append(_result_from(announced, frame, job_id))
                    if on_result:
                        on_result(results[-1])
                elif on_preview and frame.format == 'raw-rgba':
                    on_preview(_preview_from(announced, frame, job_id))
                continue
            msg = protocol.parse_server_message(data)
            if pending is not None:
                raise BridgeClientError('frame_invalid', 'The bridge announced frame %d but sent a message instead.'
                                        % pending['frame'])
            kind = msg['type']
            if msg.get('id') not in (None, job_id):
                continue  # another job of this connection (none today); not ours to handle
            if kind == 'progress' and on_progress:
                on_progress(msg['step'], msg['total'])
            elif kind in ('result', 'preview'):
                pending = msg
            elif kind == 'done':
                if cancel['reason']:
                    raise BridgeClientError('cancelled', cancel['reason'], None, job_id)
                if msg['results'] != len(results):
                    raise BridgeClientError('internal', 'The bridge said %d results but sent %d.'
                                            % (msg['results'], len(results)))
                results.sort(key=lambda r: r.index)
                return results
            elif kind == 'cancelled':
                raise BridgeClientError('cancelled', cancel['reason'] or 'The job was cancelled on the bridge.', None,
                                        job_id)
            elif kind == 'error':
                raise from_error_message(msg)

    def import_model(self, source, name=None, on_progress=None, should_cancel=None, on_poll=None, timeout=None):
        """Imports ``source`` (a file in the bridge's checkpoints folder) as a queued job; returns
        the installed model's name (done.model). ``on_progress(step, total)`` counts tensors."""
        job_id = 'gimp-import-%s' % os.urandom(6).hex()
        self.send(protocol.import_model(job_id, source, name))
        deadline = None if not timeout else time.monotonic() + timeout
        cancel = {'sent_at': None, 'reason': None}
        last_tick = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last_tick >= POLL_SECONDS:
                last_tick = now
                self._tick(job_id, cancel, should_cancel, deadline, timeout, on_poll)
            try:
                data = self.recv_raw(POLL_SECONDS)
            except ws.WsTimeout:
                continue
            if isinstance(data, bytes):
                continue  # an import sends no frames
            msg = protocol.parse_server_message(data)
            if msg.get('id') != job_id:
                if msg['type'] == 'models':
                    self.capabilities = dict(self.capabilities, **{k: v for k, v in msg.items() if k != 'type'})
                continue
            kind = msg['type']
            if kind == 'progress' and on_progress:
                on_progress(msg['step'], msg['total'])
            elif kind == 'done':
                if cancel['reason']:
                    raise BridgeClientError('cancelled', cancel['reason'], None, job_id)
                return msg.get('model') or name or source.rsplit('.', 1)[0]
            elif kind == 'cancelled':
                raise BridgeClientError('cancelled', cancel['reason'] or 'The import was cancelled on the bridge.',
                                        None, job_id)
            elif kind == 'error':
                raise from_error_message(msg)

    def _tick(self, job_id, cancel, should_cancel, deadline, timeout, on_poll):
        if on_poll:
            on_poll()
        now = time.monotonic()
        if cancel['sent_at'] is None:
            if should_cancel and should_cancel():
                cancel['reason'] = 'The job was cancelled.'
            elif deadline is not None and now > deadline:
                cancel['reason'] = 'The job took longer than %g s and was cancelled.' % timeout
            if cancel['reason']:
                self.send(protocol.cancel(job_id))
                cancel['sent_at'] = now
        elif now - cancel['sent_at'] > CANCEL_GRACE_SECONDS:
            raise BridgeClientError('cancelled', cancel['reason'] + ' (the bridge did not confirm it)', None, job_id)


def _result_from(msg, frame, job_id):
    if frame.kind != 'result' or frame.frame_id != msg['frame'] or frame.job_id != job_id \
            or frame.batch_index != msg['index'] or (frame.width, frame.height) != (msg['width'], msg['height']):
        raise BridgeClientError('frame_invalid', 'Result frame %d does not match its announcement.' % frame.frame_id)
    if frame.format != 'raw-rgba':
        raise BridgeClientError('frame_invalid', 'Result frames in %s are not supported; raw-rgba was asked for.'
                                % frame.format)
    rgba = frame.payload if frame.bit_depth == 8 else rgba16_to_8(frame.payload)
    return Result(msg['index'], msg['seed'], frame.width, frame.height, msg['parameters'], rgba)


def _preview_from(msg, frame, job_id):
    if frame.kind != 'preview' or frame.frame_id != msg['frame'] or frame.job_id != job_id:
        raise BridgeClientError('frame_invalid', 'Preview frame %d does not match its announcement.' % frame.frame_id)
    rgba = frame.payload if frame.bit_depth == 8 else rgba16_to_8(frame.payload)
    return Result(msg['index'], None, frame.width, frame.height, '', rgba)


def rgba16_to_8(data):
    """Little-endian 16-bit samples to 8-bit, rounding: the high byte plus the carry of the low one."""
    hi = data[1::2]
    lo = data[0::2]
    return bytes(min(255, (((h << 8) | l) * 255 + 32767) // 65535) for h, l in zip(hi, lo))


def open_connection(url, token, timeout=10.0):
    """BridgeConnection, with socket-level failures already turned into bridge_unreachable."""
    try:
        return BridgeConnection(url, token, timeout)
    except socket.timeout:
        raise _unreachable(url, 'timed out') from None
