"""Tests of the GIMP plug-in. Run: python3 -m unittest discover -s plugins/gimp/tests -t plugins/gimp"""

import os
import sys

PLUGIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'latent-bridge')
if PLUGIN_DIR not in sys.path:
    sys.path.insert(0, PLUGIN_DIR)
