#!/usr/bin/env bash
# The C# binding in a plain .NET/Mono program (no Unity): README's recipe,
# run by scripts/check-doc-snippets.sh. Usage: build-plain.sh BUILD_DIR OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/../../.."
BUILD=$1 OUT=$2
mkdir -p "$OUT"
# doc-snippet: begin
# The binding, compiled once into a library (its sources need C# 7.2 and unsafe code):
mcs -langversion:7.2 -unsafe -target:library -out:"$OUT/Lightyear.Conn.dll" \
    bindings/csharp/com.lightyear.conn/Runtime/*.cs
# Your program against it (here the binding's Echo example):
mcs -langversion:7.2 -r:"$OUT/Lightyear.Conn.dll" -out:"$OUT/Echo.exe" \
    bindings/csharp/examples/Echo/*.cs
# At run time Mono finds liblightyear_conn.so through the loader's search path:
LD_LIBRARY_PATH="$BUILD" mono "$OUT/Echo.exe"
# doc-snippet: end
