#!/usr/bin/env bash
# Builds the release packages of every platform this machine can build and
# writes dist/:
#
#   lightyear_conn-<version>-linux-x86_64.tar.gz    the library (.so with its
#   lightyear_conn-<version>-linux-aarch64.tar.gz   SONAME link), header, CMake
#                                                   package, pkg-config file
#   lightyear_conn-<version>-windows-x86_64.zip     the DLL, MinGW and MSVC
#                                                   import libraries, .def,
#                                                   header, CMake package
#   com.lightyear.conn-<version>.tgz                the Unity package (UPM
#                                                   tarball, npm-pack layout)
#                                                   with the native libraries
#   SHA256SUMS, platforms.txt                       checksums; what was packaged
#
# Each archive holds one top folder lightyear_conn-<version>-<platform>/ with
# LICENSE-MIT, LICENSE-APACHE and a README. scripts/test-packages.sh tests
# what this wrote.
#
#   bash scripts/package.sh                      every platform
#   bash scripts/package.sh --platforms linux-x86_64[,linux-aarch64,...]
#
# It stops at the first missing tool, naming the Debian package to install,
# before building anything. Everything is built in a temporary folder and
# moved to dist/ at the end: dist/ is deleted first, so after a failure there
# is no dist/ at all, never a partial one.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ALL_PLATFORMS=(linux-x86_64 linux-aarch64 windows-x86_64)

die() {
  echo "package.sh: $*" >&2
  exit 1
}

platforms=("${ALL_PLATFORMS[@]}")
while [ $# -gt 0 ]; do
  case "$1" in
    --platforms)
      [ $# -ge 2 ] || die "--platforms needs a list, e.g. --platforms linux-x86_64,windows-x86_64"
      IFS=, read -r -a platforms <<<"$2"
      shift 2 ;;
    --platforms=*)
      IFS=, read -r -a platforms <<<"${1#--platforms=}"
      shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ ${#platforms[@]} -gt 0 ] || die "no platform given"
for p in "${platforms[@]}"; do
  case " ${ALL_PLATFORMS[*]} " in
    *" $p "*) ;;
    *) die "unknown platform '$p' (known: ${ALL_PLATFORMS[*]})" ;;
  esac
done

# --- version ------------------------------------------------------------------
version_part() {
  sed -n "s/^#define LY_VERSION_$1 \([0-9][0-9]*\)\$/\1/p" include/lightyear_conn.h
}
major=$(version_part MAJOR)
minor=$(version_part MINOR)
patch=$(version_part PATCH)
[ -n "$major" ] && [ -n "$minor" ] && [ -n "$patch" ] || die "LY_VERSION_MAJOR/MINOR/PATCH not found in include/lightyear_conn.h"
VERSION="$major.$minor.$patch"
UPM_DIR=bindings/csharp/com.lightyear.conn
upm_version=$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$UPM_DIR/package.json")
[ "$upm_version" = "$VERSION" ] ||
  die "$UPM_DIR/package.json has version '$upm_version', the header $VERSION: make them agree"

# --- tools: all checked before anything is built --------------------------------
missing=()
need() { # COMMAND DEBIAN_PACKAGE
  command -v "$1" >/dev/null 2>&1 || missing+=("$1 (Debian package $2)")
}
need go "golang, or Go 1.26+ from https://go.dev/dl"
need cmake cmake
need ninja ninja-build
need tar tar
need gzip gzip
need sha256sum coreutils
need readelf binutils
for p in "${platforms[@]}"; do
  case "$p" in
    linux-x86_64)
      need gcc gcc
      need g++ g++ ;;
    linux-aarch64)
      need aarch64-linux-gnu-gcc gcc-aarch64-linux-gnu
      need aarch64-linux-gnu-g++ g++-aarch64-linux-gnu ;;
    windows-x86_64)
      need x86_64-w64-mingw32-gcc gcc-mingw-w64-x86-64
      need x86_64-w64-mingw32-g++ g++-mingw-w64-x86-64
      need x86_64-w64-mingw32-dlltool binutils-mingw-w64-x86-64
      need x86_64-w64-mingw32-objdump binutils-mingw-w64-x86-64
      need zip zip ;;
  esac
  if [ "$p" != linux-x86_64 ] && [ ! -f "cmake/toolchains/$p.cmake" ]; then
    missing+=("cmake/toolchains/$p.cmake (the $p cross build is not in this tree)")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  printf 'package.sh: missing, needed for %s:\n' "${platforms[*]}" >&2
  printf '  %s\n' "${missing[@]}" >&2
  echo "Install the Debian packages named (apt-get install ...), or choose fewer platforms with --platforms." >&2
  exit 1
fi

# --- work folder ----------------------------------------------------------------
DIST="$ROOT/dist"
rm -rf "$DIST"
WORK="$(mktemp -d "$ROOT/.package.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/out"
mkdir -p "$OUT"
# Reproducible archives: file times are the last commit's, owners are 0.
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
export SOURCE_DATE_EPOCH
TAR=(tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$SOURCE_DATE_EPOCH" --format=gnu)

targz() { # ARCHIVE DIR NAME: ARCHIVE holds DIR/NAME as NAME/
  "${TAR[@]}" -C "$2" -cf - "$3" | gzip -9n >"$1"
}

# README of an archive: what is in it and how to use it.
write_readme() { # PLATFORM STAGE
  local p="$1" stage="$2" name="lightyear_conn-$VERSION-$1"
  {
    echo "# $name"
    echo
    echo "liblightyear_conn $VERSION for $p: stateful, authenticated netcode.io"
    echo "connections for games, with a C ABI (include/lightyear_conn.h)."
    echo "Licensed under MIT OR Apache-2.0 (LICENSE-MIT, LICENSE-APACHE); the Go code compiled into the"
    echo "library is under the licenses in THIRD_PARTY_NOTICES.md."
    echo
    echo "## Contents"
    echo
    echo '```'
    (cd "$stage" && find . -mindepth 1 \( -type f -o -type l \) | sed 's|^\./||' | LC_ALL=C sort)
    echo '```'
    echo
    echo "## Use"
    echo
    echo "Unpack anywhere (the package files find their folder themselves), then:"
    echo
    echo "- CMake: \`find_package(lightyear_conn $major.$minor REQUIRED)\` with"
    echo "  \`-DCMAKE_PREFIX_PATH=/path/to/$name\`, and link"
    echo "  \`lightyear_conn::lightyear_conn\`."
    case "$p" in
      linux-*)
        echo "- pkg-config: \`PKG_CONFIG_PATH=/path/to/$name/lib/pkgconfig pkg-config --cflags --libs lightyear_conn\`."
        echo "- By hand: \`cc -I include app.c -L lib -llightyear_conn\`; at run time the"
        echo "  loader needs \`lib/\` (an rpath, \`LD_LIBRARY_PATH\`, or copy"
        echo "  \`liblightyear_conn.so.$major*\` beside your program's libraries)."
        echo "- Rust: \`LIGHTYEAR_CONN_LIB_DIR=/path/to/$name/lib cargo build\` (lightyear-conn-sys)." ;;
      windows-*)
        echo "- MSVC: link \`lib/lightyear_conn.lib\`; MinGW: link \`lib/liblightyear_conn.dll.a\`"
        echo "  (\`-Llib -llightyear_conn\`). Ship \`bin/lightyear_conn.dll\` beside your .exe."
        echo "- \`lib/lightyear_conn.def\` lists the exports, to make another import library."
        echo "- Rust: \`LIGHTYEAR_CONN_LIB_DIR=C:\\path\\to\\$name\\lib cargo build\` (lightyear-conn-sys;"
        echo "  MSVC and GNU targets), and put \`bin/lightyear_conn.dll\` beside the program." ;;
    esac
    echo
    echo "Unity: use com.lightyear.conn-$VERSION.tgz (Package Manager, Add package from tarball)."
    echo "Built from the lightyear_conn sources; PLATFORMS.md there lists every platform."
  } >"$stage/README.md"
}

# check_machine PLATFORM FILE: the library is for the platform's CPU.
check_machine() {
  local p="$1" f="$2" got
  case "$p" in
    linux-x86_64) got=$(readelf -h "$f" | sed -n 's/^ *Machine: *//p'); [ "$got" = "Advanced Micro Devices X86-64" ] ;;
    linux-aarch64) got=$(readelf -h "$f" | sed -n 's/^ *Machine: *//p'); [ "$got" = "AArch64" ] ;;
    windows-x86_64) got=$(x86_64-w64-mingw32-objdump -f "$f" | sed -n 's/.*file format //p'); [ "$got" = "pei-x86-64" ] ;;
  esac || die "$f is for '$got', not $p"
}

# --- one platform -----------------------------------------------------------------
build_platform() { # PLATFORM
  local p="$1" name="lightyear_conn-$VERSION-$1"
  local build="$WORK/build-$p" stage="$WORK/stage/$name"
  local config=(-S "$ROOT" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
                -DCMAKE_INSTALL_LIBDIR=lib -DLY_BUILD_TESTS=OFF -DLY_BUILD_EXAMPLES=OFF -DBUILD_TESTING=OFF)
  [ "$p" = linux-x86_64 ] || config+=("-DCMAKE_TOOLCHAIN_FILE=$ROOT/cmake/toolchains/$p.cmake")
  echo "== $p: configure, build (target lightyear_conn_go), install"
  cmake "${config[@]}" >"$WORK/$p.configure.log" 2>&1 ||
    { cat "$WORK/$p.configure.log" >&2; die "$p: cmake configure failed"; }
  cmake --build "$build" --target lightyear_conn_go || die "$p: the library did not build"
  cmake --install "$build" --prefix "$stage" >/dev/null || die "$p: cmake --install failed"

  # What must be there, per platform.
  local expect=(include/lightyear_conn.h lib/cmake/lightyear_conn/lightyear_connConfig.cmake
                lib/cmake/lightyear_conn/lightyear_connConfigVersion.cmake)
  case "$p" in
    linux-*) expect+=("lib/liblightyear_conn.so.$VERSION" "lib/liblightyear_conn.so.$major"
                      lib/liblightyear_conn.so lib/pkgconfig/lightyear_conn.pc) ;;
    windows-*) expect+=(bin/lightyear_conn.dll lib/liblightyear_conn.dll.a lib/lightyear_conn.lib lib/lightyear_conn.def) ;;
  esac
  for f in "${expect[@]}"; do
    [ -e "$stage/$f" ] || die "$p: the install tree lacks $f"
  done
  case "$p" in
    linux-*) check_machine "$p" "$stage/lib/liblightyear_conn.so.$VERSION" ;;
    windows-*) check_machine "$p" "$stage/bin/lightyear_conn.dll" ;;
  esac

  cp LICENSE-MIT LICENSE-APACHE THIRD_PARTY_NOTICES.md "$stage/"
  write_readme "$p" "$stage"
  case "$p" in
    windows-*)
      (cd "$WORK/stage" && find "$name" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} + &&
        find "$name" -print | LC_ALL=C sort | zip -X -q -9 "$OUT/$name.zip" -@) ||
        die "$p: zip failed" ;;
    *) targz "$OUT/$name.tar.gz" "$WORK/stage" "$name" ;;
  esac
  echo "   $(basename "$(ls "$OUT/$name".*)")"
}

for p in "${platforms[@]}"; do
  build_platform "$p"
done

# --- the Unity package --------------------------------------------------------------
echo "== com.lightyear.conn-$VERSION.tgz"
UPM="$WORK/upm/package"
mkdir -p "$UPM"
# The package's files as git knows them (tracked, or new and not ignored),
# without any native library: only the ones built here go in (place_plugin),
# so a library someone copied into Plugins/ locally never ships by accident.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  (git ls-files -z --cached --others --exclude-standard -- "$UPM_DIR" |
     while IFS= read -r -d '' f; do
       [ -e "$f" ] || continue # deleted but not yet committed
       case "$f" in
         *.meta) ;;                                        # a plugin's settings stay
         *.so | *.so.* | *.dll | *.dylib | *.a) continue ;; # a library does not
       esac
       mkdir -p "$UPM/$(dirname "${f#"$UPM_DIR"/}")"
       cp -p "$f" "$UPM/${f#"$UPM_DIR"/}"
     done)
else
  cp -R "$UPM_DIR/." "$UPM/"
  find "$UPM" \( -name '*.so' -o -name '*.dll' -o -name '*.dylib' -o -name '*.a' -o -name bin -o -name obj \) -prune -exec rm -rf {} +
fi

# plugin PLATFORM FOLDER FILE: the library of PLATFORM goes to Runtime/Plugins/FOLDER/FILE.
place_plugin() {
  local p="$1" dest="$UPM/Runtime/Plugins/$2/$3" stage="$WORK/stage/lightyear_conn-$VERSION-$1"
  [ -f "$dest.meta" ] || die "the Unity package has no $2/$3.meta"
  case "$p" in
    linux-*) cp "$stage/lib/liblightyear_conn.so.$VERSION" "$dest" ;; # the real file, under the DllImport name
    windows-*) cp "$stage/bin/lightyear_conn.dll" "$dest" ;;
  esac
}
for p in "${platforms[@]}"; do
  case "$p" in
    linux-x86_64) place_plugin "$p" Linux/x86_64 liblightyear_conn.so ;;
    linux-aarch64) place_plugin "$p" Linux/arm64 liblightyear_conn.so ;;
    windows-x86_64) place_plugin "$p" Windows/x86_64 lightyear_conn.dll ;;
  esac
done
# A .meta whose library is not here would make Unity warn: drop it, then
# folders left empty and their .meta.
while IFS= read -r -d '' meta; do
  [ -e "${meta%.meta}" ] || rm "$meta"
done < <(find "$UPM/Runtime/Plugins" -name '*.meta' -print0)
while empty=$(find "$UPM/Runtime/Plugins" -mindepth 1 -type d -empty -print -quit) && [ -n "$empty" ]; do
  rmdir "$empty" && rm -f "$empty.meta"
done
chmod -R u=rwX,go=rX "$UPM"
targz "$OUT/com.lightyear.conn-$VERSION.tgz" "$WORK/upm" package

# --- checksums, and into place ---------------------------------------------------
printf '%s\n' "${platforms[@]}" >"$OUT/platforms.txt"
(cd "$OUT" && shopt -s nullglob && files=(*.tar.gz *.zip *.tgz) && sha256sum -- "${files[@]}" >SHA256SUMS &&
   sha256sum --quiet -c SHA256SUMS) || die "SHA256SUMS could not be written"
mv "$OUT" "$DIST"
echo "== dist/ ($(IFS=,; echo "${platforms[*]}"))"
(cd "$DIST" && ls -l --time-style=+ | sed 1d | awk '{print "   " $5 "\t" $NF}')
