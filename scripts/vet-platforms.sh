#!/usr/bin/env bash
# go vet of the pure-Go packages (core/...) for the platforms this machine
# cannot build the library for, and for the 32-bit ARM Linux that Android's
# armeabi-v7a shares its files with. It catches a file whose build tags leave
# a platform without a function, or code that only compiles on 64-bit Linux.
# scripts/test.sh runs it as "== other platforms (vet)"; PLATFORMS.md has the
# full build commands for each platform.
#
# Two groups, because of a rule of the go command, not of this code: for
# ios/* and for android on any CPU but arm64, Go always links externally, so
# with CGO_ENABLED=0 it refuses to plan the test binary that vet also checks
# ("requires external (cgo) linking, but cgo is not enabled"). Those are
# vetted with cgo on and CC=false: core has no cgo, and the netgo and
# osusergo tags keep the standard library's resolver and user lookup in pure
# Go, so no C compiler is ever started; if one were, `false` would fail the
# step instead of letting it pass unchecked.
#
# Not checked here: the cgo packages (capi, steamworks) for darwin, ios and
# android. cgo runs the target's C compiler even to type-check, which needs
# the Apple SDK or the Android NDK (PLATFORMS.md, "Not built here").
set -euo pipefail
cd "$(dirname "$0")/.."

plain=(darwin/arm64 darwin/amd64 android/arm64 windows/amd64 linux/arm64 linux/arm)
external=(ios/arm64 ios/amd64 android/arm android/amd64)

fail=0
for t in "${plain[@]}"; do
  echo "-- GOOS=${t%/*} GOARCH=${t#*/} CGO_ENABLED=0 go vet ./core/..."
  GOOS=${t%/*} GOARCH=${t#*/} CGO_ENABLED=0 go vet ./core/... || fail=1
done
for t in "${external[@]}"; do
  echo "-- GOOS=${t%/*} GOARCH=${t#*/} CGO_ENABLED=1 CC=false go vet -tags netgo,osusergo ./core/..."
  GOOS=${t%/*} GOARCH=${t#*/} CGO_ENABLED=1 CC=false go vet -tags netgo,osusergo ./core/... || fail=1
done
if [ "$fail" != 0 ]; then
  echo "vet-platforms.sh: go vet failed for at least one platform (above)" >&2
  exit 1
fi
echo "not checked here: capi and steamworks (cgo) for darwin, ios, android: they need the Apple SDK or the Android NDK"
