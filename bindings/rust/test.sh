#!/usr/bin/env bash
# Tests of the Rust bindings (bindings/rust): the ABI check of lightyear-conn-sys against
# include/lightyear_conn.h (compiled with the system C compiler), the safe API, interop with
# netcode-official (the upstream Rust port of netcode.io), the Bevy plugin, and the headless
# Bevy example, run as a program at the end. The Steam tests (lightyear-conn/tests/steam.rs)
# compile the repository's test double of Valve's flat API with the system C compiler.
#
# Needs cargo (Rust 1.95+, for bevy_ecs 0.20), Go 1.26+ and a C compiler. The -sys build
# script builds liblightyear_conn with `go build -buildmode=c-shared ./capi` into cargo's
# OUT_DIR, so a clean clone without build/ works; set LIGHTYEAR_CONN_LIB_DIR=/path/to/build
# to link a prebuilt library instead.
#
# Network is needed once, to fetch crates (`cargo fetch`, done here when something is
# missing) and Go modules; every cargo command after that runs with --offline.
set -euo pipefail
cd "$(dirname "$0")"

for tool in cargo go cc; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "test.sh: '$tool' is required but not found" >&2
    exit 1
  fi
done

if ! cargo fetch --locked --offline >/dev/null 2>&1; then
  echo "== cargo fetch (first run: downloads the crates in Cargo.lock)"
  cargo fetch --locked
fi

echo "== cargo test --workspace"
cargo test --workspace --locked --offline

echo "== cargo run --example headless (lightyear-conn-bevy)"
cargo run --locked --offline -q -p lightyear-conn-bevy --example headless > target/headless.log 2>&1 || {
  cat target/headless.log
  echo "test.sh: the headless example failed" >&2
  exit 1
}
grep -E '^(server listening|client: got "pong: ping 5"|done after)' target/headless.log
echo "headless example: exit 0"
