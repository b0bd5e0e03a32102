"""A tiny single-connection WebSocket server for the client's tests: real sockets, real RFC 6455
framing, and a per-test handler that scripts what the server does."""

import base64
import hashlib
import socket
import struct
import threading

from latent_bridge_client import ws


class ServerConn:
    """Server side of one connection: reads masked client frames, writes unmasked ones."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b''
        self.frames = []  # every client frame: (fin, opcode, masked, payload)

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError('client went away')
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def handshake(self, accept_override=None, status='101 Switching Protocols', extra=b''):
        head = b''
        while b'\r\n\r\n' not in head:
            head += self.sock.recv(4096)
        lines = head.decode('latin-1').split('\r\n')
        self.request_line = lines[0]
        self.headers = {}
        for line in lines[1:]:
            if ':' in line:
                k, v = line.split(':', 1)
                self.headers[k.strip().lower()] = v.strip()
        key = self.headers.get('sec-websocket-key', '')
        accept = accept_override or base64.b64encode(hashlib.sha1((key + ws.GUID).encode()).digest()).decode()
        self.sock.sendall(('HTTP/1.1 %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                           'Sec-WebSocket-Accept: %s\r\n\r\n' % (status, accept)).encode() + extra)

    def read_frame(self):
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack('>H', self._read(2))[0]
        elif n == 127:
            n = struct.unpack('>Q', self._read(8))[0]
        masked = bool(b1 & 0x80)
        key = self._read(4) if masked else None
        payload = self._read(n)
        if masked:
            payload = ws.mask_payload(key, payload)
        frame = (bool(b0 & 0x80), b0 & 0x0F, masked, payload)
        self.frames.append(frame)
        return frame

    def read_message(self):
        """(opcode, payload) of the next data or close message, fragments joined; answers pings."""
        parts, op = [], None
        while True:
            fin, opcode, _, payload = self.read_frame()
            if opcode == ws.OP_PING:
                self.send(ws.OP_PONG, payload)
                continue
            if opcode in (ws.OP_CLOSE, ws.OP_PONG):
                return opcode, payload
            if opcode != ws.OP_CONT:
                op = opcode
            parts.append(payload)
            if fin:
                return op, b''.join(parts)

    def send(self, opcode, payload, fin=True):
        self.sock.sendall(ws.encode_frame(opcode, payload, fin=fin, mask=False))

    def send_text(self, text):
        self.send(ws.OP_TEXT, text.encode('utf-8'))

    def send_binary(self, data):
        self.send(ws.OP_BINARY, data)

    def close(self, code=1000, reason=b''):
        self.send(ws.OP_CLOSE, struct.pack('>H', code) + reason)


class TestServer:
    """Accepts one connection and runs ``handler(conn)`` on a thread; errors are kept for the test."""

    def __init__(self, handler, handshake=True):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(('127.0.0.1', 0))
        self.listener.listen(1)
        self.port = self.listener.getsockname()[1]
        self.url = 'ws://127.0.0.1:%d/ws' % self.port
        self.handler = handler
        self.do_handshake = handshake
        self.error = None
        self.conn = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        sock = None
        try:
            sock, _ = self.listener.accept()
            sock.settimeout(10)
            self.conn = ServerConn(sock)
            if self.do_handshake:
                self.conn.handshake()
            self.handler(self.conn)
        except Exception as e:  # reported by stop()
            self.error = e
        finally:
            if sock is not None:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.listener.close()

    def stop(self, timeout=10):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise AssertionError('test server handler did not finish')
        if self.error is not None:
            raise self.error

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is None:
            self.stop()
        else:
            self.thread.join(2)
