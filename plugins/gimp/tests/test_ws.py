import os
import socket
import struct
import time
import unittest

from latent_bridge_client import handshake, ws

from .wsserver import TestServer


class MaskingTest(unittest.TestCase):
    def test_mask_is_xor_with_repeated_key_and_its_own_inverse(self):
        key = b'\x01\x02\x03\x04'
        data = bytes(range(11))
        masked = ws.mask_payload(key, data)
        self.assertEqual(masked, bytes(b ^ key[i % 4] for i, b in enumerate(data)))
        self.assertEqual(ws.mask_payload(key, masked), data)
        self.assertEqual(ws.mask_payload(key, b''), b'')

    def test_accept_key_matches_rfc_example(self):
        self.assertEqual(ws.accept_key('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=')

    def test_length_encodings(self):
        for n, head in ((125, 2), (126, 4), (65535, 4), (65536, 10)):
            frame = ws.encode_frame(ws.OP_BINARY, b'x' * n, mask=True)
            self.assertEqual(len(frame), head + 4 + n, n)
            self.assertTrue(frame[1] & 0x80)


class ClientTest(unittest.TestCase):
    def test_handshake_text_binary_round_trip_with_masking(self):
        big = os.urandom(300000)

        def handler(c):
            self.assertEqual(c.request_line, 'GET /ws HTTP/1.1')
            self.assertEqual(c.headers['sec-websocket-version'], '13')
            self.assertEqual(len(__import__('base64').b64decode(c.headers['sec-websocket-key'])), 16)
            op, data = c.read_message()
            c.send_text('echo:' + data.decode())
            op, data = c.read_message()
            self.assertEqual(op, ws.OP_BINARY)
            c.send_binary(data[::-1])
            self.assertTrue(all(f[2] for f in c.frames), 'every client frame must be masked')
            op, payload = c.read_message()
            self.assertEqual(op, ws.OP_CLOSE)
            self.assertEqual(struct.unpack('>H', payload[:2])[0], 1000)
            c.close(1000)

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5)
            sock.send_text('héllo')
            self.assertEqual(sock.recv(5), 'echo:héllo')
            sock.send_binary(big)
            self.assertEqual(sock.recv(5), big[::-1])
            sock.close()
            self.assertTrue(sock.closed)

    def test_fragmented_messages_both_ways_and_ping_inside(self):
        def handler(c):
            op, data = c.read_message()
            self.assertEqual((op, data), (ws.OP_BINARY, b'abcdefghij'))
            self.assertEqual([f[1] for f in c.frames], [ws.OP_BINARY, ws.OP_CONT, ws.OP_CONT, ws.OP_CONT])
            self.assertEqual([f[0] for f in c.frames], [False, False, False, True])
            c.send(ws.OP_TEXT, b'frag', fin=False)
            c.send(ws.OP_PING, b'are you there')
            c.send(ws.OP_CONT, b'men', fin=False)
            c.send(ws.OP_CONT, b'ted', fin=True)
            fin, op, masked, payload = c.read_frame()
            self.assertEqual((op, payload, masked), (ws.OP_PONG, b'are you there', True))
            c.read_message()
            c.close()

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5, fragment_size=3)
            sock.send_binary(b'abcdefghij')
            self.assertEqual(sock.recv(5), 'fragmented')
            sock.close()

    def test_recv_timeout_keeps_partial_frames(self):
        def handler(c):
            frame = ws.encode_frame(ws.OP_TEXT, b'split across packets', mask=False)
            c.sock.sendall(frame[:1])
            time.sleep(0.3)
            c.sock.sendall(frame[1:5])
            time.sleep(0.3)
            c.sock.sendall(frame[5:])
            c.read_message()
            c.close()

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5)
            timeouts = 0
            while True:
                try:
                    msg = sock.recv(0.1)
                    break
                except ws.WsTimeout:
                    timeouts += 1
            self.assertEqual(msg, 'split across packets')
            self.assertGreater(timeouts, 2)
            sock.close()

    def test_server_close_is_answered_and_reported(self):
        def handler(c):
            c.close(1008, b'policy')
            fin, op, masked, payload = c.read_frame()
            self.assertEqual(op, ws.OP_CLOSE)
            self.assertEqual(struct.unpack('>H', payload[:2])[0], 1008)

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5)
            with self.assertRaises(ws.WsClosed) as cm:
                sock.recv(5)
            self.assertEqual((cm.exception.code, cm.exception.reason), (1008, 'policy'))
            with self.assertRaises(ws.WsClosed):
                sock.send_text('too late')

    def test_connection_drop_without_close_frame(self):
        def handler(c):
            c.send(ws.OP_TEXT, b'partial', fin=False)

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5)
            with self.assertRaises(ws.WsClosed) as cm:
                sock.recv(5)
            self.assertEqual(cm.exception.code, 1006)

    def test_masked_server_frame_is_a_protocol_error(self):
        def handler(c):
            c.sock.sendall(ws.encode_frame(ws.OP_TEXT, b'masked', mask=True))
            fin, op, masked, payload = c.read_frame()
            self.assertEqual(op, ws.OP_CLOSE)
            self.assertEqual(struct.unpack('>H', payload[:2])[0], 1002)

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5)
            with self.assertRaises(ws.WsError):
                sock.recv(5)

    def test_invalid_utf8_text_is_rejected(self):
        def handler(c):
            c.send(ws.OP_TEXT, b'\xff\xfe')
            c.read_frame()

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5)
            with self.assertRaises(ws.WsError):
                sock.recv(5)

    def test_message_over_the_size_limit(self):
        def handler(c):
            c.send_binary(b'x' * 2000)
            c.read_frame()

        with TestServer(handler) as srv:
            sock = handshake.connect(srv.url, timeout=5, max_message=1000)
            with self.assertRaises(ws.WsError):
                sock.recv(5)
            self.assertEqual(sock.close_code, 1009)

    def test_wrong_accept_key_is_refused(self):
        def handler(c):
            c.handshake(accept_override='bm90IHRoZSByaWdodCBrZXk=')

        with TestServer(handler, handshake=False) as srv:
            with self.assertRaises(ws.WsError) as cm:
                handshake.connect(srv.url, timeout=5)
            self.assertIn('Sec-WebSocket-Accept', str(cm.exception))

    def test_http_error_status_is_a_handshake_error(self):
        def handler(c):
            c.handshake(status='403 Forbidden')

        with TestServer(handler, handshake=False) as srv:
            with self.assertRaises(ws.WsHandshakeError) as cm:
                handshake.connect(srv.url, timeout=5)
            self.assertEqual(cm.exception.status, 403)

    def test_data_right_after_the_handshake_is_kept(self):
        def handler(c):
            c.handshake(extra=ws.encode_frame(ws.OP_TEXT, b'early', mask=False))
            c.read_message()
            c.close()

        with TestServer(handler, handshake=False) as srv:
            sock = handshake.connect(srv.url, timeout=5)
            self.assertEqual(sock.recv(5), 'early')
            sock.close()

    def test_handshake_timeout(self):
        def handler(c):
            time.sleep(1.0)

        with TestServer(handler, handshake=False) as srv:
            t0 = time.monotonic()
            with self.assertRaises(ws.WsTimeout):
                handshake.connect(srv.url, timeout=0.3)
            self.assertLess(time.monotonic() - t0, 0.9)

    def test_nothing_listening(self):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        with self.assertRaises(OSError):
            handshake.connect('ws://127.0.0.1:%d/ws' % port, timeout=2)

    def test_not_a_websocket_url(self):
        with self.assertRaises(ws.WsError):
            handshake.connect('http://127.0.0.1:1/ws')


if __name__ == '__main__':
    unittest.main()
