#!/usr/bin/env bash
# Runs every test of the project on a fresh machine: installs what is
# missing, then formatting, vet, the Go tests (fuzz seed corpora included)
# and the same under the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v go >/dev/null || { echo "test.sh: Go is required (https://go.dev/dl)"; exit 1; }
go mod download

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== example"
go run ./examples/go/netcode-echo -duration 300ms

echo "== go test"
go test -count=1 ./...

echo "== go test -race"
go test -count=1 -race -short ./...

