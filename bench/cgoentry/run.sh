#!/usr/bin/env bash
# What entering Go costs a C program that calls it once per 60 Hz tick:
# the same loop with 0, 1 and 5 calls of an empty Go function a tick.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
go build -buildmode=c-shared -o "$out/libcgoentry.so" .
cc -O2 -o "$out/loop" loop.c -L"$out" -lcgoentry -Wl,-rpath,"$out"
for calls in 0 1 5 0 1 5; do "$out/loop" "$calls"; done
