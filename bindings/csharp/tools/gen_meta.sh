#!/usr/bin/env bash
# tools/gen_meta.sh - writes the Unity .meta files of com.lightyear.conn that
# are missing (--force: rewrites them all). Unity needs a .meta for every
# file and folder of a package installed read-only (from git or a tarball),
# else it ignores the asset. GUIDs are derived from the path (md5 of
# "com.lightyear.conn/<path>"), so they are stable and the same everywhere.
#
# Samples~ is skipped: Unity ignores folders ending in "~" and makes the
# .meta files when a sample is imported into Assets/. The native libraries
# under Runtime/Plugins/ get PluginImporter .meta files that set platform
# and CPU, although the libraries themselves are not in the repository (see
# the README in each folder).
set -eu
PKG="$(cd "$(dirname "${BASH_SOURCE[0]}")/../com.lightyear.conn" && pwd)"
FORCE=0
[ "${1:-}" = --force ] && FORCE=1

guid() { printf 'com.lightyear.conn/%s' "$1" | md5sum | cut -c1-32; }

# write REL: writes REL.meta from stdin unless it exists (or --force).
write() {
    local meta="$PKG/$1.meta"
    if [ -e "$meta" ] && [ "$FORCE" = 0 ]; then
        cat >/dev/null
        return
    fi
    cat >"$meta"
    echo "wrote ${meta#$PKG/}"
}

simple() { # REL IMPORTER [extra lines]
    local rel="$1" importer="$2"
    {
        echo "fileFormatVersion: 2"
        echo "guid: $(guid "$rel")"
        [ "$importer" = DefaultImporter ] && echo "folderAsset: yes"
        echo "$importer:"
        echo "  externalObjects: {}"
        if [ "$importer" = MonoImporter ]; then
            echo "  serializedVersion: 2"
            echo "  defaultReferences: []"
            echo "  executionOrder: 0"
            echo "  icon: {instanceID: 0}"
        fi
        echo "  userData: "
        echo "  assetBundleName: "
        echo "  assetBundleVariant: "
    } | write "$rel"
}

# plugin REL EDITOR_OS EDITOR_CPU PLAYER PLAYER_CPU: a native library for one desktop platform.
plugin() {
    local rel="$1" os="$2" ecpu="$3" player="$4" pcpu="$5"
    local ex_linux=1 ex_osx=1 ex_win64=1
    case "$player" in
        Linux64) ex_linux=0 ;;
        OSXUniversal) ex_osx=0 ;;
        Win64) ex_win64=0 ;;
    esac
    cpu_of() { [ "$1" = "$player" ] && echo "$pcpu" || echo None; }
    en_of() { [ "$1" = "$player" ] && echo 1 || echo 0; }
    write "$rel" <<EOF
fileFormatVersion: 2
guid: $(guid "$rel")
PluginImporter:
  externalObjects: {}
  serializedVersion: 2
  iconMap: {}
  executionOrder: {}
  defineConstraints: []
  isPreloaded: 0
  isOverridable: 0
  isExplicitlyReferenced: 0
  validateReferences: 1
  platformData:
  - first:
      : Any
    second:
      enabled: 0
      settings:
        Exclude Android: 1
        Exclude Editor: 0
        Exclude Linux64: $ex_linux
        Exclude OSXUniversal: $ex_osx
        Exclude WebGL: 1
        Exclude Win: 1
        Exclude Win64: $ex_win64
        Exclude iOS: 1
  - first:
      Any: 
    second:
      enabled: 0
      settings: {}
  - first:
      Editor: Editor
    second:
      enabled: 1
      settings:
        CPU: $ecpu
        DefaultValueInitialized: true
        OS: $os
  - first:
      Standalone: Linux64
    second:
      enabled: $(en_of Linux64)
      settings:
        CPU: $(cpu_of Linux64)
  - first:
      Standalone: OSXUniversal
    second:
      enabled: $(en_of OSXUniversal)
      settings:
        CPU: $(cpu_of OSXUniversal)
  - first:
      Standalone: Win
    second:
      enabled: 0
      settings:
        CPU: None
  - first:
      Standalone: Win64
    second:
      enabled: $(en_of Win64)
      settings:
        CPU: $(cpu_of Win64)
  userData: 
  assetBundleName: 
  assetBundleVariant: 
EOF
}

cd "$PKG"
# Folders and files, without the package root, Samples~ and the .meta files themselves.
find . -mindepth 1 \( -name 'Samples~' -o -name '*~' \) -prune -o -print | sed 's|^\./||' | sort | while read -r rel; do
    case "$rel" in
        *.meta) ;;
        *) if [ -d "$rel" ]; then simple "$rel" DefaultImporter
           else
               case "$rel" in
                   *.cs) simple "$rel" MonoImporter ;;
                   *.asmdef) simple "$rel" AssemblyDefinitionImporter ;;
                   package.json) simple "$rel" PackageManifestImporter ;;
                   *.md|*.txt|*.json) simple "$rel" TextScriptImporter ;;
                   *) echo "gen_meta.sh: no importer known for $rel" >&2; exit 1 ;;
               esac
           fi ;;
    esac
done

plugin Runtime/Plugins/Linux/x86_64/liblightyear_conn.so Linux x86_64 Linux64 x86_64
plugin Runtime/Plugins/Windows/x86_64/lightyear_conn.dll Windows x86_64 Win64 x86_64
plugin Runtime/Plugins/macOS/liblightyear_conn.dylib OSX AnyCPU OSXUniversal AnyCPU
