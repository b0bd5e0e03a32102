"""GIMP 3 with its GUI under Xvfb, as a user meets the plug-in (issue 20): each dialog opens and
is answered from the keyboard by tests/gimp_gui_driver.py; Generate into a feathered selection,
Image to Image on a 6000x4000 select-all, Inpaint, a long job cancelled from its job window,
the Settings and Import dialogs. Checks the layers, that GIMP's window still shows the user's
image afterwards and that nothing is left behind; screenshots go to plugins/gimp/screenshots/.
Slow (one GUI start, ~1-2 min): LATENT_BRIDGE_GIMP_GUI=1 runs it (CI sets it with the sandbox)."""

import glob
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from . import bridge, sandbox
from .test_e2e_gimp import _skip

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENSHOTS = os.path.join(os.path.dirname(HERE), 'screenshots')
GUI_PACKAGES = ('xvfb', 'xdotool', 'x11-apps')
_env = {}


def ensure_gui_tools(root):
    """Xvfb, xdotool and xwd in the sandbox (installed there once if missing)."""
    if all(os.path.exists(os.path.join(root, 'usr', 'bin', b)) for b in ('Xvfb', 'xdotool', 'xwd')):
        return
    cmd = 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ' \
          + ' '.join(GUI_PACKAGES)
    res = subprocess.run(['bash', sandbox.sandbox_script(), 'run', root, '--no-cwd', '--', 'bash', '-c', cmd],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900)
    if res.returncode != 0:
        raise RuntimeError('installing %s in the sandbox failed:\n%s' % (GUI_PACKAGES, res.stdout.decode()[-3000:]))


def setUpModule():
    if not os.environ.get('LATENT_BRIDGE_GIMP_GUI'):
        raise unittest.SkipTest('set LATENT_BRIDGE_GIMP_GUI=1 to run the GIMP GUI test (slow)')
    reason = bridge.unavailable_reason()
    if reason:
        _skip(reason)
    root, _, reason = sandbox.ensure_built()
    if reason:
        _skip(reason)
    ensure_gui_tools(root)
    _env['bridge'] = b = bridge.RunningBridge()
    _env['gimp'] = g = sandbox.GimpRun.prepare(root)
    shots = os.path.join(g.work, 'shots')
    os.makedirs(shots)
    out, driver_out = os.path.join(g.work, 'report.json'), os.path.join(g.work, 'driver.json')
    env = {'LB_GUI_OUT': out, 'LB_GUI_SHOTS': shots, 'LB_GUI_DRIVER_OUT': driver_out, 'LATENT_BRIDGE_URL': b.url,
           'LATENT_BRIDGE_TOKEN': b.token, 'LATENT_BRIDGE_SETTINGS_FILE': os.path.join(g.work, 'settings.json'),
           'LATENT_BRIDGE_LAST_VALUES_FILE': os.path.join(g.work, 'last-values.json'),
           'LATENT_BRIDGE_HOST_TRACE': os.path.join(g.work, 'trace.jsonl')}
    script = ("Xvfb :97 -screen 0 1600x1000x24 -nolisten tcp >/dev/null 2>&1 & XVFB=$!; sleep 1; export DISPLAY=:97; "
              "timeout 560 python3 %s & DRIVER=$!; "
              "timeout 500 gimp-3.0 --no-splash --batch-interpreter python-fu-eval "
              "-b \"exec(open('%s').read())\" >%s 2>&1; wait $DRIVER; kill $XVFB; wait" % (
                  os.path.join(HERE, 'gimp_gui_driver.py'), os.path.join(HERE, 'gimp_gui_script.py'),
                  os.path.join(g.work, 'gimp.log')))
    args = ['bash', sandbox.sandbox_script(), 'run', root, '--no-cwd', '--plugins', os.path.join(g.work, 'plug-ins'),
            '--bind', g.work, '--ro-bind', HERE]
    for k, v in env.items():
        args += ['--env', '%s=%s' % (k, v)]
    subprocess.run(args + ['--', 'bash', '-c', script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=700)
    _env['report'], _env['driver'] = _read_json(out), _read_json(driver_out)
    log = os.path.join(g.work, 'gimp.log')
    if os.path.exists(log):
        with open(log, errors='replace') as f:
            _env['log'] = f.read()
    # Screenshots are the test's artefacts: kept next to the plug-in.
    os.makedirs(SCREENSHOTS, exist_ok=True)
    for old in glob.glob(os.path.join(SCREENSHOTS, 'gui-*')):
        os.remove(old)
    for shot in sorted(glob.glob(os.path.join(shots, '*.png')) + glob.glob(os.path.join(shots, '*.xwd'))):
        shutil.copy(shot, os.path.join(SCREENSHOTS, 'gui-' + os.path.basename(shot)))
    for name, path in (('gui-report.json', out), ('gui-driver.json', driver_out)):
        if os.path.exists(path):
            shutil.copy(path, os.path.join(SCREENSHOTS, name))


def _read_json(path):
    if not os.path.exists(path):
        return None
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def tearDownModule():
    if 'gimp' in _env:
        _env['gimp'].cleanup()
    if 'bridge' in _env:
        _env['bridge'].stop()


class GimpGuiTest(unittest.TestCase):
    def scenario(self, name):
        report = _env.get('report')
        self.assertIsNotNone(report, _env.get('log', '')[-3000:])
        self.assertNotIn('exception', report, report.get('exception'))
        self.assertIn(name, report['scenarios'], (report, _env.get('driver')))
        return report['scenarios'][name]

    def assert_clean(self, s, name):
        self.assertEqual(s['images_left'], [], '%s left images behind' % name)
        self.assertTrue(s['user_layer_unchanged'])
        titles = _env['driver']['after_titles'].get(name, [])
        # GIMP's window still shows the user's image: no preview image took the tab.
        self.assertTrue(titles and all('latent-bridge' not in t for t in titles), titles)

    def test_every_dialog_opened(self):
        seen = [e[1] for e in _env['driver']['events'] if e[0] == 'dialog']
        self.assertEqual(seen, ['generate', 'img2img-6000x4000', 'inpaint', 'cancel', 'outpaint', 'prompt-list',
                                'settings', 'import'], _env['driver'])
        for name in ('outpaint', 'prompt-list', 'settings', 'import'):
            self.assertEqual(self.scenario(name)['status'], 'cancel', name)
        self.assertTrue(glob.glob(os.path.join(SCREENSHOTS, 'gui-*-dialog.*')))

    def test_generate_into_a_selection(self):
        s = self.scenario('generate')
        self.assertEqual(s['status'], 'success', s['message'])
        r = s['result']
        # The feathered ellipse's bounds (feather 6) grow the box by 6 on every side.
        self.assertEqual([r['x'], r['y'], r['width'], r['height']], [114, 84, 312, 232])
        self.assertTrue(r['mask_equals_selection'])
        self.assert_clean(s, 'generate')

    def test_img2img_6000x4000_select_all(self):
        s = self.scenario('img2img-6000x4000')
        self.assertEqual(s['status'], 'success', s['message'])
        r = s['result']
        self.assertEqual([r['x'], r['y'], r['width'], r['height']], [0, 0, 6000, 4000])
        self.assert_clean(s, 'img2img-6000x4000')

    def test_inpaint(self):
        s = self.scenario('inpaint')
        self.assertEqual(s['status'], 'success', s['message'])
        self.assertEqual(s['layers_after'], s['layers_before'] + 1)
        self.assert_clean(s, 'inpaint')

    def test_cancel_from_the_job_window(self):
        s = self.scenario('cancel')
        self.assertEqual(s['status'], 'cancel', (s, _env['driver']))
        self.assertEqual(s['layers_after'], s['layers_before'])
        self.assertIn(('cancelled', 'cancel'), [tuple(e) for e in _env['driver']['events']])
        self.assert_clean(s, 'cancel')
        self.assertFalse([t for t in _env['driver']['windows_at_end'] if t.startswith('latent-bridge')])
        # The cancelled run's values are what its dialog brings back next time.
        animate = _env['report']['remembered']['latent-bridge-animate']
        self.assertEqual((animate['prompt'], animate['frames'], animate['steps']), ('red', 48, 150))


if __name__ == '__main__':
    unittest.main()
