#!/usr/bin/env bash
# Build the config-sync Lambda's package: runtime_config's Django-free modules and the
# libraries it needs beyond the Lambda runtime's boto3 (redis, PyYAML), pinned as in
# requirements.txt. Writes $DATA_DIR/lambda/config-sync.zip (or the path given) and prints it.
#   scripts/package-lambda.sh [OUT.zip]        (make lambda-package)
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

out="${1:-$DATA_DIR/lambda/config-sync.zip}"
build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT

mkdir -p "$build/runtime_config" "$(dirname "$out")"
for module in __init__ formats schemas sync lambda_handler; do
  cp "runtime_config/$module.py" "$build/runtime_config/"
done
requirement() { grep -i "^$1==" requirements.txt; }
.venv/bin/pip install -q --disable-pip-version-check --no-deps --target "$build" \
  "$(requirement redis)" "$(requirement PyYAML)" 2>&1 | grep -v "is ignored" || true
rm -rf "$build"/*.dist-info "$build"/bin
find "$build" -name __pycache__ -prune -exec rm -rf {} +
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
rm -f "$out"
(cd "$build" && "$ROOT/.venv/bin/python" -m zipfile -c "$out" .)
echo "$out"
