#!/usr/bin/env bash
# The token-delivery fixture of the binding tests (C#, Rust, Bevy), the same
# real parts as tests/c/fleet_test.sh, on 127.0.0.1: a redis-server on a free
# port and two lytokens replicas sharing it, over TLS with one openssl-made
# certificate (one pin fits both), HS256 credentials made here. The tests
# start it, read the environment file, and stop it; a watchdog stops it too
# when the owner process dies, so a crashed test leaves nothing running.
#
#   fleet_fixture.sh start DIR OWNER_PID   start everything, write DIR/env
#   fleet_fixture.sh stop DIR              stop what start started
#
# DIR/env has KEY=VALUE lines: LY_FLEET_REDIS, LY_FLEET_PREFIX, LY_FLEET_URL1,
# LY_FLEET_URL2, LY_FLEET_PIN (hex SHA-256 of the certificate), LY_FLEET_CA
# (its PEM), LY_FLEET_CREDENTIALS (a file of 64 valid JWTs, subjects 1..64),
# LY_FLEET_BAD_CREDENTIAL (signed with another secret), LY_FLEET_PRIVATE_KEY
# (hex) and LY_FLEET_PROTOCOL_ID (hex): what the game servers must use.
# $GO names the go command (default: go); $LYTOKENS a prebuilt lytokens
# (default: built from this repository into DIR); $FIXTURE_PRIVATE_KEY and
# $FIXTURE_PROTOCOL_ID (hex) replace the fresh key and the default protocol
# id, for a test whose servers have their own (tests/c/fleet_test.sh).
set -euo pipefail
cmd=${1:?start or stop}
dir=${2:?directory}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
self="$root/tests/fleet_fixture.sh"

if [ "$cmd" = stop ]; then
  [ -f "$dir/pids" ] || exit 0
  while read -r p; do kill "$p" 2>/dev/null || true; done <"$dir/pids"
  # Gone before the caller removes DIR: up to 5 s each.
  while read -r p; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  done <"$dir/pids"
  rm -f "$dir/pids"
  exit 0
fi
[ "$cmd" = start ] || { echo "fleet_fixture.sh: unknown command $cmd" >&2; exit 2; }
owner=${3:?owner pid}

for tool in redis-server openssl python3; do
  command -v "$tool" >/dev/null || { echo "fleet_fixture.sh: $tool is missing (scripts/ensure-tools.sh installs it)" >&2; exit 1; }
done
mkdir -p "$dir"
: >"$dir/pids"
# Anything that fails from here on stops what was started.
trap 'rc=$?; if [ $rc -ne 0 ]; then "$self" stop "$dir"; fi' EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT PID NAME LOG: until PORT accepts connections, or PID died.
wait_port() {
  local i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then echo "$3 exited:" >&2; cat "$4" >&2; return 1; fi
    sleep 0.05
  done
  echo "$3 not listening on $1 after 10 s:" >&2; cat "$4" >&2; return 1
}

lytokens=${LYTOKENS:-}
if [ -z "$lytokens" ]; then
  lytokens="$dir/lytokens"
  (cd "$root" && "${GO:-go}" build -o "$lytokens" ./cmd/lytokens) >&2
fi

# setsid: the services outlive this script (the test stops them), in their own session.
redis_port=$(free_port)
setsid redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$dir" --logfile "$dir/redis.log" </dev/null >/dev/null 2>&1 &
echo $! >>"$dir/pids"
wait_port "$redis_port" $! redis-server "$dir/redis.log"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=lytokens-test -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
pin=$(openssl x509 -in "$dir/cert.pem" -outform der | sha256sum | cut -d' ' -f1)

# The servers' private key (lytokens checks the file's permissions).
private_key=${FIXTURE_PRIVATE_KEY:-$(openssl rand -hex 32)}
(umask 077; echo "$private_key" >"$dir/private.key"; openssl rand -hex 32 >"$dir/jwt.secret"; openssl rand -hex 32 >"$dir/wrong.secret")
protocol_id=${FIXTURE_PROTOCOL_ID:-4C59434F4E4E0002}

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# jwt SUBJECT SECRET_FILE: an HS256 JWT for the replicas' issuer and audience.
jwt() {
  local now head body sig
  now=$(date +%s)
  head=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
  body=$(printf '{"iss":"binding-test","aud":"lytokens","sub":"%s","iat":%d,"exp":%d}' "$1" "$now" $((now + 3600)) | b64url)
  sig=$(printf '%s.%s' "$head" "$body" | openssl dgst -sha256 -hmac "$(tr -d '\n' <"$2")" -binary | b64url)
  printf '%s.%s.%s\n' "$head" "$body" "$sig"
}
for i in $(seq 1 64); do jwt "$i" "$dir/jwt.secret"; done >"$dir/credentials"

urls=()
for r in 1 2; do
  port=$(free_port)
  setsid "$lytokens" -listen "127.0.0.1:$port" -cert "$dir/cert.pem" -key "$dir/key.pem" \
    -private-key-file "$dir/private.key" -protocol-id "0x$protocol_id" \
    -redis "127.0.0.1:$redis_port" -fleet-prefix "bindingtest:" \
    -jwt-hs256-secret-file "$dir/jwt.secret" -issuer binding-test -audience lytokens \
    -rate-ip 0 -rate-subject 0 -expire-seconds 60 </dev/null >"$dir/lytokens$r.log" 2>&1 &
  echo $! >>"$dir/pids"
  wait_port "$port" $! "lytokens replica $r" "$dir/lytokens$r.log"
  urls+=("https://127.0.0.1:$port")
done

cat >"$dir/env" <<EOF
LY_FLEET_REDIS=127.0.0.1:$redis_port
LY_FLEET_PREFIX=bindingtest:
LY_FLEET_URL1=${urls[0]}
LY_FLEET_URL2=${urls[1]}/v1/token
LY_FLEET_PIN=$pin
LY_FLEET_CA=$dir/cert.pem
LY_FLEET_CREDENTIALS=$dir/credentials
LY_FLEET_BAD_CREDENTIAL=$(jwt 1 "$dir/wrong.secret")
LY_FLEET_PRIVATE_KEY=$private_key
LY_FLEET_PROTOCOL_ID=$protocol_id
EOF

# The watchdog: stops everything once the owner is gone (a test that crashed
# before its stop). Detached, so that start returns.
setsid bash -c 'while kill -0 "$1" 2>/dev/null && [ -f "$2/pids" ]; do sleep 1; done; "$3" stop "$2"' \
  watchdog "$owner" "$dir" "$self" </dev/null >/dev/null 2>&1 &
