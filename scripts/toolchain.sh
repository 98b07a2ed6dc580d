# Installs what building and testing Igniflo needs, skipping what is already
# there. Sourced by scripts/run and scripts/test; nothing here downloads a
# prebuilt binary (cargo-leptos is built with `no_downloads`).

set -euo pipefail

CARGO_LEPTOS_VERSION=0.3.10
SECANTUSDB_VERSION=0.7.0b3
# The SMTP server the email tests run (tests/smtp_receiver.py).
AIOSMTPD_VERSION=1.4.6
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

ensure_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

ensure_cargo_leptos() {
  if [ "$(cargo leptos --version 2>/dev/null | awk '{print $2}')" != "$CARGO_LEPTOS_VERSION" ]; then
    say "installing cargo-leptos $CARGO_LEPTOS_VERSION (compiles for 15-30 minutes, once)"
    cargo install cargo-leptos --version "$CARGO_LEPTOS_VERSION" --locked --features no_downloads
  fi
}

# wasm-bindgen-cli must be exactly the wasm-bindgen version in Cargo.lock;
# cargo-leptos uses whichever is first on PATH without checking.
ensure_wasm_bindgen() {
  local want
  want="$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")"
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "installing wasm-bindgen-cli $want"
    cargo install wasm-bindgen-cli --version "$want" --locked || cargo install wasm-bindgen-cli --version "$want" --force
  fi
}

# binaryen's wasm-opt (release builds), socket.io-client and standardwebhooks (tests).
ensure_node_tools() {
  if ! command -v npm >/dev/null; then
    say "installing Node.js and npm"
    apt_install nodejs npm
  fi
  if [ ! -x "$ROOT/node_modules/.bin/wasm-opt" ] || [ "$ROOT/package-lock.json" -nt "$ROOT/node_modules/.package-lock.json" ]; then
    say "installing npm packages (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

apt_updated=0
# As root, or through sudo where it is not (a CI runner's user).
apt_install() {
  local as_root=()
  if [ "$(id -u)" != 0 ]; then
    as_root=(sudo)
  fi
  if [ "$apt_updated" = 0 ]; then
    "${as_root[@]}" apt-get update -qq
    apt_updated=1
  fi
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_build_tools() {
  ensure_wasm_target
  ensure_node_tools
  ensure_cargo_leptos
  ensure_wasm_bindgen
}

# Debian's Chromium and Playwright (without its browser download).
ensure_browser_tests() {
  if ! command -v chromium >/dev/null; then
    say "installing Debian's chromium"
    apt_install chromium
  fi
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] || [ "$ROOT/end2end/package-lock.json" -nt "$ROOT/end2end/node_modules/.package-lock.json" ]; then
    say "installing Playwright (npm ci in end2end/)"
    (cd "$ROOT/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  fi
}

# SecantusDB, the MongoDB-wire-compatible server the MongoDB tests start, in
# the project-local virtualenv .venv (its wheel is built for CPython 3.11).
ensure_secantusdb() {
  if [ "$("$ROOT/.venv/bin/python" -c 'import importlib.metadata as m; print(m.version("SecantusDB"), m.version("aiosmtpd"))' 2>/dev/null)" != "$SECANTUSDB_VERSION $AIOSMTPD_VERSION" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
      say "installing Python's venv module"
      apt_install python3-venv
    fi
    say "installing SecantusDB $SECANTUSDB_VERSION and aiosmtpd $AIOSMTPD_VERSION into .venv"
    python3 -m venv "$ROOT/.venv"
    "$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check "SecantusDB==$SECANTUSDB_VERSION" "aiosmtpd==$AIOSMTPD_VERSION"
  fi
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
