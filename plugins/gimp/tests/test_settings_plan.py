import os
import stat
import tempfile
import unittest

from latent_bridge_client import plan, settings
from latent_bridge_client.errors import BridgeClientError


class SettingsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)
        self.path = os.path.join(self.tmp.name, 'gimp', 'latent-bridge.json')
        self.bridge_dir = os.path.join(self.tmp.name, 'bridge-config')
        os.makedirs(self.bridge_dir)

    def test_defaults_without_anything(self):
        env = {'LATENT_BRIDGE_CONFIG_DIR': self.bridge_dir}
        self.assertEqual(settings.resolve(self.path, env), ('ws://127.0.0.1:7450/ws', None))

    def test_bridge_token_file_is_used_when_nothing_else_says(self):
        with open(os.path.join(self.bridge_dir, 'token'), 'w') as f:
            f.write('from-file\n')
        env = {'LATENT_BRIDGE_CONFIG_DIR': self.bridge_dir}
        self.assertEqual(settings.resolve(self.path, env)[1], 'from-file')
        settings.save_settings_file(self.path, 'localhost:9000', 'from-settings')
        self.assertEqual(settings.resolve(self.path, env), ('ws://localhost:9000/ws', 'from-settings'))
        env['LATENT_BRIDGE_TOKEN'] = 'from-env'
        env['LATENT_BRIDGE_URL'] = 'ws://10.0.0.2:7450/ws'
        self.assertEqual(settings.resolve(self.path, env), ('ws://10.0.0.2:7450/ws', 'from-env'))

    def test_settings_file_is_private(self):
        settings.save_settings_file(self.path, '', 'secret')
        self.assertEqual(stat.S_IMODE(os.stat(self.path).st_mode), 0o600)
        self.assertEqual(settings.load_settings_file(self.path), {'url': settings.DEFAULT_URL, 'token': 'secret'})

    def test_broken_settings_file_is_ignored(self):
        os.makedirs(os.path.dirname(self.path))
        with open(self.path, 'w') as f:
            f.write('{not json')
        self.assertEqual(settings.load_settings_file(self.path), {})

    def test_config_dir_lookup_order(self):
        self.assertEqual(settings.bridge_config_dir({'XDG_CONFIG_HOME': '/x', 'HOME': '/h'}),
                         os.path.join('/x', 'latent-bridge'))
        self.assertEqual(settings.bridge_config_dir({'HOME': '/h'}), os.path.join('/h', '.config', 'latent-bridge'))
        self.assertEqual(settings.bridge_config_dir({'LATENT_BRIDGE_CONFIG_DIR': '/c', 'XDG_CONFIG_HOME': '/x'}), '/c')

    def test_url_normalization(self):
        for given, want in (('', 'ws://127.0.0.1:7450/ws'), ('127.0.0.1:7451', 'ws://127.0.0.1:7451/ws'),
                            ('http://box:7450', 'ws://box:7450/ws'), ('https://box', 'wss://box/ws'),
                            ('ws://box:1/custom', 'ws://box:1/custom')):
            self.assertEqual(settings.normalize_url(given), want, given)


class PlanTest(unittest.TestCase):
    def test_pad_and_clamp(self):
        self.assertEqual(plan.pad_and_clamp((37, 29, 61, 45), 16, 211, 157), (21, 13, 93, 77))
        self.assertEqual(plan.pad_and_clamp((5, 3, 10, 10), 32, 30, 20), (0, 0, 30, 20))
        with self.assertRaises(BridgeClientError):
            plan.pad_and_clamp((300, 300, 10, 10), 0, 100, 100)

    def test_generation_size_in_the_models_multiple(self):
        # 600x400 at 512: 627x418 in multiples of 8 would be 624x416, which an SD export cannot run.
        self.assertEqual(plan.generation_size(600, 400, 512, 4194304), (624, 416))
        w, h = plan.generation_size(600, 400, 512, 4194304, 64)
        self.assertEqual((w % 64, h % 64), (0, 0))
        self.assertEqual((w, h), (640, 448))
        w, h = plan.generation_size(10000, 10, 512, 4194304, 64)
        self.assertEqual(h, 64)
        w, h = plan.generation_size(300, 200, 1024, 300000, 64)
        self.assertTrue(w * h <= 300000 and w % 64 == 0 and h % 64 == 0, (w, h))

    def test_generation_size_keeps_aspect_in_multiples_of_8(self):
        self.assertEqual(plan.generation_size(100, 100, 512, 4194304), (512, 512))
        w, h = plan.generation_size(87, 63, 512, 4194304)
        self.assertEqual((w % 8, h % 8), (0, 0))
        self.assertAlmostEqual(w / h, 87 / 63, delta=0.05)
        self.assertAlmostEqual(w * h, 512 * 512, delta=512 * 40)
        self.assertEqual(plan.generation_size(10000, 10, 512, 4194304)[1], 64)
        w, h = plan.generation_size(300, 200, 1024, 300000)
        self.assertLessEqual(w * h, 300000)

    def test_names(self):
        self.assertEqual(plan.layer_name('  a  red\nfox ', 42), 'a red fox (seed 42)')
        self.assertEqual(plan.layer_name('', 1), 'latent-bridge (seed 1)')
        self.assertTrue(plan.layer_name('x' * 200, 3).endswith('\u2026 (seed 3)'))
        self.assertEqual(plan.group_name('red', 2), 'red (2 results)')

    def test_expand_checks(self):
        self.assertEqual(plan.check_expand(1, 0, 2, 0), {'left': 1, 'top': 0, 'right': 2, 'bottom': 0})
        with self.assertRaises(BridgeClientError):
            plan.check_expand(0, 0, 0, 0)


if __name__ == '__main__':
    unittest.main()
