#!/usr/bin/env bash
# The main job: builds liblightyear_conn and the C examples with CMake, then
# runs the C echo server and the C echo client against each other over UDP
# loopback (the client connects with a token from the token backend, sends
# payloads, checks every echo, and both exit).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
exec bash examples/c/run_echo_test.sh token build/examples/c build/demo
