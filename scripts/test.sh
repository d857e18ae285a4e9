#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what is
# missing, then formatting and vet, the Go tests (fuzz seed corpora
# included) plain and under the race detector, the Rust and C# bindings,
# the CMake build with its ctest suite (C API tests, examples, consumer
# projects), the same suite and the Go tests for Linux aarch64 under qemu,
# then the release packages (built and used as a user would).
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says when it starts (seconds since the start), so a slow step
# shows in the log; the last line is the verdict.
step() { echo "== $1 (at ${SECONDS} s)"; }
bash scripts/ensure-tools.sh
go mod download

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './build/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

step "go vet"
go vet ./...

step "other platforms (vet)"
bash scripts/vet-platforms.sh

step "Go example"
go run ./examples/go/netcode-echo -duration 300ms

# Valve's redistributable libsteam_api.so, from the npm package
# steamworks.js, into a cache outside the repository (never committed): the
# Steam tests check every symbol the backend resolves and the clean error
# of an init with no Steam client running. Without npm they skip.
if command -v npm >/dev/null && steam_api=$(bash steamworks/testdata/fetch-steam-api.sh); then
  export LIGHTYEAR_STEAM_API_PATH="$steam_api"
else
  echo "note: Valve's libsteam_api.so could not be fetched; its tests will skip"
fi

# Valve's open-source GameNetworkingSockets, built once from the crates.io
# crate's vendored source into a cache outside the repository (about 3
# minutes the first time): the Steam backend's tests against the real
# library over UDP on 127.0.0.1, and against a native GNS peer
# (tests/gns/). If it cannot be built they skip.
step "GameNetworkingSockets (steamworks/testdata/build-gns.sh)"
if gns=$(bash steamworks/testdata/build-gns.sh); then
  export LIGHTYEAR_GNS_LIB="$gns/lib/libGameNetworkingSockets.so"
else
  echo "note: GameNetworkingSockets could not be built; the steamworks GNS tests will skip"
fi

step "go test -race"
go test -count=1 -race -short ./...

step "go test"
go test -count=1 ./...

# One minute of the soak: churn, a server restart, 15 % loss each way
# (README.md, "Soak", has the 10-minute run).
step "soak (1 minute, 128 clients)"
go run ./cmd/lysoak -d 1m -n 128 -every 10s

step "CMake build"
cmake -S . -B build -G Ninja >/dev/null
cmake --build build

# lyload's tests of the C-driven server skip under the go test above, run
# before build/bench/c/lyload_server existed.
step "lyload ours-c (go test, after the CMake build)"
go test -count=1 -run 'TestOursC|TestIdle|TestSyscalls' ./cmd/lyload

step "Rust bindings (cargo test)"
LIGHTYEAR_CONN_LIB_DIR="$PWD/build" bash bindings/rust/test.sh

step "C# binding (Mono)"
bash bindings/csharp/test.sh

step "ctest"
ctest --test-dir build --output-on-failure

# The same C tests and the Go tests of core/, internal/, steamworks/ and
# capi/, cross-built for Linux aarch64 and run under qemu-user (installs
# the cross compilers and qemu-user-static when missing).
step "Linux aarch64 (cross, qemu)"
bash scripts/test-arm64.sh

# The same library cross-built for Windows with mingw-w64: its ctest suite
# and the Go tests of core/, steamworks/ and capi/ under wine (installs the mingw
# and wine packages when missing, fails naming them otherwise).
step "Windows x86_64 (mingw-w64, wine)"
bash scripts/test-windows.sh

# The release packages as users get them (scripts/package.sh): the archive
# unpacked and linked by a C program, the UPM tarball's .meta files and
# plugins, the C# tests against the tarball's library; every platform
# PLATFORMS.md lists as built here.
step "packages (scripts/package.sh, scripts/test-packages.sh)"
bash scripts/package.sh
bash scripts/test-packages.sh

echo "== all tests passed in ${SECONDS} s"
