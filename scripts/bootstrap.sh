#!/usr/bin/env bash
# Create the virtualenv and install the Python requirements (and the OS
# packages that building them needs).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

PYTHON="${PYTHON:-python3}"
ensure_packages "$PYTHON" python3 pkg-config pkg-config gcc gcc
# mysqlclient builds against the MariaDB/MySQL client headers.
if ! pkg-config --exists mysqlclient 2>/dev/null && ! pkg-config --exists mariadb 2>/dev/null; then
  apt_install default-libmysqlclient-dev
fi
if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  if ! "$PYTHON" -m venv .venv 2>/dev/null; then
    apt_install python3-venv
    "$PYTHON" -m venv .venv
  fi
fi
log "installing Python requirements"
.venv/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt 2>&1 | grep -v "is ignored" || true
.venv/bin/python -c "import django, MySQLdb, redis, celery" || { log "requirements did not install"; exit 1; }
