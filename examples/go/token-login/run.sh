#!/usr/bin/env bash
# The README's token example in one go: `lytokens -dev` on a free loopback
# port, a game server with the key it generated, and a client that pins the
# printed fingerprint, fetches a token with the printed credential, connects
# and gets an echo. Exits non-zero if any step fails; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/../../.."
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/lytokens" ./cmd/lytokens
go build -o "$work/token-login" ./examples/go/token-login
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$work/lytokens" -dev -listen 127.0.0.1:0 -servers "127.0.0.1:$port" >"$work/lytokens.out" 2>"$work/lytokens.err" &
pids+=($!)
for _ in $(seq 100); do
  grep -q '^test credential' "$work/lytokens.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening: \(https:[^ ]*\).*/\1/p' "$work/lytokens.out")
pin=$(sed -n 's/^certificate SHA-256: \([0-9a-f]*\).*/\1/p' "$work/lytokens.out")
keyfile=$(sed -n "s/^servers' private key[^:]*: \(.*\)$/\1/p" "$work/lytokens.out")
cred=$(sed -n 's/^test credential[^:]*: \(.*\)$/\1/p' "$work/lytokens.out")
if [ -z "$url" ] || [ -z "$pin" ] || [ -z "$keyfile" ] || [ -z "$cred" ]; then
  echo "lytokens -dev did not print its address, fingerprint, key file and credential:" >&2
  cat "$work/lytokens.out" "$work/lytokens.err" >&2
  exit 1
fi
echo "token service: $url, certificate SHA-256 $pin"

"$work/token-login" server -key-file "$keyfile" -addr "127.0.0.1:$port" &
pids+=($!)
sleep 0.3
"$work/token-login" client -url "$url" -pin "$pin" -credential "$cred"

# A client pinning another certificate must be refused.
wrong=$(printf '%064d' 0)
if "$work/token-login" client -url "$url" -pin "$wrong" -credential "$cred" 2>"$work/wrong.err"; then
  echo "a client with a wrong pin got a token" >&2
  exit 1
fi
grep -q 'TLS' "$work/wrong.err" || { echo "wrong pin: unexpected error:" >&2; cat "$work/wrong.err" >&2; exit 1; }
echo "wrong pin: refused ($(cat "$work/wrong.err"))"
