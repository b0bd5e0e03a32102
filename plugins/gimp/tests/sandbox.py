"""Runs gimp-console 3 headless inside the Debian trixie sandbox of shared/tools/gimp3-sandbox.sh,
with a fresh copy of our plug-in as its plug-ins folder."""

import json
import os
import shutil
import subprocess
import tempfile
import time

from .fixtures import REPO

SANDBOX_SCRIPT = os.path.join(os.path.dirname(REPO), 'shared', 'tools', 'gimp3-sandbox.sh')
DEFAULT_ROOT = '/var/tmp/latent-bridge-gimp3'
PLUGIN_SRC = os.path.join(REPO, 'plugins', 'gimp', 'latent-bridge')
HERE = os.path.dirname(os.path.abspath(__file__))


def sandbox_script():
    for path in (os.environ.get('GIMP3_SANDBOX_SCRIPT'), os.path.join(REPO, 'scripts', 'gimp3-sandbox.sh'),
                 SANDBOX_SCRIPT):
        if path and os.path.isfile(path):
            return path
    return None


def sandbox_root():
    return os.environ.get('LATENT_BRIDGE_GIMP3_ROOT', DEFAULT_ROOT)


def is_built(root):
    return os.path.isfile(os.path.join(root, '.gimp3-sandbox.stamp')) and os.access(
        os.path.join(root, 'usr', 'bin', 'gimp-console-3.0'), os.X_OK)


def ensure_built():
    """(root, seconds spent building or 0, None) or (None, 0, reason to skip)."""
    script = sandbox_script()
    if script is None:
        return None, 0, 'gimp3-sandbox.sh not found (set GIMP3_SANDBOX_SCRIPT)'
    root = sandbox_root()
    if os.geteuid() != 0:
        return None, 0, 'the GIMP 3 sandbox needs root (chroot, mount namespaces); CI runs as root'
    if is_built(root):
        return root, 0.0, None
    t0 = time.monotonic()
    res = subprocess.run(['bash', script, 'build', root], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if res.returncode != 0:
        raise RuntimeError('building the GIMP 3 sandbox failed:\n%s' % res.stdout.decode('utf-8', 'replace')[-4000:])
    return root, time.monotonic() - t0, None


class GimpRun:
    """gimp-console batch runs of tests/gimp_e2e_script.py with a private copy of the plug-in."""

    def __init__(self, root, work):
        self.root = root
        self.work = work

    @classmethod
    def prepare(cls, root):
        work = tempfile.mkdtemp(prefix='lb-gimp-e2e-')
        plugins = os.path.join(work, 'plug-ins')
        # A fresh copy: a new mtime makes GIMP query our procedures again, and no __pycache__ goes along.
        shutil.copytree(PLUGIN_SRC, os.path.join(plugins, 'latent-bridge'),
                        ignore=shutil.ignore_patterns('__pycache__', '*.pyc'), copy_function=shutil.copy)
        return cls(root, work)

    def run(self, scenarios, env, timeout=300):
        """Run the scenarios in one GIMP start; returns rc, log, seconds and {scenario: report}."""
        out = os.path.join(self.work, 'report.json')
        trace = os.path.join(self.work, 'trace.jsonl')
        for path in (out, trace):
            if os.path.exists(path):
                os.remove(path)
        env = dict(env, LB_E2E_SCENARIOS=','.join(scenarios), LB_E2E_OUT=out, LATENT_BRIDGE_HOST_TRACE=trace,
                   LATENT_BRIDGE_SETTINGS_FILE=os.path.join(self.work, 'settings.json'))
        args = ['bash', sandbox_script(), 'batch', self.root, '--no-cwd',
                '--plugins', os.path.join(self.work, 'plug-ins'), '--bind', self.work, '--ro-bind', HERE]
        for k, v in env.items():
            args += ['--env', '%s=%s' % (k, v)]
        args += ['--', os.path.join(HERE, 'gimp_e2e_script.py')]
        t0 = time.monotonic()
        res = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        seconds = time.monotonic() - t0
        reports = None
        if os.path.exists(out):
            with open(out, encoding='utf-8') as f:
                reports = json.load(f)
        return {'rc': res.returncode, 'log': res.stdout.decode('utf-8', 'replace'), 'reports': reports,
                'seconds': seconds}

    def cleanup(self):
        shutil.rmtree(self.work, ignore_errors=True)
