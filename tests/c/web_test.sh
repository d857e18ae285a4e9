#!/usr/bin/env bash
# Runs test_web (tests/c/test_web.c): builds the Go browser-transport
# client (tests/web/client) into a scratch directory, which also holds the
# tokens and the client's output, and removes it when done.
#
#   web_test.sh <test_web binary> <source dir>
# $GO names the go command (default: go).
set -euo pipefail
test_bin=$1
src=$2
go=${GO:-go}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$src" && "$go" build -o "$work/webclient" ./tests/web/client)
"$test_bin" "$work/webclient" "$work"
