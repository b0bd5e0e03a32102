"""The WebSocket opening handshake (RFC 6455 section 4): the upgrade request, and the checks of the
server's answer (status 101, Upgrade, Connection, Sec-WebSocket-Accept, no unasked extension)."""

import base64
import os
import socket
import ssl
import time
from urllib.parse import urlsplit

from .ws import DEFAULT_MAX_MESSAGE, WebSocket, WsError, WsHandshakeError, WsTimeout, accept_key

_MAX_HANDSHAKE = 64 * 1024


def _read_handshake(sock, deadline):
    data = bytearray()
    while b'\r\n\r\n' not in data:
        left = deadline - time.monotonic()
        if left <= 0:
            raise WsTimeout('no WebSocket handshake answer in time')
        sock.settimeout(left)
        try:
            chunk = sock.recv(4096)
        except socket.timeout:
            raise WsTimeout('no WebSocket handshake answer in time')
        if not chunk:
            raise WsError('the server closed the connection during the WebSocket handshake')
        data += chunk
        if len(data) > _MAX_HANDSHAKE:
            raise WsError('WebSocket handshake answer too long')
    end = data.index(b'\r\n\r\n') + 4
    return bytes(data[:end]).decode('latin-1'), bytes(data[end:])


def connect(url, timeout=10.0, headers=None, max_message=DEFAULT_MAX_MESSAGE, fragment_size=None):
    """Open ``ws://`` or ``wss://`` ``url``; raises OSError when nothing listens, WsError on a bad handshake."""
    parts = urlsplit(url)
    if parts.scheme not in ('ws', 'wss'):
        raise WsError('not a WebSocket address (ws:// or wss://): %s' % url)
    host = parts.hostname or '127.0.0.1'
    port = parts.port or (443 if parts.scheme == 'wss' else 80)
    path = (parts.path or '/') + ('?' + parts.query if parts.query else '')
    deadline = time.monotonic() + timeout
    sock = socket.create_connection((host, port), timeout=timeout)
    try:
        if parts.scheme == 'wss':
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=host)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode('ascii')
        host_header = host if ':' not in host else '[%s]' % host
        if parts.port:
            host_header += ':%d' % parts.port
        lines = ['GET %s HTTP/1.1' % path, 'Host: %s' % host_header, 'Upgrade: websocket',
                 'Connection: Upgrade', 'Sec-WebSocket-Key: %s' % key, 'Sec-WebSocket-Version: 13']
        for name, value in (headers or {}).items():
            lines.append('%s: %s' % (name, value))
        sock.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1'))
        head, leftover = _read_handshake(sock, deadline)
        status_line, _, rest = head.partition('\r\n')
        fields = {}
        for line in rest.split('\r\n'):
            name, sep, value = line.partition(':')
            if sep:
                fields[name.strip().lower()] = value.strip()
        status = status_line.split(' ', 2)
        if len(status) < 2 or status[1] != '101':
            raise WsHandshakeError(status_line.strip(), int(status[1]) if len(status) > 1 and status[1].isdigit() else 0)
        if fields.get('upgrade', '').lower() != 'websocket' or 'upgrade' not in fields.get('connection', '').lower():
            raise WsError('the server did not upgrade to WebSocket')
        if fields.get('sec-websocket-accept') != accept_key(key):
            raise WsError('the server answered with a wrong Sec-WebSocket-Accept')
        if fields.get('sec-websocket-extensions'):
            raise WsError('the server chose an extension this client did not offer')
        return WebSocket(sock, leftover, max_message=max_message, fragment_size=fragment_size)
    except BaseException:
        sock.close()
        raise
