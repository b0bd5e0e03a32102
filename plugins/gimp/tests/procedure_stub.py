"""Loads host/procedures.py without GIMP: a stand-in ``gi`` records each procedure's arguments
(name, label), so the dialogs' labels and mnemonics are checked in plain unit tests."""

import importlib
import sys
import types
from unittest import mock


class RecordedProcedure:
    def __init__(self, name):
        self.name = name
        self.arguments = []  # (name, label)
        self.menu_label = None

    def __getattr__(self, attr):
        if attr.startswith('add_') and attr.endswith('_argument'):
            return lambda name, label, *rest: self.arguments.append((name, label))
        return lambda *a, **k: None

    def set_menu_label(self, label):
        self.menu_label = label


def load_procedures():
    """(module, {procedure name: RecordedProcedure})."""
    gimp = mock.MagicMock()
    gimp.ImageProcedure.new.side_effect = lambda plugin, name, *rest: RecordedProcedure(name)
    gimp.Procedure.new.side_effect = lambda plugin, name, *rest: RecordedProcedure(name)
    repository = types.SimpleNamespace(Gimp=gimp, GObject=mock.MagicMock())
    gi = types.SimpleNamespace(require_version=lambda *a: None, repository=repository)
    saved = {k: sys.modules.get(k) for k in ('gi', 'gi.repository')}
    sys.modules['gi'] = gi
    sys.modules['gi.repository'] = repository
    try:
        sys.modules.pop('latent_bridge_client.host.procedures', None)
        sys.modules.pop('latent_bridge_client.host', None)
        module = importlib.import_module('latent_bridge_client.host.procedures')
        recorded = {name: module.define(None, name, None, None) for name in module.IMAGE_PROCEDURES + (module.IMPORT, module.SETTINGS)}
    finally:
        for k, v in saved.items():
            if v is None:
                sys.modules.pop(k, None)
            else:
                sys.modules[k] = v
        sys.modules.pop('latent_bridge_client.host.procedures', None)
        sys.modules.pop('latent_bridge_client.host', None)
    return module, recorded
