"""The last values a user entered in each dialog, kept by the plug-in itself: GIMP only keeps a
procedure's values after a successful run, so a failed or cancelled run would otherwise bring
back the last successful prompt and lose what was typed. No GIMP here: unit-tested."""

import json
import os

FILE = 'latent-bridge-last-values.json'
# Values of these types round-trip through JSON as they are.
_PLAIN = (str, int, float, bool)


def save(path, procedure, values):
    """Stores ``values`` (name -> plain value) for ``procedure``; other procedures keep theirs."""
    data = load_all(path)
    data[procedure] = {k: v for k, v in values.items() if isinstance(v, _PLAIN)}
    os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, indent=1, sort_keys=True)
    os.replace(tmp, path)


def load_all(path):
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def load(path, procedure):
    values = load_all(path).get(procedure)
    return values if isinstance(values, dict) else {}


def restore(config_get, config_set, names, saved):
    """Puts ``saved`` values back for the ``names`` the config has, when the type matches
    (a value GIMP would refuse is skipped, not fatal). Returns the names restored."""
    done = []
    for name in names:
        if name not in saved:
            continue
        value, current = saved[name], config_get(name)
        if isinstance(current, bool) != isinstance(value, bool):
            continue
        if isinstance(current, (int, float)) and isinstance(value, (int, float)) or type(current) is type(value):
            try:
                config_set(name, value)
                done.append(name)
            except (TypeError, ValueError):
                continue
    return done
