#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what is
# missing, then formatting and vet, the Go tests (fuzz seed corpora
# included) plain and under the race detector, a soak minute, the CMake
# build, the README code blocks (scripts/check-doc-snippets.sh), the Rust,
# C# and TypeScript bindings, the ctest suite (C API tests, examples, consumer projects),
# the same suite and the Go tests for Linux aarch64 under qemu and for
# Windows under wine, then the release packages (built and used as a user
# would).
#
# Every suite prints a line when it starts and one with its result and time
# when it ends, and "still running" every 15 s in between. A failed suite
# does not stop the run (a later one that needs it fails too); the last line
# lists every suite's result and "N passed, N failed", and the exit code is
# non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT

results=() passed=0 failed=0
# suite NAME COMMAND...: runs COMMAND in a subshell under set -e.
suite() {
  local name=$1 start=$SECONDS rc hb
  shift
  echo "== $name: start (at ${SECONDS} s)"
  ( while sleep 15; do echo "   .. $name: still running ($((SECONDS - start)) s)"; done ) &
  hb=$!
  ( set -euo pipefail; "$@" )
  rc=$?
  kill "$hb" 2>/dev/null; wait "$hb" 2>/dev/null
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1)); results+=("$name: ok")
    echo "== $name: passed in $((SECONDS - start)) s"
  else
    failed=$((failed + 1)); results+=("$name: FAILED")
    echo "== $name: FAILED (exit $rc) after $((SECONDS - start)) s"
  fi
}

tools() { bash scripts/ensure-tools.sh; go mod download; }

gofmt_check() {
  local unformatted
  unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './build/*'))
  if [ -n "$unformatted" ]; then
    echo "gofmt would change:"; echo "$unformatted"; return 1
  fi
}

# Valve's redistributable libsteam_api.so, from the npm package
# steamworks.js, into a cache outside the repository (never committed): the
# Steam tests check every symbol the backend resolves and the clean error
# of an init with no Steam client running. Without npm they skip.
fetch_steam_api() {
  if command -v npm >/dev/null && bash steamworks/testdata/fetch-steam-api.sh >"$state/steam_api"; then
    echo "libsteam_api.so: $(cat "$state/steam_api")"
  else
    rm -f "$state/steam_api"
    echo "note: Valve's libsteam_api.so could not be fetched; its tests will skip"
  fi
}

# Valve's open-source GameNetworkingSockets, built once from the crates.io
# crate's vendored source into a cache outside the repository (about 3
# minutes the first time): the Steam backend's tests against the real
# library over UDP on 127.0.0.1, and against a native GNS peer
# (tests/gns/). If it cannot be built they skip.
build_gns() {
  if bash steamworks/testdata/build-gns.sh >"$state/gns"; then
    echo "GameNetworkingSockets: $(cat "$state/gns")"
  else
    rm -f "$state/gns"
    echo "note: GameNetworkingSockets could not be built; the steamworks GNS tests will skip"
  fi
}

cmake_build() {
  cmake -S . -B build -G Ninja >/dev/null
  cmake --build build
}

suite "tools (ensure-tools.sh, go mod download)" tools
suite "gofmt" gofmt_check
suite "go vet" go vet ./...
suite "other platforms (vet-platforms.sh)" bash scripts/vet-platforms.sh
suite "Go example" go run ./examples/go/netcode-echo -duration 300ms
suite "token example (lytokens -dev, pinned fetch, connect)" bash examples/go/token-login/run.sh
suite "libsteam_api.so (npm steamworks.js)" fetch_steam_api
[ -s "$state/steam_api" ] && export LIGHTYEAR_STEAM_API_PATH="$(cat "$state/steam_api")"
suite "GameNetworkingSockets (build-gns.sh)" build_gns
[ -s "$state/gns" ] && export LIGHTYEAR_GNS_LIB="$(cat "$state/gns")/lib/libGameNetworkingSockets.so"
suite "go test -race" go test -count=1 -race -short ./...
suite "go test" go test -count=1 ./...
# One minute of the soak: churn, a server restart, 15 % loss each way
# (README.md, "Soak", has the 10-minute run).
suite "soak (1 minute, 128 clients)" go run ./cmd/lysoak -d 1m -n 128 -every 10s
suite "CMake build" cmake_build
# lyload's tests of the C-driven server skip under the go test above, run
# before build/bench/c/lyload_server existed.
suite "lyload ours-c (go test, after the CMake build)" go test -count=1 -run 'TestOursC|TestIdle|TestSyscalls' ./cmd/lyload
suite "Rust bindings (bindings/rust/test.sh)" env LIGHTYEAR_CONN_LIB_DIR="$PWD/build" bash bindings/rust/test.sh
suite "C# binding on Mono (bindings/csharp/test.sh)" bash bindings/csharp/test.sh
# The TypeScript client for browsers: netcode vectors, state machine, and a
# live run over UDP against a Go server (npm ci from the lockfile).
suite "TypeScript web client (bindings/web/test.sh)" bash bindings/web/test.sh
# After the C# suite, which installs Mono's compiler.
suite "README code blocks (check-doc-snippets.sh)" bash scripts/check-doc-snippets.sh
suite "ctest" ctest --test-dir build --output-on-failure
# The same C tests and the Go tests of core/, internal/, steamworks/ and
# capi/, cross-built for Linux aarch64 and run under qemu-user (installs
# the cross compilers and qemu-user-static when missing).
suite "Linux aarch64 (test-arm64.sh: cross, qemu)" bash scripts/test-arm64.sh
# The same library cross-built for Windows with mingw-w64: its ctest suite
# and the Go tests of core/, steamworks/ and capi/ under wine (installs the
# mingw and wine packages when missing, fails naming them otherwise).
suite "Windows x86_64 (test-windows.sh: mingw-w64, wine)" bash scripts/test-windows.sh
# The release packages as users get them (scripts/package.sh): the archive
# unpacked and linked by a C program, the UPM tarball's .meta files and
# plugins, the C# tests against the tarball's library; every platform
# PLATFORMS.md lists as built here.
suite "packages (package.sh, test-packages.sh)" bash -c 'bash scripts/package.sh && bash scripts/test-packages.sh'

summary=$(IFS=';'; echo "${results[*]}" | sed 's/;/; /g')
echo "== ${summary} -- $passed passed, $failed failed in ${SECONDS} s"
[ "$failed" -eq 0 ]
