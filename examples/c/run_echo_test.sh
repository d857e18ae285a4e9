#!/usr/bin/env bash
# The example_echo tests: echo_server on a port the OS picks, then
# echo_client against it, with a token from token_backend ("token") or a
# token the client makes itself ("manual"). Passes iff the client gets all
# its echoes and the server then stops cleanly on SIGINT.
#
#   run_echo_test.sh token|manual BIN_DIR WORK_DIR
#
# LY_TEST_EMULATOR, when set, is the command that runs the programs (a
# cross build's CMAKE_CROSSCOMPILING_EMULATOR: qemu-aarch64-static -L
# /usr/aarch64-linux-gnu, or tests/wine/run.sh for Windows), with
# $LY_EXE_SUFFIX (.exe) after their names; SIGINT reaches the program
# through it.
set -u
mode=$1 bin=$2 work=$3
read -r -a emu <<<"${LY_TEST_EMULATOR:-}"
exe=${LY_EXE_SUFFIX:-}

rm -rf "$work" && mkdir -p "$work" || exit 1
# A fresh key and protocol id per run: a stray server from another run can
# never accept these clients.
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
protocol=$((0x10000 + $$))
server_pid=
trap 'echo "--- server log"; cat "$work/server.log" 2>/dev/null' EXIT

fail() {
    echo "FAIL: $*"
    [ -n "$server_pid" ] && kill -KILL "$server_pid" 2>/dev/null
    exit 1
}

# Port 0: the server binds a free port and prints it, so parallel runs
# cannot collide. --seconds bounds its life if this script dies.
"${emu[@]}" "$bin/echo_server$exe" --address 127.0.0.1:0 --key "$key" --protocol "$protocol" --seconds 20 \
    >"$work/server.log" 2>&1 &
server_pid=$!

address=
for _ in $(seq 100); do
    address=$(sed -n 's/^listening on //p' "$work/server.log" | head -n 1 | tr -d '\r') # Windows writes CRLF
    [ -n "$address" ] && break
    kill -0 "$server_pid" 2>/dev/null || fail "echo_server exited early"
    sleep 0.05
done
[ -n "$address" ] || fail "echo_server did not report its address"
echo "server on $address"

case $mode in
token)
    "${emu[@]}" "$bin/token_backend$exe" --client-id 7 --address "$address" --key "$key" --protocol "$protocol" \
        --user-data "example_echo" --out "$work/token" || fail "token_backend failed"
    "${emu[@]}" "$bin/echo_client$exe" --token-file "$work/token" --count 50 --size 300 --timeout 10
    ;;
manual)
    "${emu[@]}" "$bin/echo_client$exe" --address "$address" --client-id 8 --key "$key" --protocol "$protocol" \
        --count 50 --size 1200 --timeout 10
    ;;
*)
    fail "unknown mode $mode"
    ;;
esac
client_rc=$?

# Give the client's disconnect packets a moment to show in the log.
for _ in $(seq 40); do
    grep -q '^disconnected: ' "$work/server.log" && break
    sleep 0.05
done

kill -INT "$server_pid"
wait "$server_pid"
server_rc=$?
server_pid=

[ "$client_rc" -eq 0 ] || fail "echo_client exited $client_rc"
[ "$server_rc" -eq 0 ] || fail "echo_server exited $server_rc after SIGINT"
grep -q '^connected: ' "$work/server.log" || fail "the server never saw the client connect"
echo "PASS"
