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
if ! command -v apt-get >/dev/null 2>&1; then
  echo "redis-server is not installed and this is not a Debian machine: install Redis (>= 6.2) or set REDIS_SERVER" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  echo "redis-server is not installed and apt-get needs root: run 'sudo apt-get install redis-server' (or set REDIS_SERVER)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "installing Debian's redis-server package (once)" >&2
"${as_root[@]}" apt-get update -qq >&2
"${as_root[@]}" apt-get install -y -qq --no-install-recommends redis-server >&2
# The package's own service is not needed: the tests run theirs on a port of their own.
if command -v systemctl >/dev/null 2>&1; then "${as_root[@]}" systemctl disable --now redis-server >/dev/null 2>&1 || true; fi
command -v redis-server
