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

# The native libraries under Runtime/Plugins/ (none of them is in git:
# scripts/package.sh puts the ones built here into the UPM tarball;
# Runtime/Plugins/README.md has the table). Linux ARM64 players exist from
# Unity 6.3; before it, Unity's build copies every Linux .so to one Plugins
# folder whatever its CPU, so the two liblightyear_conn.so would collide:
# hence the define constraint.
PLUGINS=(
    "Linux/x86_64/liblightyear_conn.so editor=Linux/x86_64 player=Linux64/x86_64"
    "Linux/arm64/liblightyear_conn.so player=Linux64/ARM64 define=UNITY_6000_3_OR_NEWER"
    "Windows/x86_64/lightyear_conn.dll editor=Windows/x86_64 player=Win64/x86_64"
    "macOS/liblightyear_conn.dylib editor=OSX/AnyCPU player=OSXUniversal/AnyCPU"
    "Android/libs/arm64-v8a/liblightyear_conn.so android=ARM64"
    "Android/libs/armeabi-v7a/liblightyear_conn.so android=ARMv7"
    "Android/libs/x86_64/liblightyear_conn.so android=X86_64"
    "iOS/liblightyear_conn.a ios=1"
)

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

# plugin REL KEY=VALUE...: the PluginImporter .meta of a native library,
# rewritten every run (also without --force): these are generated from the
# table at the end, never edited in Unity. Keys:
#   editor=OS/CPU    enabled in the Editor on OS (Linux, Windows, OSX) for CPU
#   player=TARGET/CPU  enabled for the standalone player TARGET (Linux64,
#                    Win64, OSXUniversal) and CPU (x86_64, ARM64, AnyCPU)
#   android=CPU      enabled for Android, ABI CPU (ARM64, ARMv7, X86_64)
#   ios=1            enabled for iOS (a static library linked with __Internal)
#   define=SYMBOL    only considered when the scripting define SYMBOL is set
# Every platform not named is disabled. Field names and values are those
# Unity 2021.3-6000 write (serializedVersion 2 of platformData, which 2021.3
# and 2022.3 read; they drop serializedVersion 3).
plugin() {
    local rel="$1"
    shift
    local editor="" player="" android="" ios="" define=""
    for kv in "$@"; do
        case "$kv" in
            editor=*) editor="${kv#editor=}" ;;
            player=*) player="${kv#player=}" ;;
            android=*) android="${kv#android=}" ;;
            ios=*) ios="${kv#ios=}" ;;
            define=*) define="${kv#define=}" ;;
            *) echo "gen_meta.sh: plugin $rel: unknown $kv" >&2; exit 1 ;;
        esac
    done
    # standalone TARGET: one "Standalone: TARGET" entry.
    standalone() {
        if [ "${player%/*}" = "$1" ]; then
            printf '  - first:\n      Standalone: %s\n    second:\n      enabled: 1\n      settings:\n        CPU: %s\n' "$1" "${player#*/}"
        else
            printf '  - first:\n      Standalone: %s\n    second:\n      enabled: 0\n      settings:\n        CPU: None\n' "$1"
        fi
    }
    {
        echo "fileFormatVersion: 2"
        echo "guid: $(guid "$rel")"
        echo "PluginImporter:"
        echo "  externalObjects: {}"
        echo "  serializedVersion: 2"
        echo "  iconMap: {}"
        echo "  executionOrder: {}"
        if [ -n "$define" ]; then
            echo "  defineConstraints:"
            echo "  - $define"
        else
            echo "  defineConstraints: []"
        fi
        echo "  isPreloaded: 0"
        # A project's own copy of the library (in Assets/) overrides this one
        # instead of colliding with it.
        echo "  isOverridable: 1"
        echo "  isExplicitlyReferenced: 0"
        echo "  validateReferences: 1"
        echo "  platformData:"
        # Entries sorted by group name as Unity sorts them.
        if [ -n "$android" ]; then
            printf '  - first:\n      Android: Android\n    second:\n      enabled: 1\n      settings:\n        CPU: %s\n' "$android"
        else
            printf '  - first:\n      Android: Android\n    second:\n      enabled: 0\n      settings: {}\n'
        fi
        printf '  - first:\n      Any: \n    second:\n      enabled: 0\n      settings: {}\n'
        if [ -n "$editor" ]; then
            printf '  - first:\n      Editor: Editor\n    second:\n      enabled: 1\n      settings:\n        CPU: %s\n        DefaultValueInitialized: true\n        OS: %s\n' "${editor#*/}" "${editor%/*}"
        else
            printf '  - first:\n      Editor: Editor\n    second:\n      enabled: 0\n      settings:\n        DefaultValueInitialized: true\n'
        fi
        standalone Linux64
        standalone OSXUniversal
        standalone Win
        standalone Win64
        if [ -n "$ios" ]; then
            printf '  - first:\n      iPhone: iOS\n    second:\n      enabled: 1\n      settings:\n        AddToEmbeddedBinaries: false\n        CPU: AnyCPU\n        CompileFlags: \n        FrameworkDependencies: \n'
        else
            printf '  - first:\n      iPhone: iOS\n    second:\n      enabled: 0\n      settings: {}\n'
        fi
        echo "  userData: "
        echo "  assetBundleName: "
        echo "  assetBundleVariant: "
    } >"$PKG/$rel.meta"
}

cd "$PKG"
# The plugin folders first, so that the walk below gives each its .meta.
for entry in "${PLUGINS[@]}"; do
    lib="${entry%% *}"
    mkdir -p "Runtime/Plugins/$(dirname "$lib")"
done
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
                   *.so|*.dll|*.dylib|*.a) ;; # a native library: its .meta is below
                   *) echo "gen_meta.sh: no importer known for $rel" >&2; exit 1 ;;
               esac
           fi ;;
    esac
done

for entry in "${PLUGINS[@]}"; do
    # shellcheck disable=SC2086 # the entry is the file, then KEY=VALUE words
    plugin Runtime/Plugins/$entry
done
