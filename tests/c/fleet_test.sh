#!/usr/bin/env bash
# Runs test_fleet (tests/c/test_fleet.c) against real parts on 127.0.0.1,
# those of tests/fleet_fixture.sh (a redis-server on a free port, two
# lytokens replicas sharing it over TLS with one certificate, HS256
# credentials), with the servers' private key and protocol id of
# tests/c/net.h. Everything is stopped when the script exits.
#
#   fleet_test.sh <test_fleet binary> <source dir>
# $GO names the go command (default: go); lytokens is built from <source dir>.
set -euo pipefail
test_bin=$1
src=$2
fixture="$src/tests/fleet_fixture.sh"

work=$(mktemp -d)
trap 'bash "$fixture" stop "$work"; rm -rf "$work"' EXIT

echo "starting redis-server and two lytokens replicas"
# test_key and TEST_PROTOCOL of tests/c/net.h.
FIXTURE_PRIVATE_KEY=606abe6ec91910ea9a6562f66f2b30e44371d62cd19927266b3c60f4b715aba1 \
  FIXTURE_PROTOCOL_ID=4C59434F4E4E0001 bash "$fixture" start "$work" $$
set -a
# shellcheck disable=SC1091
. "$work/env"
set +a

rc=0
"$test_bin" || rc=$?
if [ "$rc" -ne 0 ]; then
  for r in 1 2; do echo "--- lytokens replica $r log (tail)"; tail -n 20 "$work/lytokens$r.log"; done
fi
exit "$rc"
