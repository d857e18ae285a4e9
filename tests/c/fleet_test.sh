#!/usr/bin/env bash
# Runs test_fleet (tests/c/test_fleet.c) against real parts on 127.0.0.1:
# a redis-server on a free port, and two lytokens replicas sharing it, over
# TLS with one certificate (so one pin fits both), the servers' private
# key of tests/c/net.h, and HS256 credentials made here. Everything is
# stopped when the script exits, whatever happens.
#
#   fleet_test.sh <test_fleet binary> <source dir>
# $GO names the go command (default: go); lytokens is built from <source dir>.
set -euo pipefail
test_bin=$1
src=$2
go=${GO:-go}

for tool in redis-server openssl python3; do
  command -v "$tool" >/dev/null || { echo "fleet_test.sh: $tool is missing (scripts/ensure-tools.sh installs it)"; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT PID NAME LOG: until PORT accepts connections, or PID died.
wait_port() {
  local i
  for i in $(seq 1 200); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then echo "$3 exited:"; cat "$4"; return 1; fi
    sleep 0.05
  done
  echo "$3 not listening on $1 after 10 s:"; cat "$4"; return 1
}

echo "building lytokens"
(cd "$src" && "$go" build -o "$work/lytokens" ./cmd/lytokens)

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
pids+=($!)
wait_port "$redis_port" "${pids[-1]}" redis-server "$work/redis.log"

# One certificate for both replicas, valid for 127.0.0.1.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=lytokens-test -addext subjectAltName=IP:127.0.0.1 \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
pin=$(openssl x509 -in "$work/cert.pem" -outform der | sha256sum | cut -d' ' -f1)

umask 077
# test_key of tests/c/net.h.
echo 606abe6ec91910ea9a6562f66f2b30e44371d62cd19927266b3c60f4b715aba1 >"$work/private.key"
openssl rand -hex 32 >"$work/jwt.secret"
openssl rand -hex 32 >"$work/wrong.secret"

b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# jwt SUBJECT SECRET_FILE: an HS256 JWT for the replicas' issuer and audience.
jwt() {
  local now head body sig
  now=$(date +%s)
  head=$(printf '{"alg":"HS256","typ":"JWT"}' | b64url)
  body=$(printf '{"iss":"fleet-test","aud":"lytokens","sub":"%s","iat":%d,"exp":%d}' "$1" "$now" $((now + 600)) | b64url)
  sig=$(printf '%s.%s' "$head" "$body" | openssl dgst -sha256 -hmac "$(tr -d '\n' <"$2")" -binary | b64url)
  printf '%s.%s.%s\n' "$head" "$body" "$sig"
}
for i in $(seq 1 16); do jwt "$i" "$work/jwt.secret"; done >"$work/credentials"

ports=()
for r in 1 2; do
  port=$(free_port)
  ports+=("$port")
  "$work/lytokens" -listen "127.0.0.1:$port" -cert "$work/cert.pem" -key "$work/key.pem" \
    -private-key-file "$work/private.key" -protocol-id 0x4C59434F4E4E0001 \
    -redis "127.0.0.1:$redis_port" -fleet-prefix "fleettest:" \
    -jwt-hs256-secret-file "$work/jwt.secret" -issuer fleet-test -audience lytokens \
    -rate-ip 0 -rate-subject 0 -expire-seconds 60 >"$work/lytokens$r.log" 2>&1 &
  pids+=($!)
  wait_port "$port" "${pids[-1]}" "lytokens replica $r" "$work/lytokens$r.log"
done

rc=0
LY_FLEET_REDIS="127.0.0.1:$redis_port" LY_FLEET_PREFIX="fleettest:" \
  LY_FLEET_URL1="https://127.0.0.1:${ports[0]}" LY_FLEET_URL2="https://127.0.0.1:${ports[1]}/v1/token" \
  LY_FLEET_PIN="$pin" LY_FLEET_CA="$work/cert.pem" LY_FLEET_CREDENTIALS="$work/credentials" \
  LY_FLEET_BAD_CREDENTIAL="$(jwt 1 "$work/wrong.secret")" \
  "$test_bin" || rc=$?
if [ "$rc" -ne 0 ]; then
  for r in 1 2; do echo "--- lytokens replica $r log (tail)"; tail -n 20 "$work/lytokens$r.log"; done
fi
exit "$rc"
