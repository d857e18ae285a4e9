// The package as users import it: the exports map, and a browser entry
// point whose whole import graph is free of Node built-ins.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("the browser entry point imports nothing from Node", () => {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(file, "utf8");
    for (const m of src.matchAll(/(?:import|export)\s[^;]*?from\s+"([^"]+)"|import\s*\(\s*"([^"]+)"\s*\)/g)) {
      const spec = (m[1] ?? m[2])!;
      if (spec.startsWith(".")) visit(path.resolve(path.dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(path.join(pkgDir, "dist/index.js"));
  assert.ok(seen.size >= 10, `followed ${seen.size} modules`);
  assert.ok(![...seen].some((f) => f.includes(`${path.sep}node${path.sep}`)), "dist/node/ is not reached");
  assert.deepEqual([...bare], ["@noble/ciphers/chacha.js"]);
});

test("the exports map: the browser entry and ./node", async () => {
  const web = await import("lightyear-conn-web");
  const node = await import("lightyear-conn-web/node");
  for (const name of ["Client", "ClientState", "DisconnectReason", "NetcodeError", "parseConnectToken", "webSocketTransport", "webTransportTransport", "runClient"]) {
    assert.ok(name in web, `${name} exported`);
    assert.equal((node as Record<string, unknown>)[name], (web as Record<string, unknown>)[name], `${name} is the same in ./node`);
  }
  assert.ok("udpTransport" in node && !("udpTransport" in web));
  assert.equal(web.ClientState.Connected, 3);
  assert.equal(web.ClientState.ConnectTokenExpired, -6);
  assert.equal(web.DisconnectReason.TransportError, 10);
});

test("client states and disconnect reasons mirror include/lightyear_conn.h", async () => {
  const { ClientState, DisconnectReason } = await import("lightyear-conn-web");
  const header = readFileSync(path.join(pkgDir, "../../include/lightyear_conn.h"), "utf8");
  const pascal = (s: string) => s.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
  const fromHeader = (prefix: string) =>
    Object.fromEntries([...header.matchAll(new RegExp(`\\b${prefix}([A-Z_]+) = (-?\\d+)`, "g"))].map((m) => [pascal(m[1]!), Number(m[2])]));
  const states = fromHeader("LY_STATE_");
  const reasons = fromHeader("LY_REASON_");
  assert.equal(Object.keys(states).length, 10);
  assert.equal(Object.keys(reasons).length, 11);
  assert.deepEqual({ ...ClientState }, states);
  assert.deepEqual({ ...DisconnectReason }, reasons);
});

test("the README's code blocks are the example files (type-checked with the tests)", () => {
  const readme = readFileSync(path.join(pkgDir, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/<!-- file: (\S+) -->\n```ts\n([\s\S]*?)```/g)];
  assert.equal(blocks.length, 2);
  for (const [, file, code] of blocks) {
    assert.equal(code, readFileSync(path.join(pkgDir, file!), "utf8"), `${file} and its README block differ`);
  }
});
