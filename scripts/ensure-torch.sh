#!/usr/bin/env bash
# Makes Debian's python3-torch (with numpy and yaml) available to the reference tests: the torch
# reimplementations of the original modules that the importer and pipeline are compared against.
# Installs the packages when they are missing and we may (root with apt-get). Exit 1 with a reason
# when neither works.
set -euo pipefail
if /usr/bin/python3 -c 'import torch, numpy, yaml' >/dev/null 2>&1; then
  /usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
  exit 0
fi
source "$(dirname "$0")/lib/apt-install.sh"
apt_install "" python3-torch python3-numpy python3-yaml
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
