#!/usr/bin/env bash
# Runs Cybrid's official Python client against the simulator: installs the pinned client into a
# virtual environment under target/ (once), starts the simulator on a free loopback port,
# runs check.py against it, and stops it. Exits non-zero when any check fails.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
here="tests/cybrid_sdk"
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
venv="$target_dir/cybrid-sdk-venv"

# Reinstall only when the pins changed since the last install.
if ! cmp -s "$here/requirements.txt" "$venv/installed-requirements.txt" 2>/dev/null; then
  echo "installing the pinned Cybrid client into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/installed-requirements.txt"
fi

cargo build --quiet -p dossier-sim --example serve
out="$(mktemp)"
"$target_dir/debug/examples/serve" --seed 1 >"$out" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$out"' EXIT

# The first stdout line is {"url": "http://127.0.0.1:PORT"}.
for _ in $(seq 1 100); do
  [ -s "$out" ] && break
  kill -0 "$pid" 2>/dev/null || { echo "the simulator exited before it was ready" >&2; exit 1; }
  sleep 0.1
done
url="$(head -n 1 "$out" | python3 -c 'import json, sys; print(json.load(sys.stdin)["url"])')"

"$venv/bin/python" "$here/check.py" "$url"
