#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what is
# missing, then formatting and vet, the Go tests (fuzz seed corpora
# included) plain and under the race detector, and the CMake build with
# its ctest suite (C API tests, examples, consumer projects).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-tools.sh
go mod download

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './build/*'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== Go example"
go run ./examples/go/netcode-echo -duration 300ms

echo "== go test -race"
go test -count=1 -race -short ./...

echo "== go test"
go test -count=1 ./...

echo "== CMake build and ctest"
cmake -S . -B build -G Ninja >/dev/null
cmake --build build
ctest --test-dir build --output-on-failure
