#!/usr/bin/env bash
# Builds Valve's open-source GameNetworkingSockets (GNS) for the tests that
# run the Steam backend against the real library. The source comes from the
# crates.io crate game-networking-sockets-sys, which vendors all of GNS
# under thirdparty/GameNetworkingSockets; `cargo fetch` on a throwaway
# manifest puts it under $CARGO_HOME/registry/src. Nothing is written into
# the repository: the build and its result live in a cache keyed by the
# crate's version.
#
# Usage: build-gns.sh [cache-dir]
#   cache-dir defaults to $LIGHTYEAR_GNS_CACHE or
#   ~/.cache/lightyear_conn/gns-<crate version>.
# Prints the directory that holds lib/libGameNetworkingSockets.so and
# include/ (GNS's public headers, for the native peer in tests/gns/).
# Needs cargo, cmake, a C++ compiler and Debian's libprotobuf-dev,
# protobuf-compiler and libssl-dev (installed if missing and apt-get is
# there). About 2 minutes on 2 CPUs, once.
set -euo pipefail

crate="game-networking-sockets-sys"
version="0.3.0" # vendors GNS v1.6.0
dir="${1:-${LIGHTYEAR_GNS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lightyear_conn/gns-$version}}"

if [[ -s "$dir/lib/libGameNetworkingSockets.so" && -s "$dir/include/steam/steamnetworkingsockets.h" ]]; then
	echo "$dir"
	exit 0
fi

need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
[[ -e /usr/include/google/protobuf/message.h ]] || need+=(libprotobuf-dev)
[[ -e /usr/include/openssl/evp.h ]] || need+=(libssl-dev)
if ((${#need[@]})); then
	if command -v apt-get >/dev/null && [[ $(id -u) = 0 ]]; then
		echo "build-gns: installing ${need[*]}" >&2
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >&2
	else
		echo "build-gns: missing ${need[*]}" >&2
		exit 1
	fi
fi
for tool in cargo cmake; do
	command -v "$tool" >/dev/null || { echo "build-gns: $tool is needed" >&2; exit 1; }
done

mkdir -p "$dir"
work="$(mktemp -d "$dir/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# The crate's source, through cargo's own registry cache.
mkdir -p "$work/fetch/src"
cat >"$work/fetch/Cargo.toml" <<EOF
[package]
name = "fetch-gns"
version = "0.0.0"
edition = "2021"

[dependencies]
$crate = "=$version"
EOF
: >"$work/fetch/src/lib.rs"
(cd "$work/fetch" && cargo fetch -q) >&2
src=""
for d in "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/"$crate-$version"/thirdparty/GameNetworkingSockets; do
	[[ -e "$d/CMakeLists.txt" ]] && src="$d"
done
[[ -n "$src" ]] || { echo "build-gns: $crate $version has no thirdparty/GameNetworkingSockets" >&2; exit 1; }

echo "build-gns: building GameNetworkingSockets from $src (about 2 minutes)" >&2
cmake -S "$src" -B "$work/build" -G "Unix Makefiles" -DCMAKE_BUILD_TYPE=Release \
	-DBUILD_EXAMPLES=OFF -DBUILD_TESTS=OFF -DBUILD_TOOLS=OFF -DENABLE_ICE=OFF \
	-DBUILD_STATIC_LIB=OFF -DBUILD_SHARED_LIB=ON \
	-DCMAKE_INSTALL_PREFIX="$work/install" -DCMAKE_INSTALL_LIBDIR=lib >&2
cmake --build "$work/build" -j "$(nproc)" >&2
cmake --install "$work/build" >&2

rm -rf "$dir/lib" "$dir/include"
cp -a "$work/install/lib" "$dir/lib"
mkdir -p "$dir/include"
cp -a "$work/install/include/GameNetworkingSockets/steam" "$dir/include/steam"
echo "$dir"
