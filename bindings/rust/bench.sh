#!/usr/bin/env bash
# Measures what a call into liblightyear_conn costs from Rust (raw lightyear-conn-sys and the
# safe wrapper): ly_client_send of 100 bytes while connected, ly_server_poll with nothing
# pending, and poll / poll_batch per event. Prints a table of ns per call.
#
#   bash bench.sh              1M iterations (about 15 s)
#   bash bench.sh --quick      a smoke run
#   bash bench.sh --iters N
#
# If the CMake build's C benchmark exists (build/tests/c/bench_ffi), it runs too, for the
# same rows from C.
set -euo pipefail
cd "$(dirname "$0")"
cargo bench --locked --offline -q -p lightyear-conn --bench ffi -- "$@"
c_bench=../../build/tests/c/bench_ffi
if [ -x "$c_bench" ]; then
  echo
  "$c_bench" "$@"
fi
