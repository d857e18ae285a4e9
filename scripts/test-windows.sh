#!/usr/bin/env bash
# Windows x86_64, cross-built with mingw-w64 and tested under wine:
#   1. configures and builds with cmake/toolchains/windows-x86_64.cmake into
#      build-windows-x86_64 (lightyear_conn.dll, its MinGW and MSVC import
#      libraries, the C tests, the examples);
#   2. runs its ctest suite, every program under wine (tests/wine/run.sh,
#      the toolchain's CMAKE_CROSSCOMPILING_EMULATOR);
#   3. cross-compiles the Go tests of core/, steamworks/, capi/ and internal/ for
#      windows/amd64 and runs them under wine (go test -exec).
# Installs the Debian packages it needs when they are missing, and fails
# naming the package otherwise: a missing wine is a failure, never a skip.
#   bash scripts/test-windows.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=build-windows-x86_64
start=$(date +%s)

# command -> Debian package
need=(
  "x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64"
  "x86_64-w64-mingw32-g++ g++-mingw-w64-x86-64"
  "x86_64-w64-mingw32-dlltool binutils-mingw-w64-x86-64"
  "/usr/lib/wine/wine64 wine64"
)
have() { [ -x "$1" ] || command -v "$1" >/dev/null; }
missing=()
for pair in "${need[@]}"; do
  read -r cmd pkg <<<"$pair"
  have "$cmd" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  if ! { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"; }; then
    echo "test-windows: could not install the Debian packages: ${missing[*]}" >&2
    exit 1
  fi
  for pair in "${need[@]}"; do
    read -r cmd pkg <<<"$pair"
    have "$cmd" || { echo "test-windows: $cmd is still missing: install the Debian package $pkg" >&2; exit 1; }
  done
fi

echo "-- build ($build)"
cmake -S . -B "$build" -G Ninja -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/windows-x86_64.cmake >/dev/null
cmake --build "$build"

echo "-- wine prefix"
"$root/tests/wine/run.sh" --prepare

echo "-- ctest under wine"
ctest --test-dir "$build" -j2 --output-on-failure

# The Go tests load the Steam double as a DLL; under wine they cannot
# start the Linux compiler that builds it, so it is built here (see
# steamworks/internal/fakesteam).
echo "-- Go tests under wine"
fake="$root/$build/go-fakesteam"
mkdir -p "$fake/steam" "$fake/gns"
src=steamworks/testdata/fakesteam/fakesteam.c
flags=(-std=c11 -Wall -Wextra -Werror -shared -static -O1)
x86_64-w64-mingw32-gcc "${flags[@]}" -o "$fake/steam/fake_steam_api64.dll" "$src" -lpthread
x86_64-w64-mingw32-gcc "${flags[@]}" -DFAKESTEAM_GNS -o "$fake/gns/fake_GameNetworkingSockets.dll" "$src" -lpthread

# Valve's steam_api64.dll, as scripts/test.sh fetches libsteam_api.so:
# its symbols and clean init failures, under wine. Without npm it skips.
steam_api=
if command -v npm >/dev/null && steam_api=$(bash steamworks/testdata/fetch-steam-api.sh --win64); then
  :
else
  steam_api=
  echo "note: Valve's steam_api64.dll could not be fetched; TestRealLibrary will skip"
fi

GOOS=windows GOARCH=amd64 CGO_ENABLED=1 CC=x86_64-w64-mingw32-gcc CXX=x86_64-w64-mingw32-g++ \
  LIGHTYEAR_FAKESTEAM_DIR="$fake" LIGHTYEAR_STEAM_API_PATH="$steam_api" \
  go test -count=1 -exec "$root/tests/wine/run.sh" ./core/... ./steamworks/... ./capi/... ./internal/...

echo "-- Windows x86_64: done in $(($(date +%s) - start)) s"
