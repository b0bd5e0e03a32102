"""Paths of the shared protocol's language-neutral fixtures."""

import glob
import json
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FRAMES = os.path.join(REPO, 'shared', 'fixtures', 'frames')
MESSAGES = os.path.join(REPO, 'shared', 'fixtures', 'messages')


def frame_index():
    with open(os.path.join(FRAMES, 'index.json'), encoding='utf-8') as f:
        return json.load(f)


def message_fixtures(direction):
    out = []
    for path in sorted(glob.glob(os.path.join(MESSAGES, '%s-*.json' % direction))):
        with open(path, encoding='utf-8') as f:
            out.append((os.path.basename(path), json.load(f)))
    return out
