// Runs the compiled tests with Node's test runner, one file at a time (the
// live ones start servers). Node 20's WebSocket client needs a flag that
// later versions no longer require.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const flags = typeof WebSocket === "undefined" ? ["--experimental-websocket"] : [];
const files = readdirSync("build/test")
  .filter((f) => f.endsWith(".test.js"))
  .sort()
  .map((f) => `build/test/${f}`);
const r = spawnSync(process.execPath, [...flags, "--test", "--test-concurrency=1", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
