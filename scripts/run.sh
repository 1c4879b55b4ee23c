#!/usr/bin/env bash
# Launches the Tocsin desktop app: installs what it needs, builds the UI, builds the app and the
# `tocsin` CLI (both in target/release/), and starts the app. Arguments are passed to the app
# (e.g. --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh run
(cd ui && npm run --silent build)
cargo build --release -p tocsin -p tocsin-desktop --features tocsin-desktop/custom-protocol
# Where cargo builds: CARGO_TARGET_DIR when set (CI may keep it outside the clone).
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
exec "$target/release/tocsin-desktop" "$@"
