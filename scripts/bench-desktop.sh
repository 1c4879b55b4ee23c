#!/usr/bin/env bash
# The desktop benchmark (benches/desktop.rs): builds the app as users get it (release, ui/dist
# embedded) and the PagerDuty fake, then runs the bench on an Xvfb display and a session bus of
# its own, both stopped when it ends. It installs nothing: what is missing is named, with the
# command that installs it. `--debug` measures the debug build scripts/test.sh makes instead.
# Run by hand, not by scripts/test.sh: about five minutes once built, and its figures are timings.
set -euo pipefail
cd "$(dirname "$0")/.."

profile=release
case "${1:-}" in
  --debug) profile=debug ;;
  "") ;;
  *) echo "usage: scripts/bench-desktop.sh [--debug]" >&2; exit 2 ;;
esac

missing=()
for tool in Xvfb dbus-run-session dbus-daemon xwininfo WebKitWebDriver \
  "${TAURI_DRIVER:-tauri-driver}"; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -d ui/node_modules ] || missing+=("ui/node_modules")
if [ "${#missing[@]}" -gt 0 ]; then
  echo "bench-desktop: missing ${missing[*]}; scripts/setup.sh test installs them" >&2
  exit 1
fi

# The app embeds ui/dist at compile time, so the UI is built first: when it changed, since a
# new ui/dist makes cargo compile the app again.
changed=yes
if [ -f ui/dist/index.html ]; then
  changed=$(find ui/src ui/index.html ui/package-lock.json -newer ui/dist/index.html | head -n 1)
fi
[ -z "$changed" ] || (cd ui && npm run --silent build >/dev/null)
flag=()
[ "$profile" = release ] && flag=(--release)
cargo build --locked "${flag[@]}" -p tocsin-desktop --features custom-protocol
cargo build --locked "${flag[@]}" -p tocsin-fakes --bin pd-fake

target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
export TOCSIN_DESKTOP_BIN="$target/$profile/tocsin-desktop"
export TOCSIN_PD_FAKE_BIN="$target/$profile/pd-fake"

# A display of the bench's own: Xvfb picks a free number itself and writes it once it accepts
# connections, so nothing starts before the display is there.
work=$(mktemp -d)
Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$work/display" 2>/dev/null &
xvfb=$!
stop() { kill "$xvfb" 2>/dev/null || true; wait "$xvfb" 2>/dev/null || true; rm -rf "$work"; }
trap stop EXIT
for _ in $(seq 100); do
  [ -s "$work/display" ] && break
  kill -0 "$xvfb" 2>/dev/null || { echo "bench-desktop: Xvfb did not start" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/display" ] || { echo "bench-desktop: Xvfb gave no display" >&2; exit 1; }
export DISPLAY=":$(head -n 1 "$work/display")"
unset XAUTHORITY

# A session bus of its own too; the bench gives each launch yet another, so the single-instance
# plugin never finds an app of an earlier launch.
dbus-run-session -- cargo bench --locked --bench desktop
