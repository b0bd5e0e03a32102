"""The only part of the plug-in that talks to GIMP (gi.repository Gimp/Gegl/GimpUi)."""
