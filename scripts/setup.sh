#!/usr/bin/env bash
# Installs what building, running and testing Tocsin needs on Debian/Ubuntu: system packages,
# tauri-driver for the end-to-end tests, and the UI's npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

# Build: WebKitGTK and friends. Run: the tray library. Test: a private D-Bus, a notification
# server mock, a real secret service, a real Alertmanager, Xvfb and the WebKit WebDriver.
packages=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev libssl-dev
  libayatana-appindicator3-1
  dbus dbus-daemon python3-dbusmock gnome-keyring
  prometheus-alertmanager
  xvfb xauth webkit2gtk-driver imagemagick
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

if [ "${TOCSIN_SETUP_E2E:-1}" = 1 ] && ! command -v tauri-driver >/dev/null; then
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
