"""A small RFC 6455 WebSocket client on the standard library (GIMP's Python has no websockets):
framing and the open connection; the opening handshake is in handshake.py (``connect``).

Blocking socket with a receive buffer: ``recv(timeout)`` returns one whole message or raises
``WsTimeout`` with nothing consumed, so a caller can poll (pump GIMP's progress, check for cancel)
without losing half-read frames. Pings are answered, fragments reassembled, the close handshake is
completed in both directions.
"""

import base64
import hashlib
import os
import socket
import struct
import time

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
_DATA_OPS = (OP_TEXT, OP_BINARY)
_CONTROL_OPS = (OP_CLOSE, OP_PING, OP_PONG)
DEFAULT_MAX_MESSAGE = 256 * 1024 * 1024


class WsError(Exception):
    """The connection failed or the peer broke the protocol."""


class WsTimeout(WsError):
    """No complete message within the timeout; the connection is still usable."""


class WsHandshakeError(WsError):
    """The server answered the upgrade with an HTTP status other than 101."""

    def __init__(self, status_line, status):
        super().__init__('WebSocket upgrade refused: %s' % status_line)
        self.status = status


class WsClosed(WsError):
    """The connection is closed; ``code``/``reason`` from the peer's close frame when it sent one."""

    def __init__(self, code=None, reason=''):
        super().__init__('WebSocket closed%s%s' % (' with code %s' % code if code else '',
                                                     ': %s' % reason if reason else ''))
        self.code = code
        self.reason = reason


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode('ascii')).digest()).decode('ascii')


def mask_payload(mask, data):
    """XOR data with the 4-byte mask; big-int XOR keeps MB payloads fast in pure Python."""
    n = len(data)
    if n == 0:
        return b''
    reps = (mask * (n // 4 + 1))[:n]
    return (int.from_bytes(data, 'big') ^ int.from_bytes(reps, 'big')).to_bytes(n, 'big')


def encode_frame(opcode, payload, fin=True, mask=True, mask_key=None):
    """One wire frame. Clients must mask (RFC 6455 5.3); the test server sends unmasked frames."""
    payload = bytes(payload)
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        head.append(bit | n)
    elif n < 65536:
        head.append(bit | 126)
        head += struct.pack('>H', n)
    else:
        head.append(bit | 127)
        head += struct.pack('>Q', n)
    if not mask:
        return bytes(head) + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return bytes(head) + key + mask_payload(key, payload)


class WebSocket:
    def __init__(self, sock, leftover=b'', max_message=DEFAULT_MAX_MESSAGE, fragment_size=None):
        self.sock = sock
        self._buf = bytearray(leftover)
        self._frag_op = None
        self._frag = []
        self._frag_len = 0
        self.max_message = max_message
        # Sending big messages as several fragments is allowed and tested; by default one frame.
        self.fragment_size = fragment_size
        self.closed = False
        self.close_code = None
        self.close_reason = ''
        self._close_sent = False

    # --------------------------------------------------------------- sending

    def _send_raw(self, data):
        if self.closed:
            raise WsClosed(self.close_code, self.close_reason)
        try:
            self.sock.sendall(data)
        except OSError as e:
            self._abort()
            raise WsClosed(None, 'send failed: %s' % e) from e

    def _send_message(self, opcode, payload):
        size = self.fragment_size
        if not size or len(payload) <= size:
            self._send_raw(encode_frame(opcode, payload))
            return
        for start in range(0, len(payload), size):
            op = opcode if start == 0 else OP_CONT
            self._send_raw(encode_frame(op, payload[start:start + size], fin=start + size >= len(payload)))

    def send_text(self, text):
        self._send_message(OP_TEXT, text.encode('utf-8'))

    def send_binary(self, data):
        self._send_message(OP_BINARY, data)

    def ping(self, data=b''):
        self._send_raw(encode_frame(OP_PING, data))

    # ------------------------------------------------------------- receiving

    def _fill(self, n, deadline):
        while len(self._buf) < n:
            if deadline is None:
                self.sock.settimeout(None)
            else:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise WsTimeout('no message within the timeout')
                self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(max(65536, n - len(self._buf)))
            except (socket.timeout, BlockingIOError):
                raise WsTimeout('no message within the timeout')
            except OSError as e:
                self._abort()
                raise WsClosed(None, 'connection lost: %s' % e) from e
            if not chunk:
                self._abort()
                raise WsClosed(self.close_code or 1006, 'connection closed without a close frame')
            self._buf += chunk

    def _read_frame(self, deadline):
        """(fin, opcode, payload) of the next frame; consumes it only when it is complete."""
        self._fill(2, deadline)
        b0, b1 = self._buf[0], self._buf[1]
        if b0 & 0x70:
            self._fail(1002, 'reserved bits set without an extension')
        if b1 & 0x80:
            self._fail(1002, 'the server masked a frame')
        n = b1 & 0x7F
        at = 2
        if n == 126:
            self._fill(4, deadline)
            n = struct.unpack_from('>H', self._buf, 2)[0]
            at = 4
        elif n == 127:
            self._fill(10, deadline)
            n = struct.unpack_from('>Q', self._buf, 2)[0]
            at = 10
        opcode = b0 & 0x0F
        fin = bool(b0 & 0x80)
        if opcode in _CONTROL_OPS and (n > 125 or not fin):
            self._fail(1002, 'control frame too long or fragmented')
        if n + self._frag_len > self.max_message:
            self._fail(1009, 'message over %d bytes' % self.max_message)
        self._fill(at + n, deadline)
        payload = bytes(self._buf[at:at + n])
        del self._buf[:at + n]
        return fin, opcode, payload

    def recv(self, timeout=None):
        """Next data message as ``str`` (text) or ``bytes`` (binary)."""
        if self.closed:
            raise WsClosed(self.close_code, self.close_reason)
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            fin, opcode, payload = self._read_frame(deadline)
            if opcode == OP_PING:
                self._send_raw(encode_frame(OP_PONG, payload))
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                self._on_close(payload)
            if opcode in _DATA_OPS:
                if self._frag_op is not None:
                    self._fail(1002, 'new message inside a fragmented one')
                self._frag_op, self._frag, self._frag_len = opcode, [], 0
            elif opcode == OP_CONT:
                if self._frag_op is None:
                    self._fail(1002, 'continuation without a message')
            else:
                self._fail(1002, 'unknown opcode %d' % opcode)
            self._frag.append(payload)
            self._frag_len += len(payload)
            if not fin:
                continue
            data = b''.join(self._frag)
            op = self._frag_op
            self._frag_op, self._frag, self._frag_len = None, [], 0
            if op == OP_TEXT:
                try:
                    return data.decode('utf-8')
                except UnicodeDecodeError:
                    self._fail(1007, 'text message is not UTF-8')
            return data

    def _on_close(self, payload):
        code, reason = 1005, ''
        if len(payload) >= 2:
            code = struct.unpack_from('>H', payload)[0]
            reason = payload[2:].decode('utf-8', 'replace')
        self.close_code, self.close_reason = code, reason
        if not self._close_sent:
            try:
                self.sock.sendall(encode_frame(OP_CLOSE, payload[:2]))
            except OSError:
                pass
            self._close_sent = True
        self._abort()
        raise WsClosed(code, reason)

    def _fail(self, code, why):
        try:
            self.sock.sendall(encode_frame(OP_CLOSE, struct.pack('>H', code) + why.encode('utf-8')[:120]))
        except OSError:
            pass
        self._close_sent = True
        self.close_code, self.close_reason = code, why
        self._abort()
        raise WsError('WebSocket protocol error: %s' % why)

    def _abort(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass

    def close(self, code=1000, reason='', timeout=2.0):
        """Close handshake: send close, wait (bounded) for the peer's close, then drop the socket."""
        if self.closed:
            return
        try:
            self.sock.sendall(encode_frame(OP_CLOSE, struct.pack('>H', code) + reason.encode('utf-8')[:120]))
            self._close_sent = True
            deadline = time.monotonic() + timeout
            while True:
                self.recv(max(0.0, deadline - time.monotonic()))
        except WsError:
            pass
        except OSError:
            pass
        self._abort()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
