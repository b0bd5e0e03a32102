#!/usr/bin/env bash
# Makes sure Debian's redis-server is installed for the queue tests and bench (they start their own
# server on a free loopback port; nothing is started here). Installs the package when it is missing
# and we may: as root with apt-get, or through sudo without a password. Exit 1 with a reason otherwise.
set -euo pipefail
for candidate in "${REDIS_SERVER:-}" redis-server /usr/bin/redis-server /usr/local/bin/redis-server; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null 2>&1; then
    command -v "$candidate"
    exit 0
  fi
done
source "$(dirname "$0")/lib/apt-install.sh"
apt_install "Redis >= 6.2; or set REDIS_SERVER" redis-server
# The package's own service is not needed: the tests run theirs on a port of their own.
if command -v systemctl >/dev/null 2>&1; then "${APT_AS_ROOT[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
command -v redis-server
