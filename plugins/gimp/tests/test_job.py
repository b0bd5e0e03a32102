"""The job runner against a scripted bridge on a real loopback WebSocket."""

import json
import select
import socket
import time
import unittest

from latent_bridge_client import frames, ws
from latent_bridge_client.errors import BridgeClientError
from latent_bridge_client.job import SourceImage, SourceMask, open_connection, rgba16_to_8

from .wsserver import TestServer

WELCOME = {
    'type': 'welcome', 'server': 'fake/1', 'protocol': 1,
    'capabilities': {
        'models': [{'name': 'sd', 'nativeSize': 512, 'inpainting': False, 'img2img': True},
                   {'name': 'sd-inpaint', 'nativeSize': 512, 'inpainting': True, 'img2img': True}],
        'schedulers': ['euler', 'euler_a'],
        'limits': {'maxPixels': 4194304, 'maxBatch': 8, 'maxSteps': 150, 'maxMessageBytes': 262144,
                   'maxQueuePerClient': 8, 'maxPromptChars': 4000, 'maxFrameBytes': 67108864,
                   'maxPendingFrames': 8, 'frameTtlMs': 60000, 'maxResults': 64}}}
PARAMS = {'mode': 'txt2img', 'model': 'sd', 'prompt': 'red', 'steps': 2, 'guidance': 7, 'scheduler': 'euler',
          'width': 64, 'height': 64}


def read_json(c):
    op, data = c.read_message()
    assert op == ws.OP_TEXT, op
    return json.loads(data)


def greet(c, token='T'):
    hello = read_json(c)
    assert hello == {'type': 'hello', 'protocol': 1, 'client': 'gimp/0.1.0', 'token': token}, hello
    c.send_text(json.dumps(WELCOME))


def send_result(c, job_id, index, seed, width, height, rgba, bit_depth=8, frame_id=None):
    frame_id = 10 + index if frame_id is None else frame_id
    c.send_text(json.dumps({'type': 'result', 'id': job_id, 'index': index, 'frame': frame_id, 'width': width,
                            'height': height, 'seed': seed, 'parameters': 'red'}))
    c.send_binary(frames.encode_frame('result', 'raw-rgba', width, height, rgba, frame_id, job_id, index,
                                      bit_depth=bit_depth))


def finish_close(c):
    op, _ = c.read_message()
    assert op == ws.OP_CLOSE
    c.close()


class JobTest(unittest.TestCase):
    def test_txt2img_job_progress_and_batch_results(self):
        seen = {}

        def handler(c):
            greet(c)
            gen = read_json(c)
            seen['generate'] = gen
            job = gen['id']
            c.send_text(json.dumps({'type': 'queued', 'id': job, 'position': 0}))
            c.send_text(json.dumps({'type': 'started', 'id': job}))
            for step in (1, 2, 3, 4):
                c.send_text(json.dumps({'type': 'progress', 'id': job, 'step': step, 'total': 4}))
            c.send_text(json.dumps({'type': 'preview', 'id': job, 'index': 0, 'frame': 9, 'width': 1, 'height': 1,
                                    'step': 1}))
            c.send_binary(frames.encode_frame('preview', 'raw-rgba', 1, 1, b'\0\0\0\0', 9, job))
            send_result(c, job, 1, 8, 2, 1, b'\x01\x02\x03\xff' * 2)
            send_result(c, job, 0, 7, 2, 1, b'\xff\x00\x00\xff' * 2)
            c.send_text(json.dumps({'type': 'done', 'id': job, 'results': 2, 'timings': {'totalMs': 5}}))
            finish_close(c)

        progress = []
        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                self.assertEqual(conn.server, 'fake/1')
                results = conn.run_job(dict(PARAMS, batch=2), on_progress=lambda s, t: progress.append((s, t)))
        gen = seen['generate']
        self.assertEqual(gen['type'], 'generate')
        self.assertRegex(gen['id'], r'^gimp-[0-9a-f]{12}$')
        self.assertEqual({k: gen[k] for k in PARAMS}, PARAMS)
        self.assertEqual(gen['resultFormat'], 'raw-rgba')
        self.assertEqual(progress, [(1, 4), (2, 4), (3, 4), (4, 4)])
        self.assertEqual([(r.index, r.seed, r.rgba) for r in results],
                         [(0, 7, b'\xff\x00\x00\xff' * 2), (1, 8, b'\x01\x02\x03\xff' * 2)])

    def test_inpaint_sends_image_and_mask_frames_before_generate(self):
        seen = {}

        def handler(c):
            greet(c, token='secret')
            op1, image = c.read_message()
            op2, mask = c.read_message()
            gen = read_json(c)
            seen.update(image=frames.decode_frame(image, kinds=frames.CLIENT_KINDS),
                        mask=frames.decode_frame(mask, kinds=frames.CLIENT_KINDS), generate=gen)
            sixteen = b''.join(v.to_bytes(2, 'little') for v in (65535, 0, 32896, 65535))
            send_result(c, gen['id'], 0, 3, 1, 1, sixteen, bit_depth=16)
            c.send_text(json.dumps({'type': 'done', 'id': gen['id'], 'results': 1, 'timings': {}}))
            finish_close(c)

        image = SourceImage(3, 2, bytes(range(24)))
        mask = SourceMask(3, 2, b'\x00\xff\x80\xff\x00\x40')
        with TestServer(handler) as srv:
            with open_connection(srv.url, 'secret') as conn:
                params = dict(PARAMS, mode='inpaint', model=conn.pick_model('inpaint')['name'])
                del params['width'], params['height']
                results = conn.run_job(params, image, mask)
        img, msk, gen = seen['image'], seen['mask'], seen['generate']
        self.assertEqual((img.kind, img.format, img.width, img.height, img.payload), ('image', 'raw-rgba', 3, 2,
                                                                                     image.rgba))
        self.assertEqual((msk.kind, msk.format, msk.payload), ('mask', 'raw-gray', mask.gray))
        self.assertEqual(img.job_id, gen['id'])
        self.assertEqual(msk.job_id, gen['id'])
        self.assertEqual(gen['image'], {'frame': img.frame_id})
        self.assertEqual(gen['mask'], {'frame': msk.frame_id})
        self.assertNotEqual(img.frame_id, msk.frame_id)
        self.assertEqual(gen['model'], 'sd-inpaint')
        self.assertNotIn('width', gen)
        self.assertEqual(results[0].rgba, bytes([255, 0, 128, 255]))

    def _cancel_flow(self, **run_kwargs):
        seen = {}

        def handler(c):
            greet(c)
            gen = read_json(c)
            c.send_text(json.dumps({'type': 'queued', 'id': gen['id'], 'position': 3}))
            seen['cancel'] = read_json(c)
            c.send_text(json.dumps({'type': 'cancelled', 'id': gen['id']}))
            seen['id'] = gen['id']
            finish_close(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as cm:
                    conn.run_job(PARAMS, **run_kwargs)
        self.assertEqual(seen['cancel'], {'type': 'cancel', 'id': seen['id']})
        self.assertEqual(cm.exception.code, 'cancelled')
        return cm.exception

    def test_cancel_asked_by_the_host(self):
        polls = []
        err = self._cancel_flow(should_cancel=lambda: len(polls) >= 2, on_poll=lambda: polls.append(1))
        self.assertEqual(err.message, 'The job was cancelled.')

    def test_timeout_cancels_the_job(self):
        err = self._cancel_flow(timeout=0.3)
        self.assertIn('longer than 0.3 s', err.message)

    def test_cancel_checks_run_while_messages_keep_coming(self):
        seen = {}

        def handler(c):
            greet(c)
            gen = read_json(c)
            for step in range(60):
                c.send_text(json.dumps({'type': 'progress', 'id': gen['id'], 'step': step, 'total': 60}))
                time.sleep(0.01)
            # the cancel must already be here: sent during the stream, not after it went quiet
            seen['waiting'] = bool(c.buf) or bool(select.select([c.sock], [], [], 0)[0])
            seen['cancel'] = read_json(c)
            c.send_text(json.dumps({'type': 'cancelled', 'id': gen['id']}))
            finish_close(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as cm:
                    conn.run_job(PARAMS, timeout=0.2)
        self.assertEqual(cm.exception.code, 'cancelled')
        self.assertEqual(seen['cancel']['type'], 'cancel')
        self.assertTrue(seen['waiting'], 'the client only cancelled once the server went quiet')

    def test_job_error_carries_code_and_field(self):
        def handler(c):
            greet(c)
            gen = read_json(c)
            c.send_text(json.dumps({'type': 'error', 'id': gen['id'], 'code': 'unknown_scheduler',
                                    'message': 'No scheduler "x".', 'field': 'scheduler'}))
            finish_close(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as cm:
                    conn.run_job(PARAMS)
        self.assertEqual((cm.exception.code, cm.exception.field), ('unknown_scheduler', 'scheduler'))

    def test_wrong_token(self):
        def handler(c):
            read_json(c)
            c.send_text(json.dumps({'type': 'error', 'code': 'unauthorized', 'message': 'Wrong token.'}))
            c.close(1008)

        with TestServer(handler) as srv:
            with self.assertRaises(BridgeClientError) as cm:
                open_connection(srv.url, 'T')
        self.assertEqual(cm.exception.code, 'unauthorized')
        self.assertIn('LATENT_BRIDGE_TOKEN', cm.exception.message)

    def test_bridge_shutting_down_mid_job(self):
        def handler(c):
            greet(c)
            read_json(c)
            c.send_text(json.dumps({'type': 'error', 'code': 'shutting_down', 'message': 'Restarting.'}))
            c.close(1001)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as cm:
                    conn.run_job(PARAMS)
        self.assertEqual(cm.exception.code, 'shutting_down')

    def test_connection_lost_mid_job(self):
        def handler(c):
            greet(c)
            read_json(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as cm:
                    conn.run_job(PARAMS)
        self.assertEqual(cm.exception.code, 'bridge_unreachable')
        self.assertIn('lost', cm.exception.message)

    def test_result_frame_must_match_its_announcement(self):
        def handler(c):
            greet(c)
            gen = read_json(c)
            c.send_text(json.dumps({'type': 'result', 'id': gen['id'], 'index': 0, 'frame': 4, 'width': 1,
                                    'height': 1, 'seed': 1, 'parameters': ''}))
            c.send_binary(frames.encode_frame('result', 'raw-rgba', 1, 1, b'\0\0\0\0', 5, gen['id']))
            finish_close(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as cm:
                    conn.run_job(PARAMS)
        self.assertEqual(cm.exception.code, 'frame_invalid')

    def test_bridge_not_running(self):
        s = socket.socket()
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
        s.close()
        with self.assertRaises(BridgeClientError) as cm:
            open_connection('ws://127.0.0.1:%d/ws' % port, None, timeout=2)
        self.assertEqual(cm.exception.code, 'bridge_unreachable')
        self.assertIn('latent-bridge serve', cm.exception.message)

    def test_model_and_scheduler_choice(self):
        def handler(c):
            greet(c, token='T')
            finish_close(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                self.assertEqual(conn.pick_model('txt2img')['name'], 'sd')
                self.assertEqual(conn.pick_model('img2img')['name'], 'sd')
                self.assertEqual(conn.pick_model('inpaint')['name'], 'sd-inpaint')
                self.assertEqual(conn.pick_model('txt2img', 'sd-inpaint')['name'], 'sd-inpaint')
                with self.assertRaises(BridgeClientError) as cm:
                    conn.pick_model('txt2img', 'nope')
                self.assertEqual(cm.exception.code, 'model_not_found')
                self.assertEqual(conn.pick_scheduler(), 'euler_a')
                self.assertEqual(conn.pick_scheduler('ddim'), 'ddim')

    def test_rgba16_to_8_rounds(self):
        data = b''.join(v.to_bytes(2, 'little') for v in (0, 128, 129, 32767, 65535))
        self.assertEqual(rgba16_to_8(data), bytes([0, 0, 1, 127, 255]))


if __name__ == '__main__':
    unittest.main()
