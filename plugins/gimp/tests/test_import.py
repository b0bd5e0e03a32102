"""Checkpoint import from GIMP (import-model) against a scripted bridge on a real loopback socket."""

import json
import unittest

from latent_bridge_client.errors import BridgeClientError
from latent_bridge_client.job import open_connection

from .test_job import WELCOME, finish_close, greet, read_json
from .wsserver import TestServer


class ImportTest(unittest.TestCase):
    def test_import_reports_tensor_progress_and_the_installed_name(self):
        seen = {}

        def handler(c):
            greet(c)
            msg = read_json(c)
            seen['import'] = msg
            job = msg['id']
            c.send_text(json.dumps({'type': 'queued', 'id': job, 'position': 0}))
            c.send_text(json.dumps({'type': 'started', 'id': job}))
            for step in (1, 2, 3):
                c.send_text(json.dumps({'type': 'progress', 'id': job, 'step': step, 'total': 3, 'phase': 'import'}))
            c.send_text(json.dumps({'type': 'done', 'id': job, 'results': 0, 'model': 'dreamy',
                                    'timings': {'totalMs': 5}}))
            models = dict(WELCOME['capabilities'])
            c.send_text(json.dumps({'type': 'models', 'models': models['models'] + [
                {'name': 'dreamy', 'nativeSize': 512, 'inpainting': False, 'img2img': True, 'family': 'sd1'}]}))
            finish_close(c)

        progress = []
        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                name = conn.import_model('dreamy-v2.safetensors', 'dreamy', on_progress=lambda s, t: progress.append((s, t)))
        self.assertEqual(name, 'dreamy')
        self.assertEqual({k: v for k, v in seen['import'].items() if k != 'id'},
                         {'type': 'import-model', 'source': 'dreamy-v2.safetensors', 'name': 'dreamy'})
        self.assertEqual(progress, [(1, 3), (2, 3), (3, 3)])

    def test_import_errors_come_back_typed(self):
        def handler(c):
            greet(c)
            job = read_json(c)['id']
            c.send_text(json.dumps({'type': 'error', 'id': job, 'code': 'checkpoint_unsafe',
                                    'message': 'refers to code', 'field': 'source'}))
            finish_close(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as ctx:
                    conn.import_model('evil.ckpt')
        self.assertEqual(ctx.exception.code, 'checkpoint_unsafe')

    def test_cancel_sends_cancel(self):
        seen = {}

        def handler(c):
            greet(c)
            job = read_json(c)['id']
            c.send_text(json.dumps({'type': 'started', 'id': job}))
            seen['cancel'] = read_json(c)
            c.send_text(json.dumps({'type': 'cancelled', 'id': job}))
            finish_close(c)

        with TestServer(handler) as srv:
            with open_connection(srv.url, 'T') as conn:
                with self.assertRaises(BridgeClientError) as ctx:
                    conn.import_model('a.safetensors', should_cancel=lambda: True)
        self.assertEqual(ctx.exception.code, 'cancelled')
        self.assertEqual(seen['cancel']['type'], 'cancel')


if __name__ == '__main__':
    unittest.main()
