# Shared helpers for the service scripts: sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${DATA_DIR:-$ROOT/.data}"

log() { printf '%s\n' "$*" >&2; }

# ensure_packages CMD PKG [CMD PKG ...]: install the Debian packages whose
# command is missing, when we are root; otherwise say what to install.
ensure_packages() {
  local missing=() cmd pkg
  while [ $# -gt 0 ]; do
    cmd="$1"; pkg="$2"; shift 2
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  apt_install "${missing[@]}"
}

# apt_install PKG...: install Debian packages when root, else say how.
apt_install() {
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing OS packages: $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    log "missing OS packages: $*"
    log "install them with: sudo apt-get install -y $*"
    exit 1
  fi
}

# wait_until SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
wait_until() {
  local limit=$(( $1 * 10 )); shift
  local i=0
  until "$@" >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -ge "$limit" ] && return 1
    sleep 0.1
  done
}
