#!/usr/bin/env bash
# bindings/csharp/test.sh - builds and tests the C# binding on Mono.
#
#   bash bindings/csharp/test.sh            build, then run every test
#   bash bindings/csharp/test.sh NAME...    run only the tests whose name contains NAME
#   bash bindings/csharp/test.sh --bench    build, then benchmark (ns per Send / PollEvent, next to C's bench_ffi)
#
# Installs Mono's C# compiler and runtime from apt if missing, builds the
# native library with CMake if build/liblightyear_conn.so (or the C example
# programs the tests talk to) is missing, and the Steam test double
# (target fakesteam: build/tests/c/fakesteam/libsteam_api.so) if that is
# missing, compiles the binding from
# com.lightyear.conn/Runtime (the same sources Unity compiles), the tests,
# the Echo example and the benchmark into bin/, and runs them with
# LD_LIBRARY_PATH pointing at the native build. The last line is
# "N passed, N failed"; the exit code is non-zero on any failure.
#
# The token-fetch tests start tests/fleet_fixture.sh: a redis-server and
# two lytokens replicas (built with go) over TLS made with openssl; they need
# redis-server, openssl, python3 and go (scripts/ensure-tools.sh installs them).
#
# Environment: LIGHTYEAR_BUILD_DIR (default <repo>/build),
# LIGHTYEAR_LIB_DIR (the directory of the liblightyear_conn.so the tests
# load, default LIGHTYEAR_BUILD_DIR: scripts/test-packages.sh points it at
# the Plugins folder of the unpacked UPM tarball; the C programs the tests
# start still come from the build),
# LIGHTYEAR_CS_STRESS_SECONDS (GC stress test length, default 3),
# LIGHTYEAR_CS_HOST_RUNS and LIGHTYEAR_CS_HOST_SECONDS (host runtime test:
# runs per Mono suspend mode, default 5 (20 is the bar of issue 13), and
# seconds per run, default 1; a hang prints every thread's stack through gdb).
set -u -o pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${LIGHTYEAR_BUILD_DIR:-$ROOT/build}"
OUT="$HERE/bin"
RUNTIME="$HERE/com.lightyear.conn/Runtime"
# C# 7.2 is the newest mcs knows; it is a subset of the C# 8/9 Unity 2021.3 compiles.
MCS_FLAGS=(-langversion:7.2 -unsafe -optimize+ -debug- -nologo -warnaserror+)

mode=test
args=()
for a in "$@"; do
    case "$a" in
        --bench) mode=bench ;;
        -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
        *) args+=("$a") ;;
    esac
done

fail() {
    echo "test.sh: $*" >&2
    echo "0 passed, 1 failed"
    exit 1
}

# --- Mono ------------------------------------------------------------------
if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1; then
    echo "== installing Mono (mono-mcs, mono-runtime)"
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq mono-mcs mono-runtime >/dev/null ||
        fail "could not install mono-mcs and mono-runtime"
fi
# gdb prints the native stacks of a hung host-runtime run (Tests.cs).
if ! command -v gdb >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq gdb >/dev/null ||
        fail "could not install gdb"
fi
echo "== $(mono --version | head -1)"

# --- native library and the C programs the tests use -----------------------
need_cmake() {
    if ! command -v cmake >/dev/null 2>&1 || ! command -v ninja >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq cmake ninja-build pkg-config >/dev/null ||
            fail "could not install cmake and ninja"
    fi
}
if [ ! -e "$BUILD/liblightyear_conn.so" ] || [ ! -x "$BUILD/examples/c/token_backend" ] ||
   [ ! -x "$BUILD/examples/c/echo_server" ] || { [ "$mode" = bench ] && [ ! -x "$BUILD/tests/c/bench_ffi" ]; }; then
    echo "== building the native library in $BUILD"
    need_cmake
    if [ -f "$BUILD/CMakeCache.txt" ]; then
        cmake --build "$BUILD" || fail "native build failed"
    else
        { cmake -S "$ROOT" -B "$BUILD" -G Ninja && cmake --build "$BUILD"; } || fail "native build failed"
    fi
fi
# The Steam tests load the test double of Valve's flat API that the C tests build.
if [ "$mode" = test ] && [ ! -e "$BUILD/tests/c/fakesteam/libsteam_api.so" ]; then
    echo "== building the Steam test double (target fakesteam) in $BUILD"
    need_cmake
    cmake --build "$BUILD" --target fakesteam || fail "could not build the fakesteam target"
fi

# --- compile -----------------------------------------------------------------
mkdir -p "$OUT"
echo "== compiling the binding, tests, example and benchmark with mcs ${MCS_FLAGS[*]}"
mcs "${MCS_FLAGS[@]}" -target:library -out:"$OUT/Lightyear.Conn.dll" "$RUNTIME"/*.cs ||
    fail "the binding does not compile"
mcs "${MCS_FLAGS[@]}" -out:"$OUT/Lightyear.Conn.Tests.exe" -r:"$OUT/Lightyear.Conn.dll" -r:System.Core.dll "$HERE"/tests/*.cs ||
    fail "the tests do not compile"
mcs "${MCS_FLAGS[@]}" -out:"$OUT/Lightyear.Conn.HostStress.exe" -r:"$OUT/Lightyear.Conn.dll" "$HERE"/tests/hoststress/*.cs ||
    fail "the host stress program does not compile"
mcs "${MCS_FLAGS[@]}" -out:"$OUT/Echo.exe" -r:"$OUT/Lightyear.Conn.dll" "$HERE"/examples/Echo/*.cs ||
    fail "the Echo example does not compile"
mcs "${MCS_FLAGS[@]}" -out:"$OUT/Lightyear.Conn.Bench.exe" -r:"$OUT/Lightyear.Conn.dll" "$HERE"/bench/*.cs ||
    fail "the benchmark does not compile"
cc -std=c99 -Wall -Werror -I"$ROOT/include" "$HERE/tests/layout.c" -o "$OUT/layout" && "$OUT/layout" >"$OUT/layout.txt" ||
    fail "tests/layout.c failed"

# Mono maps DllImport("lightyear_conn") to liblightyear_conn.so on the
# library path by itself; no .dll.config dllmap is needed. Only LIB is put
# first: a LIB without the library must fail, not load another copy
# (VersionCheck reads which file was mapped).
LIB="${LIGHTYEAR_LIB_DIR:-$BUILD}"
[ -e "$LIB/liblightyear_conn.so" ] || fail "no liblightyear_conn.so in $LIB"
LIB="$(cd "$LIB" && pwd -P)"
echo "== native library: $LIB/liblightyear_conn.so"
export LD_LIBRARY_PATH="$LIB${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export LIGHTYEAR_LIB_DIR="$LIB"
export LIGHTYEAR_ROOT="$ROOT"
export LIGHTYEAR_BUILD_DIR="$BUILD"

if [ "$mode" = bench ]; then
    cres="$OUT/bench_ffi.txt"
    echo "== C: $BUILD/tests/c/bench_ffi"
    "$BUILD/tests/c/bench_ffi" | tee "$cres" || fail "bench_ffi failed"
    echo
    echo "== C#: mono Lightyear.Conn.Bench.exe"
    mono "$OUT/Lightyear.Conn.Bench.exe" --c-results "$cres" "${args[@]}"
    exit $?
fi

echo "== running tests"
# A hung test must not hang the script: a generous limit, plus the stress time.
stress="${LIGHTYEAR_CS_STRESS_SECONDS:-3}"
stress="${stress%.*}"
limit=$((900 + ${stress:-0}))
cd "$OUT" || fail "no $OUT"
timeout --kill-after=10 "$limit" mono --debug Lightyear.Conn.Tests.exe "${args[@]}" 2>&1 | tee "$OUT/test.log"
rc=${PIPESTATUS[0]}
# The runner prints the summary itself; if it died (a crash, the time limit), say so in the same form.
if ! tail -n 1 "$OUT/test.log" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
    echo "test.sh: the test runner died (exit $rc) before finishing" >&2
    echo "$(grep -c '^PASS ' "$OUT/test.log") passed, $(( $(grep -c '^FAIL ' "$OUT/test.log") + 1 )) failed"
    exit 1
fi
exit "$rc"
