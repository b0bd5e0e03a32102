"""Starts the real bridge server (node bridge-server/dist/cli/main.js serve --demo) on a free
loopback port for the live and end-to-end tests."""

import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

from .fixtures import REPO

TOKEN = 'gimp-test-token'


def server_script():
    return os.environ.get('LATENT_BRIDGE_SERVER_JS') or os.path.join(REPO, 'bridge-server', 'dist', 'cli', 'main.js')


def unavailable_reason():
    """Why the real bridge cannot be started here, or None when it can."""
    script = server_script()
    if not os.path.isfile(script):
        return 'the bridge server is not built: %s is missing (run npm run build)' % script
    if shutil.which('node') is None:
        return 'node is not on PATH'
    serve = os.path.join(os.path.dirname(script), 'serve-command.js')
    try:
        with open(serve, encoding='utf-8') as f:
            if 'listening on' not in f.read():
                return '%s has no serve command yet (the server issue has not landed)' % serve
    except OSError:
        return '%s is missing: this build has no serve command' % serve
    return None


class RunningBridge:
    def __init__(self, extra_args=()):
        self.tmp = tempfile.mkdtemp(prefix='lb-gimp-bridge-')
        config = os.path.join(self.tmp, 'config')
        models = os.path.join(self.tmp, 'models')
        os.makedirs(config)
        os.makedirs(models)
        self.stderr_path = os.path.join(self.tmp, 'stderr.log')
        self._stderr = open(self.stderr_path, 'wb')
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            ['node', server_script(), 'serve', '--port', '0', '--demo', '--token', TOKEN, '--config-dir', config,
             '--models', models] + list(extra_args),
            stdout=subprocess.PIPE, stderr=self._stderr, cwd=REPO, start_new_session=True)
        line = self._first_line(60)
        m = re.search(r'latent-bridge listening on http://127\.0\.0\.1:(\d+)', line or '')
        if not m:
            self.stop()
            raise RuntimeError('the bridge did not start: stdout %r, stderr:\n%s' % (line, self.stderr()))
        self.port = int(m.group(1))
        self.url = 'ws://127.0.0.1:%d/ws' % self.port
        self.token = TOKEN
        self.start_seconds = time.monotonic() - t0

    def _first_line(self, timeout):
        out = []
        reader = threading.Thread(target=lambda: out.append(self.proc.stdout.readline().decode('utf-8', 'replace')),
                                  daemon=True)
        reader.start()
        reader.join(timeout)
        return out[0] if out else None

    def stderr(self):
        try:
            with open(self.stderr_path, encoding='utf-8', errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


def sequence_support():
    """Whether this build of the server runs animation and prompt-list jobs (for failure messages)."""
    runner = os.path.join(os.path.dirname(os.path.dirname(server_script())), 'server', 'job-runner.js')
    try:
        with open(runner, encoding='utf-8') as f:
            knows = 'animation' in f.read()
    except OSError:
        return 'no %s' % runner
    return 'the bridge build at %s %s animation jobs' % (runner, 'mentions' if knows else 'does not yet run')
