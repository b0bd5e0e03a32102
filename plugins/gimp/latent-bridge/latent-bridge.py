#!/usr/bin/env python3
"""latent-bridge for GIMP 3: Stable Diffusion through the latent-bridge server.

Menu: Filters > latent-bridge. The code lives in the latent_bridge_client package beside this file.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version('Gimp', '3.0')
from gi.repository import Gimp  # noqa: E402

from latent_bridge_client.host.plugin import LatentBridgePlugIn  # noqa: E402

Gimp.main(LatentBridgePlugIn.__gtype__, sys.argv)
