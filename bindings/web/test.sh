#!/usr/bin/env bash
# Tests of the TypeScript netcode client (bindings/web): installs the locked
# packages (npm ci), builds with tsc (the browser entry point checked
# without Node's types), then `npm test`: the reference's netcode vectors
# byte for byte, the state machine under a stepped clock, the transports'
# framing, and live runs against the Go server in test/echoserver (core/web's
# listeners; built with `go build` into a temporary directory): Node over
# UDP and over the server's ws:// listener, and Debian's headless Chromium
# (driven with playwright-core, test/browser.test.ts) over WebTransport and
# WebSocket beside a Node UDP client on one server. Every server, page
# server and browser is started by the tests and stopped by them (and
# exits with them: the echo server ends when its stdin closes).
#
# Needs Node 20.19+ with npm and Chromium (both installed from Debian's
# packages when missing; Debian 12's Node 18 is too old and is refused by
# name) and Go. The npm registry is needed once, for npm ci.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
[ -x "${LY_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (apt)"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)'; then
  echo "test.sh: Node $(node --version) is too old: @noble/ciphers needs 20.19 or newer" >&2
  exit 1
fi
command -v go >/dev/null || { echo "test.sh: go is required (the live test builds test/echoserver)" >&2; exit 1; }

echo "== npm ci"
npm ci --no-audit --no-fund
echo "== npm run build"
npm run build
echo "== npm test"
# A bound on the whole run: a hung browser or server cannot stall the suite.
timeout --kill-after=10 300 npm test
