#!/usr/bin/env bash
# Tests the packages scripts/package.sh wrote, as their users would use them:
#
#   - SHA256SUMS matches;
#   - each platform archive unpacks into a fresh prefix with its LICENSE files,
#     README and this tree's header, and a C program outside the project
#     (tests/consumer) builds against it with find_package and, on Linux,
#     with pkg-config, and runs: natively (linux-x86_64), under qemu-user
#     (linux-aarch64) or under wine (windows-x86_64, linked once through the
#     MinGW import library and once through the MSVC one); on linux-x86_64
#     the Rust -sys crate's tests link the archive's lib/ too;
#   - the UPM tarball unpacks to package/, and scripts/check_upm_package.py
#     finds package.json valid, a .meta for every file and folder and none
#     without its file, and each native plugin for the right CPU with the
#     right platform settings;
#   - the C# tests (a short subset) run on Mono against the library in the
#     unpacked tarball's Runtime/Plugins/Linux/x86_64/, the file Unity would
#     load.
#
#   bash scripts/test-packages.sh [--platforms LIST] [DIST]
#
# DIST defaults to dist/. The platforms are those dist/platforms.txt lists
# (what package.sh was asked to build), or LIST. A platform whose archive is
# missing fails, and so does a missing runner (qemu-user-static, wine64): a
# package that cannot be tested is a failure, never a skip.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

die() {
  echo "test-packages.sh: $*" >&2
  exit 1
}

DIST="$ROOT/dist"
platforms=()
while [ $# -gt 0 ]; do
  case "$1" in
    --platforms) [ $# -ge 2 ] || die "--platforms needs a list"; IFS=, read -r -a platforms <<<"$2"; shift 2 ;;
    --platforms=*) IFS=, read -r -a platforms <<<"${1#--platforms=}"; shift ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    -*) die "unknown option $1" ;;
    *) DIST="$(cd "$1" && pwd)"; shift ;;
  esac
done
[ -d "$DIST" ] || die "no $DIST: run scripts/package.sh first"
if [ ${#platforms[@]} -eq 0 ]; then
  [ -f "$DIST/platforms.txt" ] || die "no $DIST/platforms.txt: run scripts/package.sh first"
  mapfile -t platforms <"$DIST/platforms.txt"
fi
[ ${#platforms[@]} -gt 0 ] || die "no platform to test"

version_part() { sed -n "s/^#define LY_VERSION_$1 \([0-9][0-9]*\)\$/\1/p" include/lightyear_conn.h; }
VERSION="$(version_part MAJOR).$(version_part MINOR).$(version_part PATCH)"

# --- tools -----------------------------------------------------------------------
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package $2)"); }
need cmake cmake
need ninja ninja-build
need python3 python3
need sha256sum coreutils
for p in "${platforms[@]}"; do
  case "$p" in
    linux-x86_64) need cc gcc; need pkg-config pkg-config; need make make; need ldd libc-bin
                  need cargo "none: Rust from https://rustup.rs" ;;
    linux-aarch64) need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu; need qemu-aarch64-static qemu-user-static
                   need pkg-config pkg-config; need make make ;;
    windows-x86_64) need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64; need unzip unzip
                    [ -x tests/wine/run.sh ] || missing+=("tests/wine/run.sh (the wine runner of the Windows port) in this tree")
                    command -v wine64 >/dev/null 2>&1 || [ -x /usr/lib/wine/wine64 ] || missing+=("wine64 (Debian package wine64)") ;;
    *) die "unknown platform '$p'" ;;
  esac
done
if [ ${#missing[@]} -gt 0 ]; then
  printf 'test-packages.sh: missing, needed to test %s:\n' "${platforms[*]}" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "== checksums"
(cd "$DIST" && sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS does not match $DIST"
for p in "${platforms[@]}"; do
  case "$p" in windows-*) a="lightyear_conn-$VERSION-$p.zip" ;; *) a="lightyear_conn-$VERSION-$p.tar.gz" ;; esac
  [ -f "$DIST/$a" ] || die "$a is missing from $DIST (platforms: ${platforms[*]})"
  grep -q "  $a\$" "$DIST/SHA256SUMS" || die "$a is not in SHA256SUMS"
done
grep -q "  com.lightyear.conn-$VERSION.tgz\$" "$DIST/SHA256SUMS" || die "com.lightyear.conn-$VERSION.tgz is not in SHA256SUMS"

# run_on PLATFORM PROGRAM [ARGS]: runs a program built for PLATFORM here.
run_on() {
  local p="$1"
  shift
  case "$p" in
    linux-x86_64) "$@" ;;
    linux-aarch64) qemu-aarch64-static -L /usr/aarch64-linux-gnu "$@" ;;
    windows-x86_64) tests/wine/run.sh "$@" ;;
  esac
}

# --- C consumers against each unpacked archive ---------------------------------------
test_archive() { # PLATFORM
  local p="$1" name="lightyear_conn-$VERSION-$1" top="$WORK/$1"
  echo "== $p: unpack, build tests/consumer against it, run"
  mkdir -p "$top"
  case "$p" in
    windows-*) unzip -q "$DIST/$name.zip" -d "$top" ;;
    *) tar xzf "$DIST/$name.tar.gz" -C "$top" ;;
  esac
  [ "$(ls "$top")" = "$name" ] || die "$p: the archive's top folder is not $name/ ($(ls "$top" | tr '\n' ' '))"
  local prefix="$top/$name"
  for f in LICENSE-MIT LICENSE-APACHE THIRD_PARTY_NOTICES.md README.md include/lightyear_conn.h; do
    [ -f "$prefix/$f" ] || die "$p: the archive lacks $f"
  done
  cmp -s LICENSE-MIT "$prefix/LICENSE-MIT" && cmp -s LICENSE-APACHE "$prefix/LICENSE-APACHE" ||
    die "$p: the archive's LICENSE files are not this tree's"
  cmp -s include/lightyear_conn.h "$prefix/include/lightyear_conn.h" || die "$p: the archive's header is not this tree's"

  # find_package, as a CMake user would: only this prefix may satisfy it.
  local toolchain=()
  [ "$p" = linux-x86_64 ] || toolchain=("-DCMAKE_TOOLCHAIN_FILE=$ROOT/cmake/toolchains/$p.cmake")
  local build="$top/consumer-cmake"
  cmake -S tests/consumer/find_package -B "$build" -G Ninja "${toolchain[@]}" \
    "-DCMAKE_PREFIX_PATH=$prefix" \
    -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF >"$top/cmake.log" 2>&1 ||
    { cat "$top/cmake.log" >&2; die "$p: find_package(lightyear_conn) from the archive failed"; }
  cmake --build "$build" >"$top/build.log" 2>&1 || { cat "$top/build.log" >&2; die "$p: the consumer did not build"; }

  case "$p" in
    linux-*)
      # Found through the build's RPATH into the unpacked lib/, nothing else.
      if [ "$p" = linux-x86_64 ]; then
        (unset LD_LIBRARY_PATH; ldd "$build/consumer") >"$top/ldd.txt"
        grep -q "liblightyear_conn\.so\.[0-9]* => $prefix/lib/" "$top/ldd.txt" ||
          { cat "$top/ldd.txt" >&2; die "$p: the consumer does not load the archive's library"; }
      fi
      (unset LD_LIBRARY_PATH; run_on "$p" "$build/consumer") || die "$p: the find_package consumer failed"

      # pkg-config, as a Makefile user would.
      local pcbuild="$top/consumer-pkgconfig" cc=cc
      [ "$p" = linux-aarch64 ] && cc=aarch64-linux-gnu-gcc
      mkdir -p "$pcbuild"
      PKG_CONFIG_PATH="$prefix/lib/pkgconfig" PKG_CONFIG_LIBDIR="$prefix/lib/pkgconfig" \
        make -s -C "$pcbuild" -f "$ROOT/tests/consumer/pkgconfig/Makefile" "SRCDIR=$ROOT/tests/consumer/pkgconfig" "CC=$cc" ||
        die "$p: the pkg-config consumer did not build"
      LD_LIBRARY_PATH="$prefix/lib" run_on "$p" "$pcbuild/consumer" || die "$p: the pkg-config consumer failed"

      # Rust: lightyear-conn-sys links the archive's lib/ (LIGHTYEAR_CONN_LIB_DIR) and its
      # ABI tests run against it. Only here: the host's target.
      if [ "$p" = linux-x86_64 ]; then
        echo "-- Rust: cargo test -p lightyear-conn-sys with LIGHTYEAR_CONN_LIB_DIR=<archive>/lib"
        (cd bindings/rust && LIGHTYEAR_CONN_LIB_DIR="$prefix/lib" CARGO_TARGET_DIR="$top/cargo" \
           cargo test -q --offline --locked -p lightyear-conn-sys >"$top/cargo.log" 2>&1) ||
          { cat "$top/cargo.log" >&2; die "$p: lightyear-conn-sys did not link or pass its tests against the archive"; }
        local abi
        abi=$(find "$top/cargo/debug/deps" -maxdepth 1 -type f -executable -name 'abi-*' | head -n 1)
        (unset LD_LIBRARY_PATH; ldd "$abi") >"$top/ldd-rust.txt"
        grep -q "liblightyear_conn\.so\.[0-9]* => $prefix/lib/" "$top/ldd-rust.txt" ||
          { cat "$top/ldd-rust.txt" >&2; die "$p: the Rust tests did not load the archive's library"; }
      fi ;;
    windows-*)
      # Windows finds a DLL beside the program first.
      cp "$prefix/bin/lightyear_conn.dll" "$build/"
      run_on "$p" "$build/consumer.exe" || die "$p: the find_package consumer (MinGW import library) failed under wine"
      # The MSVC import library (dlltool's, from the .def) links and runs too.
      local msvc="$top/consumer-msvc-implib"
      mkdir -p "$msvc"
      x86_64-w64-mingw32-gcc -std=c99 -Wall -Wextra -Werror -I "$prefix/include" tests/consumer/consumer.c \
        "$prefix/lib/lightyear_conn.lib" -o "$msvc/consumer.exe" || die "$p: linking lib/lightyear_conn.lib failed"
      cp "$prefix/bin/lightyear_conn.dll" "$msvc/"
      run_on "$p" "$msvc/consumer.exe" || die "$p: the consumer linked with lightyear_conn.lib failed under wine" ;;
  esac
}

for p in "${platforms[@]}"; do
  test_archive "$p"
done

# --- the UPM tarball -------------------------------------------------------------
echo "== com.lightyear.conn-$VERSION.tgz: layout, package.json, .meta files, plugins"
upm="$WORK/upm"
mkdir -p "$upm"
tgz="$DIST/com.lightyear.conn-$VERSION.tgz"
[ -f "$tgz" ] || die "com.lightyear.conn-$VERSION.tgz is missing from $DIST"
outside=$(tar tzf "$tgz" | grep -v '^package/' || true)
[ -z "$outside" ] || die "the UPM tarball has entries outside package/: $outside"
tar xzf "$tgz" -C "$upm"
python3 scripts/check_upm_package.py "$upm/package" "$VERSION" "${platforms[@]}"

# --- C# on Mono against the tarball's Linux x86_64 library -----------------------------
case " ${platforms[*]} " in
  *" linux-x86_64 "*)
    # The whole suite, as Unity would load the plugin; the host-runtime and
    # GC stresses shortened (they ran in full against the build already).
    echo "== C# tests on Mono, loading package/Runtime/Plugins/Linux/x86_64/liblightyear_conn.so"
    LIGHTYEAR_LIB_DIR="$upm/package/Runtime/Plugins/Linux/x86_64" LIGHTYEAR_CS_HOST_RUNS=2 \
      LIGHTYEAR_CS_STRESS_SECONDS=1 bash bindings/csharp/test.sh ||
      die "the C# tests failed against the tarball's library" ;;
  *)
    echo "note: linux-x86_64 was not packaged: the C# tests, which run on this machine, have no library to load" ;;
esac

echo "test-packages.sh: ${platforms[*]} and the UPM tarball pass"
