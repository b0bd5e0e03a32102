"""latent-bridge client for the GIMP 3 plug-in.

Everything outside ``host/`` is plain Python 3 (standard library only) so it runs inside GIMP's
interpreter and under the unit tests alike; only ``host/`` imports GIMP's introspection modules.
"""

CLIENT_NAME = 'gimp'
CLIENT_VERSION = '0.1.0'
PROTOCOL_VERSION = 1
