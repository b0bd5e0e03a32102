#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium, installing Debian's `chromium` package first when it
# is missing and we may (root with apt-get). Exit 1 with a reason on stderr when neither works.
# Used by the tests that drive a real browser (origin drive-by test, Photoshop panel screenshot).
set -euo pipefail
for candidate in "${CHROMIUM:-}" chromium chromium-browser google-chrome; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    command -v "$candidate"
    exit 0
  fi
done
source "$(dirname "$0")/lib/apt-install.sh"
apt_install "or set CHROMIUM" chromium fonts-dejavu-core
command -v chromium
