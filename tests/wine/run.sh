#!/usr/bin/env bash
# Runs a Windows program under wine and returns its exit code:
#   tests/wine/run.sh program.exe [args...]
#   tests/wine/run.sh --prepare          (only make the prefix)
# It is the CMAKE_CROSSCOMPILING_EMULATOR of cmake/toolchains/windows-x86_64.cmake
# (so ctest runs the cross-built tests through it) and the -exec of
# `go test` for GOOS=windows (scripts/test-windows.sh).
#
# The wine prefix is made once and cached, keyed by the wine version:
#   ${LY_WINEPREFIX:-${XDG_CACHE_HOME:-~/.cache}/lightyear_conn/wine/<version>}
# It holds the test-only stub tests/wine/bcryptprimitives.c (ProcessPrng,
# which Go's runtime needs and wine 8.0 lacks) in drive_c/windows/system32.
# That stub is test scaffolding: it is never installed or shipped.
#
# Windows looks for a program's DLLs in the program's own directory first,
# so a lightyear_conn.dll copied next to the test programs is found; WINEPATH
# from the caller adds more directories.
#
# Without wine this fails, loudly: a test that cannot run is a failure here,
# never a skip.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: $0 program.exe [args...]" >&2
  exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Debian's wine64 package installs the loader as /usr/lib/wine/wine64; the
# `wine` wrapper (package wine) runs it.
wine=""
for w in "${WINE:-}" /usr/lib/wine/wine64 "$(command -v wine64 || true)" "$(command -v wine || true)"; do
  if [ -n "$w" ] && [ -x "$w" ]; then
    wine=$w
    break
  fi
done
if [ -z "$wine" ]; then
  echo "tests/wine/run.sh: wine not found: install the Debian package wine64 (apt-get install wine64)" >&2
  exit 1
fi
export WINELOADER="$wine"
export WINEDEBUG=-all
# No Mono or Gecko install prompts: these are console programs.
export WINEDLLOVERRIDES="mscoree,mshtml="

version=$("$wine" --version 2>/dev/null || true)
if [ -z "$version" ]; then
  echo "tests/wine/run.sh: $wine --version failed" >&2
  exit 1
fi
key=$(printf '%s' "$version" | tr -cs 'A-Za-z0-9.-' '_' | sed 's/_$//')
cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}
export WINEPREFIX=${LY_WINEPREFIX:-$cache/lightyear_conn/wine/$key}

# The prefix is ready when it holds the stub built from the current source.
stub_src="$here/bcryptprimitives.c"
stub_sum=$(cksum <"$stub_src" | tr -c '0-9' '_')
marker="$WINEPREFIX/.lightyear_conn-ready-$stub_sum"
if [ ! -e "$marker" ]; then
  mkdir -p "$(dirname "$WINEPREFIX")"
  # ctest runs tests in parallel: one of them makes the prefix.
  exec 9>"$WINEPREFIX.lock"
  flock 9
  if [ ! -e "$marker" ]; then
    cc=${LY_MINGW_CC:-x86_64-w64-mingw32-gcc}
    if ! command -v "$cc" >/dev/null; then
      echo "tests/wine/run.sh: $cc not found: install the Debian package gcc-mingw-w64-x86-64" >&2
      exit 1
    fi
    if [ ! -e "$WINEPREFIX/system.reg" ]; then
      echo "tests/wine/run.sh: making the wine prefix $WINEPREFIX ($version)" >&2
      "$wine" wineboot --init >/dev/null 2>&1 || true
      # wineboot returns before the registry is on disk: wait for the
      # server to finish.
      for ws in "${wine%/*}/wineserver64" "${wine%/*}/wineserver" "$(command -v wineserver || true)"; do
        if [ -n "$ws" ] && [ -x "$ws" ]; then
          "$ws" -w || true
          break
        fi
      done
      if [ ! -d "$WINEPREFIX/drive_c/windows/system32" ]; then
        echo "tests/wine/run.sh: wineboot did not make $WINEPREFIX" >&2
        exit 1
      fi
    fi
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    "$cc" -shared -O2 -Wall -Wextra -Werror -o "$tmp/bcryptprimitives.dll" "$stub_src" -ladvapi32
    cp "$tmp/bcryptprimitives.dll" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
    rm -rf "$tmp" # the exec below would lose the trap
    trap - EXIT
    rm -f "$WINEPREFIX"/.lightyear_conn-ready-*
    touch "$marker"
  fi
  exec 9>&-
fi

# --prepare: make the prefix and stop (scripts/test-windows.sh, before the
# tests' own time limits start).
if [ "${1:-}" = "--prepare" ]; then
  exit 0
fi

# wine exits with the program's exit code; exec, so that a signal sent to
# this script's pid (a test stopping a server) reaches wine.
exec "$wine" "$@"
