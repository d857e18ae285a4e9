#!/usr/bin/env python3
"""Checks an unpacked UPM tarball of com.lightyear.conn, as Unity would read it.

    check_upm_package.py PACKAGE_DIR VERSION PLATFORM...

PACKAGE_DIR is the tarball's package/ folder; PLATFORM the platforms
scripts/package.sh packaged (linux-x86_64, linux-aarch64, windows-x86_64).
Checks, failing on the first broken rule of each kind and listing them all:
  - package.json is valid JSON with name, version (VERSION), license, unity;
  - every file and folder has a .meta (Unity ignores an asset without one in
    an immutable package), every .meta has its file or folder, and GUIDs are
    32 hex digits and unique;
  - each native library is the one of a packaged platform, for that CPU
    (ELF or PE header), and its .meta enables exactly the expected Editor and
    player entries with the expected CPU; no platform's library is missing.
"""
import json
import os
import re
import sys

NAME = "com.lightyear.conn"
LICENSE = "MIT OR Apache-2.0"

# Library path -> (platform, machine, Editor (OS, CPU) or None, player entry, player CPU).
# Written independently of bindings/csharp/tools/gen_meta.sh, so that a wrong
# table there fails here.
PLUGINS = {
    "Runtime/Plugins/Linux/x86_64/liblightyear_conn.so":
        ("linux-x86_64", "elf-x86_64", ("Linux", "x86_64"), ("Standalone", "Linux64"), "x86_64"),
    "Runtime/Plugins/Linux/arm64/liblightyear_conn.so":
        ("linux-aarch64", "elf-aarch64", None, ("Standalone", "Linux64"), "ARM64"),
    "Runtime/Plugins/Windows/x86_64/lightyear_conn.dll":
        ("windows-x86_64", "pe-x86_64", ("Windows", "x86_64"), ("Standalone", "Win64"), "x86_64"),
}
NATIVE = re.compile(r"\.(so|dll|dylib|a|bundle)$")

errors = []


def fail(msg):
    errors.append(msg)


def machine(path):
    """elf-x86_64, elf-aarch64, pe-x86_64, or a description of what it is."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if head[:4] == b"\x7fELF":
        em = int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
        return {62: "elf-x86_64", 183: "elf-aarch64"}.get(em, "elf-machine-%d" % em)
    if head[:2] == b"MZ":
        pe = int.from_bytes(head[0x3C:0x40], "little")
        if head[pe:pe + 4] == b"PE\0\0":
            m = int.from_bytes(head[pe + 4:pe + 6], "little")
            return {0x8664: "pe-x86_64", 0xAA64: "pe-arm64"}.get(m, "pe-machine-%#x" % m)
    return "unknown format"


def platform_data(text):
    """The platformData entries of a serializedVersion 2 PluginImporter .meta:
    {(group, target): (enabled, {setting: value})}."""
    entries = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i] == "  - first:":
            m = re.match(r"^      (\S*): ?(.*)$", lines[i + 1])
            key = (m.group(1), m.group(2).strip()) if m else ("?", lines[i + 1])
            enabled = None
            settings = {}
            j = i + 2
            while j < len(lines) and lines[j].startswith("    "):
                s = re.match(r"^      enabled: (\d)$", lines[j])
                if s:
                    enabled = s.group(1) == "1"
                s = re.match(r"^        (\w[\w ]*): ?(.*)$", lines[j])
                if s:
                    settings[s.group(1)] = s.group(2).strip()
                j += 1
            entries[key] = (enabled, settings)
            i = j
        else:
            i += 1
    return entries


def check_manifest(pkg, version):
    try:
        with open(os.path.join(pkg, "package.json"), encoding="utf-8") as f:
            manifest = json.load(f)
    except (OSError, ValueError) as e:
        fail("package.json is not valid JSON: %s" % e)
        return
    for field, want in (("name", NAME), ("version", version), ("license", LICENSE)):
        if manifest.get(field) != want:
            fail("package.json: %s is %r, expected %r" % (field, manifest.get(field), want))
    if not re.match(r"^\d{4}\.\d+$", str(manifest.get("unity", ""))):
        fail("package.json: unity is %r, expected a version like 2021.3" % manifest.get("unity"))
    if not os.path.isfile(os.path.join(pkg, "LICENSE.md")):
        fail("LICENSE.md is missing")


def check_metas(pkg):
    guids = {}
    for dirpath, dirnames, filenames in os.walk(pkg):
        # Unity skips folders ending in "~" and hidden ones, and their .meta.
        dirnames[:] = [d for d in dirnames if not d.endswith("~") and not d.startswith(".")]
        rel_dir = os.path.relpath(dirpath, pkg)
        for name in dirnames + filenames:
            rel = os.path.normpath(os.path.join(rel_dir, name))
            full = os.path.join(pkg, rel)
            if name.endswith(".meta"):
                asset = full[:-len(".meta")]
                if not os.path.exists(asset):
                    fail("%s has no file or folder %s" % (rel, os.path.basename(asset)))
                with open(full, encoding="utf-8") as f:
                    m = re.search(r"^guid: ([0-9a-f]{32})$", f.read(), re.M)
                if not m:
                    fail("%s has no 32-hex-digit guid" % rel)
                elif m.group(1) in guids:
                    fail("%s has the guid of %s" % (rel, guids[m.group(1)]))
                else:
                    guids[m.group(1)] = rel
            elif not name.startswith(".") and not os.path.exists(full + ".meta"):
                fail("%s has no .meta" % rel)


def check_plugins(pkg, platforms):
    found = set()
    for dirpath, dirnames, filenames in os.walk(os.path.join(pkg, "Runtime", "Plugins")):
        for name in filenames:
            if not NATIVE.search(name):
                continue
            rel = os.path.relpath(os.path.join(dirpath, name), pkg).replace(os.sep, "/")
            found.add(rel)
            want = PLUGINS.get(rel)
            if want is None:
                fail("%s: not a library this package ships" % rel)
                continue
            platform, mach, editor, player, cpu = want
            if platform not in platforms:
                fail("%s: %s was not packaged, yet its library is here" % (rel, platform))
            got = machine(os.path.join(pkg, rel))
            if got != mach:
                fail("%s is %s, expected %s" % (rel, got, mach))
            with open(os.path.join(pkg, rel + ".meta"), encoding="utf-8") as f:
                meta = f.read()
            if "PluginImporter:" not in meta or "\n  serializedVersion: 2\n" not in meta:
                fail("%s.meta: not a PluginImporter of serializedVersion 2" % rel)
                continue
            data = platform_data(meta)
            enabled = sorted(k for k, (on, _) in data.items() if on)
            expect = sorted([player] + ([("Editor", "Editor")] if editor else []))
            if enabled != expect:
                fail("%s.meta enables %s, expected %s" % (rel, enabled, expect))
                continue
            if data[player][1].get("CPU") != cpu:
                fail("%s.meta: %s: CPU %s, expected %s" % (rel, ":".join(player), data[player][1].get("CPU"), cpu))
            if editor:
                s = data[("Editor", "Editor")][1]
                if (s.get("OS"), s.get("CPU")) != editor:
                    fail("%s.meta: Editor on %s/%s, expected %s/%s" % (rel, s.get("OS"), s.get("CPU"), *editor))
    for rel, want in PLUGINS.items():
        if want[0] in platforms and rel not in found:
            fail("%s is missing, although %s was packaged" % (rel, want[0]))
    return found


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    pkg, version, platforms = sys.argv[1], sys.argv[2], set(sys.argv[3:])
    if not os.path.isdir(pkg):
        sys.exit("check_upm_package: no folder %s" % pkg)
    check_manifest(pkg, version)
    check_metas(pkg)
    found = check_plugins(pkg, platforms)
    if errors:
        for e in errors:
            print("check_upm_package: " + e, file=sys.stderr)
        sys.exit(1)
    print("UPM package %s %s: package.json, .meta files and %d native plugin(s) check out: %s"
          % (NAME, version, len(found), ", ".join(sorted(found))))


if __name__ == "__main__":
    main()
