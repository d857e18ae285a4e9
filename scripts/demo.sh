#!/usr/bin/env bash
# The main job: builds liblightyear_conn and the C echo server, echo client
# and token backend with CMake (those targets only), then runs the echo
# server and the echo client against each other over UDP loopback (the
# client connects with a token from the token backend, sends payloads,
# checks every echo, and both exit), and says how to run them by hand.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target lightyear_conn_go echo_server echo_client token_backend
bash examples/c/run_echo_test.sh token build/examples/c build/demo
cat <<'HOW'

The demo's programs are in build/examples/c/ (the library: build/liblightyear_conn.so).
By hand, in one shell (the server stops after 60 s; --help lists each program's options):
  key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
  build/examples/c/echo_server --address 127.0.0.1:40000 --key "$key" --seconds 60 &
  build/examples/c/token_backend --address 127.0.0.1:40000 --key "$key" --out token.bin
  build/examples/c/echo_client --token-file token.bin
HOW
