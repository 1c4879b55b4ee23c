#!/usr/bin/env bash
# The whole test suite: formatting, lints, core and integration tests against real servers
# (Alertmanager, D-Bus notification server, secret service), the UI's unit tests, binding
# drift, the desktop app driven end to end through WebDriver under Xvfb, and the .deb built,
# installed and started from its installed path.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "setup"
scripts/setup.sh test

# The desktop crate embeds ui/dist at compile time, so the UI is built before any cargo step.
step "UI lint, unit tests and build"
(cd ui && npm run --silent lint && npm test --silent && npm run --silent build)

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "bindings are up to date"
cargo test --locked -p tocsin --lib export_bindings -q >/dev/null
cargo test --locked -p tocsin-desktop --lib export_bindings -q >/dev/null
if git rev-parse --git-dir >/dev/null 2>&1 && ! git diff --quiet -- ui/src/bindings; then
  git --no-pager diff --stat -- ui/src/bindings
  echo "ui/src/bindings drifted from the Rust types: commit the regenerated files" >&2
  exit 1
fi

# No test may reach the real update server: should anything check, it meets a closed port.
export TOCSIN_UPDATE_URL="http://127.0.0.1:9/updates"
step "core, CLI and integration tests"
cargo test --workspace --locked

step "desktop end to end (WebDriver, Xvfb, private D-Bus)"
cargo build --locked -p tocsin-desktop --features custom-protocol
cargo build --locked -p tocsin-fakes --bin pd-fake
# Where cargo builds: CARGO_TARGET_DIR when set (CI may keep it outside the clone).
target="${CARGO_TARGET_DIR:-target}"
case "$target" in /*) ;; *) target="$PWD/$target" ;; esac
export TOCSIN_DESKTOP_BIN="$target/debug/tocsin-desktop"
export TOCSIN_PD_FAKE_BIN="$target/debug/pd-fake"
export TOCSIN_CLI_BIN="$target/debug/tocsin"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  cargo test --locked -p tocsin-desktop --features custom-protocol --test e2e -- \
    --ignored --test-threads=1 --skip the_installed_package

step "the .deb: built, installed, started from its installed path, removed"
# The debug build the tests compiled, packaged: what is checked is the package, not the profile.
deb=$(scripts/package.sh --debug | tail -n 1)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(realpath "$deb")" >/dev/null
remove_package() { $sudo env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq tocsin >/dev/null; }
trap remove_package EXIT
installed=$(dpkg -L tocsin | grep -E '^/usr/bin/' | head -n 1)
# The package registers tocsin:// links with the desktop, and hands the link to the app.
desktop_file=$(dpkg -L tocsin | grep -E '\.desktop$')
grep -q '^MimeType=x-scheme-handler/tocsin;' "$desktop_file"
grep -q '^Exec=.* %u$' "$desktop_file"
export TOCSIN_INSTALLED_BIN="$installed"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  cargo test --locked -p tocsin-desktop --features custom-protocol --test e2e -- \
    --ignored --exact the_installed_package_starts_and_welcomes
