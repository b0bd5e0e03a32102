"""The Gimp.PlugIn subclass GIMP instantiates."""

import gi

gi.require_version('Gimp', '3.0')
from gi.repository import Gimp  # noqa: E402

from . import procedures, run  # noqa: E402


class LatentBridgePlugIn(Gimp.PlugIn):
    def do_set_i18n(self, _name):
        return False

    def do_query_procedures(self):
        return list(procedures.IMAGE_PROCEDURES) + [procedures.IMPORT, procedures.SETTINGS]

    def do_create_procedure(self, name):
        return procedures.define(self, name, run.run_image, run.run_settings, run.run_import)
