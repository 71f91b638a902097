# Shared by tools/setup.sh and tools/test.sh (sourced): install Debian/Ubuntu packages with apt,
# as root (or with password-less sudo), only when a command needs them.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1
  fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ -z "${KGEN_APT_UPDATED:-}" ]; then
    as_root apt-get update -qq || return 1
    export KGEN_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
