#!/usr/bin/env bash
# Fetches Valve's redistributable libsteam_api.so (linux64), or with --win64
# steam_api64.dll, for the tests that load the real library. Both ship
# inside the npm package steamworks.js; `npm pack` downloads that package's
# tarball without installing anything.
#
# Usage: fetch-steam-api.sh [--win64] [cache-dir]
#   cache-dir defaults to $LIGHTYEAR_STEAM_CACHE or ~/.cache/lightyear_conn/steam.
# Prints the path of the library. Never writes into the repository.
# Then: LIGHTYEAR_STEAM_API_PATH=<printed path> go test ./steamworks/
# (for the DLL: scripts/test-windows.sh, under wine).
set -euo pipefail

pkg="steamworks.js@0.4.0"
if [[ "${1:-}" == "--win64" ]]; then
	shift
	member="package/dist/win64/steam_api64.dll"
	# SDK 1.60 win64 redistributable as shipped in that package (300,392 bytes).
	sha256="1add7f151fa644870a735ae86e68d1f019f296130d8e7c0a7ed3ecc7482dccbc"
else
	member="package/dist/linux64/libsteam_api.so"
	# SDK 1.60 linux64 redistributable as shipped in that package (384,800 bytes).
	sha256="0ed3199107e021fa27e19a642148514ca5337563569c48fc094c27f907dd47a7"
fi
dir="${1:-${LIGHTYEAR_STEAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lightyear_conn/steam}}"
out="$dir/$(basename "$member")"

if [[ -s "$out" ]]; then
	echo "$out"
	exit 0
fi
command -v npm >/dev/null || { echo "fetch-steam-api: npm is needed" >&2; exit 1; }
mkdir -p "$dir"
work="$(mktemp -d "$dir/fetch.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# --pack-destination keeps the tarball out of the current directory.
tgz="$(cd "$work" && npm pack --silent --pack-destination "$work" "$pkg" | tail -n 1)"
tar -xzf "$work/$tgz" -C "$work" "$member"
if command -v sha256sum >/dev/null; then
	got="$(sha256sum "$work/$member" | cut -d' ' -f1)"
	if [[ "$got" != "$sha256" ]]; then
		echo "fetch-steam-api: $member has sha256 $got, expected $sha256" >&2
		exit 1
	fi
fi
mv "$work/$member" "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
