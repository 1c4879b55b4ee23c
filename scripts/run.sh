#!/usr/bin/env bash
# Launches the Tocsin desktop app: installs what it needs, builds the UI, builds and starts the
# app. Arguments are passed to the app (e.g. --data-dir DIR).
set -euo pipefail
cd "$(dirname "$0")/.."

TOCSIN_SETUP_E2E=0 scripts/setup.sh
(cd ui && npm run --silent build)
cargo build --release -p tocsin-desktop --features custom-protocol
exec target/release/tocsin-desktop "$@"
