#!/usr/bin/env bash
# Linux aarch64: cross-builds the library, its C tests and examples with
# Debian's aarch64 cross compilers (cmake/toolchains/linux-aarch64.cmake)
# into build-linux-aarch64, runs the ctest suite there under qemu-user,
# then the Go tests of core/, internal/, steamworks/ and capi/ cross-compiled
# for linux/arm64 and run under qemu-user (go test -exec).
#
# Installs the Debian packages it needs when they are missing and fails,
# naming the package, when one cannot be installed. About 4 minutes on 2
# CPUs, most of it the Go tests of core/ under emulation.
#
# Not run here: c_valgrind_quick (valgrind runs host binaries only; the
# ctest suite does not register it when cross-compiling), the race detector,
# cmd/lyload and cmd/lysoak, and steamworks' TestRealLibrary (Valve's
# library fetched by fetch-steam-api.sh is x86_64; the test says so).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh

sysroot=/usr/aarch64-linux-gnu
# What is needed, as "package:file that shows it is installed".
need=(
  "gcc-aarch64-linux-gnu:/usr/bin/aarch64-linux-gnu-gcc"
  "g++-aarch64-linux-gnu:/usr/bin/aarch64-linux-gnu-g++"
  "libc6-dev-arm64-cross:$sysroot/include/stdio.h"
  "qemu-user-static:/usr/bin/qemu-aarch64-static"
)
missing=()
for n in "${need[@]}"; do
  [ -e "${n#*:}" ] || missing+=("${n%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" || true
  for n in "${need[@]}"; do
    if [ ! -e "${n#*:}" ]; then
      echo "test-arm64: ${n#*:} is missing: install the Debian package ${n%%:*}" >&2
      exit 1
    fi
  done
fi

qemu=(qemu-aarch64-static -L "$sysroot")
start=$SECONDS

echo "-- CMake build (build-linux-aarch64)"
cmake -S . -B build-linux-aarch64 -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/linux-aarch64.cmake >/dev/null
cmake --build build-linux-aarch64

echo "-- ctest under qemu"
ctest --test-dir build-linux-aarch64 --output-on-failure

# -count=1: results of an earlier run are never reused. Pure Go needs no
# sysroot; the cgo packages load the aarch64 libc and build the fake Steam
# library with $CC.
echo "-- go test, linux/arm64 under qemu: core, internal"
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go test -count=1 -exec "qemu-aarch64-static" ./core/... ./internal/...

echo "-- go test, linux/arm64 under qemu: steamworks, capi (cgo)"
CGO_ENABLED=1 GOOS=linux GOARCH=arm64 CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
  go test -count=1 -exec "${qemu[*]}" ./steamworks/... ./capi

echo "-- linux aarch64: passed in $((SECONDS - start)) s"
