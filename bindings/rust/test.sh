#!/usr/bin/env bash
# Tests of the Rust bindings (bindings/rust): the ABI check of lightyear-conn-sys against
# include/lightyear_conn.h (compiled with the system C compiler), the safe API, interop with
# netcode-official (the upstream Rust port of netcode.io), the Bevy plugins, and the Bevy
# server and client examples, run with `cargo run` as two processes at the end. The Steam tests (lightyear-conn/tests/steam.rs)
# compile the repository's test double of Valve's flat API with the system C compiler.
#
# Needs cargo (Rust 1.95+, for bevy_ecs 0.20.1), Go 1.26+ and a C compiler. The -sys build
# script builds liblightyear_conn with `go build -buildmode=c-shared ./capi` into cargo's
# OUT_DIR, so a clean clone without build/ works; set LIGHTYEAR_CONN_LIB_DIR=/path/to/build
# to link a prebuilt library instead.
#
# The token-fetch tests (lightyear-conn/tests/fetch.rs, lightyear-conn-bevy/tests/fetch.rs) start
# tests/fleet_fixture.sh: a redis-server and two lytokens replicas over TLS; they need redis-server,
# openssl and python3 (scripts/ensure-tools.sh installs them).
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

echo "== cargo run --example server / --example client (lightyear-conn-bevy), two processes"
cargo build --locked --offline -q -p lightyear-conn-bevy --example server --example client
log=target/bevy-server.log
cargo run --locked --offline -q -p lightyear-conn-bevy --example server -- \
  --bind 127.0.0.1:0 --exit-after 2 --timeout 30 > "$log" 2>&1 &
server=$!
for _ in $(seq 200); do grep -q '^listening' "$log" && break; sleep 0.1; done
read -r _ addr _ key < <(grep -m1 '^listening' "$log") || { cat "$log"; echo "test.sh: no server" >&2; exit 1; }
cargo run --locked --offline -q -p lightyear-conn-bevy --example client -- \
  --server "$addr" --key "$key" --clients 2 --pings 3 --timeout 30 | grep -E '^(client 2 got "ping 3|all 2 clients done)'
wait "$server" || { cat "$log"; echo "test.sh: the server example failed" >&2; exit 1; }
grep '^served 2 clients' "$log"
