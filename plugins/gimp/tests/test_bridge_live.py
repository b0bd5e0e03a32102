"""The client against the real bridge server on loopback (demo oracle models)."""

import os
import subprocess
import sys
import time
import unittest

from latent_bridge_client.errors import BridgeClientError
from latent_bridge_client.job import SourceImage, SourceMask, open_connection

from . import bridge

RED = (191, 64, 64)
_bridge = None


def setUpModule():
    global _bridge
    reason = bridge.unavailable_reason()
    if reason:
        raise unittest.SkipTest(reason)
    _bridge = bridge.RunningBridge()


def tearDownModule():
    if _bridge is not None:
        _bridge.stop()


def close_to(px, rgb, tol=3):
    return all(abs(a - b) <= tol for a, b in zip(px, rgb))


class LiveBridgeTest(unittest.TestCase):
    def connect(self, token=None):
        return open_connection(_bridge.url, token or _bridge.token)

    def test_welcome_offers_the_demo_models(self):
        with self.connect() as conn:
            names = [m['name'] for m in conn.capabilities['models']]
            self.assertIn('demo', names)
            self.assertIn('demo-inpaint', names)
            self.assertEqual(conn.pick_model('inpaint')['name'], 'demo-inpaint')

    def test_txt2img_red_with_progress(self):
        steps = []
        with self.connect() as conn:
            t0 = time.monotonic()
            results = conn.run_job({'mode': 'txt2img', 'model': 'demo', 'prompt': 'red', 'steps': 3, 'guidance': 1.0,
                                    'scheduler': conn.pick_scheduler(), 'seed': 11, 'width': 64, 'height': 72,
                                    'batch': 2}, on_progress=lambda s, t: steps.append((s, t)))
            elapsed = time.monotonic() - t0
        self.assertEqual([(r.index, r.width, r.height) for r in results], [(0, 64, 72), (1, 64, 72)])
        self.assertEqual(results[0].seed, 11)
        self.assertTrue(steps and steps[-1][0] == steps[-1][1], steps)
        for r in results:
            self.assertTrue(close_to(r.rgba[:3], RED), tuple(r.rgba[:4]))
            self.assertEqual(len(r.rgba), 64 * 72 * 4)
        self.assertIn('Seed: 11', results[0].parameters)
        print('\n  live txt2img 64x72 batch 2, 3 steps: %.2f s' % elapsed)

    def test_inpaint_keeps_unmasked_pixels(self):
        w, h = 90, 70
        src = bytes([10, 20, 200, 255]) * (w * h)
        gray = bytes(255 if 30 <= x < 60 and 20 <= y < 50 else 0 for y in range(h) for x in range(w))
        with self.connect() as conn:
            results = conn.run_job({'mode': 'inpaint', 'model': 'demo-inpaint', 'prompt': 'red', 'steps': 3,
                                    'guidance': 1.0, 'scheduler': conn.pick_scheduler(), 'seed': 3},
                                   SourceImage(w, h, src), SourceMask(w, h, gray))
        r = results[0]
        self.assertEqual((r.width, r.height), (w, h))
        at = lambda x, y: tuple(r.rgba[(y * w + x) * 4:(y * w + x) * 4 + 4])  # noqa: E731
        self.assertEqual(at(2, 2), (10, 20, 200, 255))
        self.assertEqual(at(88, 68), (10, 20, 200, 255))
        self.assertTrue(close_to(at(45, 35)[:3], RED, 4), at(45, 35))

    def test_wrong_token_is_refused_clearly(self):
        with self.assertRaises(BridgeClientError) as cm:
            self.connect(token='wrong')
        self.assertEqual(cm.exception.code, 'unauthorized')

    def test_cancel_a_running_job(self):
        with self.connect() as conn:
            t0 = time.monotonic()
            with self.assertRaises(BridgeClientError) as cm:
                conn.run_job({'mode': 'txt2img', 'model': 'demo', 'prompt': 'red', 'steps': 150, 'guidance': 1.0,
                              'scheduler': conn.pick_scheduler(), 'width': 512, 'height': 512, 'batch': 8},
                             should_cancel=lambda: time.monotonic() - t0 > 0.3)
            self.assertEqual(cm.exception.code, 'cancelled')
            # the connection stays usable after a cancel
            results = conn.run_job({'mode': 'txt2img', 'model': 'demo', 'prompt': 'blue', 'steps': 1,
                                    'guidance': 1.0, 'scheduler': conn.pick_scheduler(), 'width': 64, 'height': 64})
            self.assertEqual(len(results), 1)

    def test_a_killed_client_does_not_leave_its_job_running(self):
        """GIMP's progress cancel kills the plug-in process (gimp_plug_in_close(plug_in, TRUE)); the
        bridge must then drop the job, which this checks with a client killed mid-job."""
        code = ('import sys; sys.path.insert(0, %r)\n'
                'from latent_bridge_client.job import open_connection\n'
                'c = open_connection(%r, %r)\n'
                'c.run_job({"mode": "txt2img", "model": "demo", "prompt": "red", "steps": 150, "guidance": 1.0,'
                ' "scheduler": c.pick_scheduler(), "width": 512, "height": 512, "batch": 8},'
                ' on_progress=lambda s, t: print("step", s, flush=True))\n'
                % (os.path.dirname(os.path.dirname(__import__('latent_bridge_client').__file__)), _bridge.url,
                   _bridge.token))
        child = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE)
        try:
            self.assertTrue(child.stdout.readline().startswith(b'step'), 'the job did not start')
        finally:
            child.kill()
            child.wait(10)
            child.stdout.close()
        with self.connect() as conn:
            deadline = time.monotonic() + 10
            while True:
                conn.send({'type': 'status'})
                status = conn.recv_message(5)
                while status['type'] != 'status':
                    status = conn.recv_message(5)
                if status['queueLength'] == 0 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(status['queueLength'], 0, status)

    def test_bad_field_comes_back_with_its_name(self):
        with self.connect() as conn:
            with self.assertRaises(BridgeClientError) as cm:
                conn.run_job({'mode': 'txt2img', 'model': 'demo', 'prompt': 'red', 'steps': 2, 'guidance': 1.0,
                              'scheduler': 'no-such-scheduler', 'width': 64, 'height': 64})
        self.assertEqual(cm.exception.code, 'unknown_scheduler')


if __name__ == '__main__':
    unittest.main()
