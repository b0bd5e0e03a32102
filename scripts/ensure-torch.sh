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
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "python3-torch is not installed and this is not a root Debian machine: apt install python3-torch python3-numpy python3-yaml" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing Debian's python3-torch (once)" >&2
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends python3-torch python3-numpy python3-yaml >&2
/usr/bin/python3 -c 'import torch; print("torch", torch.__version__)'
