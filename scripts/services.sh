#!/usr/bin/env bash
# Stop every redis-server and MariaDB these scripts started under .data/, whatever the port.
#   scripts/services.sh stop     (make services-stop)
#   scripts/services.sh purge    stop, then delete the MariaDB folders kept outside .data/
#                                 (see mariadb.sh; make clean)
source "$(dirname "$0")/lib.sh"

action="${1:-stop}"
case "$action" in
  stop|purge) ;;
  *) log "usage: $0 stop|purge"; exit 2 ;;
esac
shopt -s nullglob
for dir in "$DATA_DIR"/redis-*; do
  "$ROOT/scripts/redis.sh" stop "${dir##*/redis-}" || true
done
for dir in "$DATA_DIR"/mariadb-*; do
  "$ROOT/scripts/mariadb.sh" stop "${dir##*/mariadb-}" || true
  # Follow only the links mariadb.sh makes, into its own folder.
  if [ "$action" = purge ] && [ -L "$dir" ]; then
    target="$(readlink "$dir")"
    case "$target" in /var/lib/shop-mariadb/*) rm -rf "$target" ;; esac
    rm -f "$dir"
  fi
done
