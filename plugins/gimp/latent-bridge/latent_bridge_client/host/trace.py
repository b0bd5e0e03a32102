"""Test hook: with LATENT_BRIDGE_HOST_TRACE set, one JSON line per change the plug-in makes, so the
end-to-end tests can check that every change to the user's image sits inside one undo group."""

import json
import os


def trace(event, **fields):
    path = os.environ.get('LATENT_BRIDGE_HOST_TRACE')
    if path:
        fields['event'] = event
        with open(path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(fields) + '\n')
