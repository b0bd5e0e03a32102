# Sourced by the ensure-*.sh scripts. apt_install HINT PACKAGE... installs Debian packages when we
# may (root, or sudo without a password; APT_AS_ROOT is then the prefix for further root commands)
# and otherwise says what to run, plus HINT (e.g. "or set CHROMIUM"), and returns 1. Progress goes to
# stderr: the callers print their answer on stdout.
APT_AS_ROOT=()
apt_install() {
  local hint="${1:+ ($1)}"
  shift
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "$1 is not installed and this is not a Debian machine: install $*$hint" >&2
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      APT_AS_ROOT=(sudo -n)
    else
      echo "$1 is not installed and apt-get needs root: run 'sudo apt-get install $*'$hint" >&2
      return 1
    fi
  fi
  echo "installing Debian's $* (once)" >&2
  DEBIAN_FRONTEND=noninteractive "${APT_AS_ROOT[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${APT_AS_ROOT[@]}" apt-get install -y -qq --no-install-recommends "$@" >&2
}
