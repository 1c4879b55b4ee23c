#!/usr/bin/env bash
# Builds the Linux .deb (the UI embedded) and prints its path on the last line: a release build,
# or with `--debug` the debug build the tests already compiled (what CI installs and starts).
# The release workflow builds every platform's release packages.
set -euo pipefail
cd "$(dirname "$0")/.."

(cd ui && npm run --silent build)
# --ci: no prompts. Without the updater's private key the bundler makes no update artifacts;
# the release workflow turns them on.
profile=release
args=(--bundles deb --ci)
if [ "${1:-}" = --debug ]; then
  profile=debug
  args+=(--debug)
fi
ui/node_modules/.bin/tauri build "${args[@]}" >&2

target="${CARGO_TARGET_DIR:-target}"
deb=$(ls -t "$target/$profile"/bundle/deb/*.deb | head -n 1)
echo "$deb"
