#!/usr/bin/env bash
# Installs what Tocsin needs on Debian/Ubuntu: `scripts/setup.sh run` what building and
# running it takes; `scripts/setup.sh test` also what the test suite takes (servers the tests
# start themselves, Xvfb, the WebKit WebDriver and tauri-driver). Then the UI's npm
# dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-test}"

# Build: WebKitGTK and friends, D-Bus and TLS headers. Run: the tray library.
packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev libssl-dev
  libayatana-appindicator3-1
)
# Test: a private D-Bus, a notification server mock, a real secret service, a real
# Alertmanager, Xvfb, the WebKit WebDriver, ImageMagick for screenshots, and xwininfo for the
# desktop bench (scripts/bench-desktop.sh).
if [ "$mode" = test ]; then
  packages+=(
    dbus dbus-daemon python3-dbusmock gnome-keyring
    prometheus-alertmanager
    xvfb xauth webkit2gtk-driver imagemagick x11-utils
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq \
    "${missing[@]}" >/dev/null
fi

if [ "$mode" = test ] && ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

# npm ci only when the lock file changed since the last install.
stamp=ui/node_modules/.tocsin-lock
if [ ! -f "$stamp" ] || ! cmp -s ui/package-lock.json "$stamp"; then
  echo "setup: installing UI dependencies"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
  cp ui/package-lock.json "$stamp"
fi
