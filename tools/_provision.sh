# Sourced by tools/setup.sh: install Debian/Ubuntu packages with apt,
# as root (or with password-less sudo), only when a command needs them.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1
  fi
}

# Runs a command quietly; on failure shows the end of its output.
quietly() {
  local log status=0
  log=$(mktemp)
  "$@" >"$log" 2>&1 || status=$?
  [ "$status" = 0 ] || tail -n 20 "$log" >&2
  rm -f "$log"
  return "$status"
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ -z "${KGEN_APT_UPDATED:-}" ]; then
    quietly as_root apt-get update || return 1
    export KGEN_APT_UPDATED=1
  fi
  quietly as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}
