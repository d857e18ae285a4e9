#!/usr/bin/env bash
# Installs the build tools the project needs when they are missing (a fresh
# Debian machine of this kind has Go and gcc; cmake, ninja, pkg-config and
# redis-server come from Debian's packages).
set -euo pipefail
missing=()
command -v cmake >/dev/null || missing+=(cmake)
command -v ninja >/dev/null || missing+=(ninja-build)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v gcc >/dev/null || missing+=(gcc)
command -v g++ >/dev/null || missing+=(g++)
command -v make >/dev/null || missing+=(make)
command -v python3 >/dev/null || missing+=(python3) # scripts/check_upm_package.py
command -v redis-server >/dev/null || missing+=(redis-server) # fleet's tests run a real Redis
command -v openssl >/dev/null || missing+=(openssl) # tests/c/fleet_test.sh makes the TLS certificate and credentials
command -v chromium >/dev/null || missing+=(chromium) # bindings/web's browser test (headless, driven by playwright-core)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi
command -v go >/dev/null || { echo "Go 1.26 or newer is required (https://go.dev/dl)"; exit 1; }
