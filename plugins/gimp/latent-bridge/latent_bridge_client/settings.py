"""Where the bridge is and which token to send.

Precedence, first found wins:
- address: ``LATENT_BRIDGE_URL``, the settings file (written by the Settings procedure), the default;
- token: ``LATENT_BRIDGE_TOKEN``, the settings file, the bridge's own token file in its config folder
  (``$LATENT_BRIDGE_CONFIG_DIR``, ``$XDG_CONFIG_HOME/latent-bridge``, ``~/.config/latent-bridge``,
  on Windows ``%APPDATA%\\latent-bridge``), so a bridge on the same machine works without set-up.
"""

import json
import os
import sys

DEFAULT_URL = 'ws://127.0.0.1:7450/ws'
SETTINGS_FILE = 'latent-bridge.json'


def bridge_config_dir(env=None):
    env = os.environ if env is None else env
    if env.get('LATENT_BRIDGE_CONFIG_DIR'):
        return env['LATENT_BRIDGE_CONFIG_DIR']
    if sys.platform == 'win32' and env.get('APPDATA'):
        return os.path.join(env['APPDATA'], 'latent-bridge')
    if env.get('XDG_CONFIG_HOME'):
        return os.path.join(env['XDG_CONFIG_HOME'], 'latent-bridge')
    return os.path.join(env.get('HOME') or os.path.expanduser('~'), '.config', 'latent-bridge')


def read_token_file(config_dir):
    try:
        with open(os.path.join(config_dir, 'token'), encoding='utf-8') as f:
            token = f.read().strip()
    except OSError:
        return None
    return token or None


def load_settings_file(path):
    try:
        with open(path, encoding='utf-8') as f:
            value = json.load(f)
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def save_settings_file(path, url, token):
    data = {'url': url or DEFAULT_URL}
    if token:
        data['token'] = token
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    tmp = path + '.tmp'
    # The token is a secret: keep the file private to the user.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)


def normalize_url(url):
    """Accept what people paste: host:port, http://host:port, or a full ws:// address."""
    url = (url or '').strip()
    if not url:
        return DEFAULT_URL
    if url.startswith('http://'):
        url = 'ws://' + url[len('http://'):]
    elif url.startswith('https://'):
        url = 'wss://' + url[len('https://'):]
    elif '://' not in url:
        url = 'ws://' + url
    scheme, rest = url.split('://', 1)
    if '/' not in rest:
        url = '%s://%s/ws' % (scheme, rest)
    return url


def resolve(settings_path=None, env=None):
    """(url, token) from the environment, the settings file and the bridge's token file."""
    env = os.environ if env is None else env
    stored = load_settings_file(settings_path) if settings_path else {}
    url = env.get('LATENT_BRIDGE_URL') or stored.get('url') or DEFAULT_URL
    token = env.get('LATENT_BRIDGE_TOKEN') or stored.get('token') or read_token_file(bridge_config_dir(env))
    return normalize_url(url), token
