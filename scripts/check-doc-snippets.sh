#!/usr/bin/env bash
# Checks the code blocks of README.md and the binding READMEs: each agrees
# with the file it is kept in under examples/doc/ (scripts/doc_snippets.py;
# `--fix` copies the files into the READMEs), and those files compile the
# way a user builds them:
#   Go    examples/doc/go/main.go in a module of its own, with the `replace`
#         line README.md gives (go mod tidy, go vet, go build)
#   C     examples/doc/c/quickstart.c with gcc against include/ and the built library
#   C#    examples/doc/csharp/*.cs with mcs -langversion:7.2 -unsafe against the binding
#   Rust  examples/doc/rust (cargo check --offline, the bindings' Cargo.lock)
# Needs the CMake build (LIGHTYEAR_BUILD_DIR, default build/), go, gcc, mcs
# and cargo. Work files go to $LIGHTYEAR_BUILD_DIR/doc-snippets.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="$(cd "${LIGHTYEAR_BUILD_DIR:-$ROOT/build}" && pwd)"
OUT="$BUILD/doc-snippets"
cd "$ROOT"
[ -e "$BUILD/liblightyear_conn.so" ] || { echo "no $BUILD/liblightyear_conn.so: run the CMake build first"; exit 1; }
rm -rf "$OUT/sh" "$OUT/go" && mkdir -p "$OUT/sh" "$OUT/go" "$OUT/cs"

echo "-- blocks against examples/doc/"
python3 scripts/doc_snippets.py "$OUT/sh" README.md bindings/csharp/README.md bindings/rust/README.md

echo "-- Go: a module of its own with replace => $ROOT"
cp examples/doc/go/main.go "$OUT/go/"
(
  cd "$OUT/go"
  go mod init example.com/mygame 2>/dev/null
  go mod edit -replace github.com/lightyear-conn/lightyear_conn="$ROOT"
  go mod tidy
  go vet .
  go build -o mygame .
)

echo "-- C: gcc against include/ and $BUILD"
gcc -std=c99 -Wall -Wextra -Werror -I include examples/doc/c/quickstart.c \
  -L "$BUILD" -llightyear_conn -Wl,-rpath,"$BUILD" -o "$OUT/quickstart"

echo "-- C#: mcs against the binding"
MCS=(mcs -langversion:7.2 -unsafe -nologo -warnaserror+)
"${MCS[@]}" -target:library -out:"$OUT/cs/Lightyear.Conn.dll" bindings/csharp/com.lightyear.conn/Runtime/*.cs
"${MCS[@]}" -target:library -r:"$OUT/cs/Lightyear.Conn.dll" -out:"$OUT/cs/DocSnippets.dll" \
  examples/doc/csharp/*.cs bindings/csharp/tests/unity/UnityEngine.cs

echo "-- C#: the plain Mono recipe (examples/doc/csharp/build-plain.sh), built and run"
bash examples/doc/csharp/build-plain.sh "$BUILD" "$OUT/cs-plain" | tail -n 1

echo "-- Rust: cargo check examples/doc/rust"
cp bindings/rust/Cargo.lock examples/doc/rust/Cargo.lock
LIGHTYEAR_CONN_LIB_DIR="$BUILD" CARGO_TARGET_DIR="$OUT/rust-target" \
  cargo check --offline --quiet --manifest-path examples/doc/rust/Cargo.toml --bins

echo "doc snippets: all compile"
