// Debian's headless Chromium, driven with playwright-core, loads a page
// that runs the built package (dist/) and connects to the real Go server
// (test/echoserver on core/web) over WebTransport, with the self-signed
// certificate's hash from GET /cert-hash, and over WebSocket, while a Node
// client talks to the same server over UDP: 1,000 payloads each way per
// client checked byte for byte, a server-side disconnect, a timeout.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { chromium, type Browser, type Page } from "playwright-core";
import { ClientState, DisconnectReason, type Client } from "../src/index.js";
import type { Lytest } from "./browser/page.js";
import { buildEchoServer, connect, EchoServer, exchange, pump, TIMEOUT_SECONDS } from "./live-helpers.js";
import { hex, repoRoot } from "./helpers.js";

const CHROMIUM = process.env.LY_CHROMIUM ?? "/usr/bin/chromium";
// The flags checked with Debian's Chromium here; QUIC stays enabled.
const FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const webRoot = path.join(repoRoot, "bindings/web");
// Only these are served: the package as built, the compiled page, the cipher's ES modules.
const SERVED = ["/dist/", "/build/test/", "/node_modules/@noble/ciphers/"];

const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>lightyear-conn-web browser test</title>
<script type="importmap">
{ "imports": { "lightyear-conn-web": "/dist/index.js", "@noble/ciphers/": "/node_modules/@noble/ciphers/" } }
</script>
<script type="module" src="/build/test/browser/page.js"></script>
`;

/** A loopback HTTP server for the page and the files it imports. */
function servePage(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? "/", "http://x").pathname;
    if (p === "/") return void res.writeHead(200, { "content-type": "text/html" }).end(PAGE);
    if (p === "/favicon.ico") return void res.writeHead(204).end();
    const file = path.join(webRoot, path.normalize(p));
    if (!SERVED.some((s) => p.startsWith(s)) || !file.startsWith(webRoot) || !existsSync(file)) return void res.writeHead(404).end();
    const type = file.endsWith(".js") ? "text/javascript" : "application/json";
    res.writeHead(200, { "content-type": type }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

let build: ReturnType<typeof buildEchoServer>;
let server: EchoServer;
let site: http.Server;
let browser: Browser;
let page: Page;
const pageLog: string[] = [];
const nodeClients: Client[] = [];
let keepAlive: NodeJS.Timeout | undefined;

/** Calls window.lytest[fn](...args) in the page. */
function call<K extends keyof Lytest>(fn: K, ...args: Parameters<Lytest[K]>): Promise<Awaited<ReturnType<Lytest[K]>>> {
  return page
    .evaluate(([f, a]) => (globalThis as unknown as { lytest: Record<string, (...x: unknown[]) => unknown> }).lytest[f as string]!(...(a as unknown[])), [fn, args] as const)
    .catch(async (e: Error) => {
      const st = server.exited ? "exited" : JSON.stringify(await server.stats().catch(() => "none"));
      throw new Error(`${e.message}\npage said: ${pageLog.join("\n")}\nserver said: ${server.log.join("\n")}\nweb sessions: ${st}`);
    }) as Promise<Awaited<ReturnType<Lytest[K]>>>;
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} missing: apt-get install chromium (bindings/web/test.sh does)`);
  build = buildEchoServer();
  server = await EchoServer.start(build.binary, ["udp", "ws", "wt"]);
  site = await servePage();
  // launch() gives the browser a fresh temporary profile and deletes it on close.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
  page = await browser.newPage();
  page.on("console", (m) => pageLog.push(`${m.type()}: ${m.text()}`));
  page.on("pageerror", (e) => pageLog.push(`error: ${e.message}`));
  await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
  await page.waitForFunction(() => "lytest" in globalThis, undefined, { timeout: 10_000 });
});

after(async () => {
  clearInterval(keepAlive);
  for (const c of nodeClients) c.close();
  await browser?.close();
  site?.closeAllConnections();
  site?.close();
  await server?.stop();
  build?.remove();
});

describe("browser: Chromium over WebTransport and WebSocket, Node over UDP, one Go server", { timeout: 120_000 }, () => {
  let udp: Client;
  const certHashUrl = () => `http://${server.addrs.ws}/cert-hash`;

  test("1,000 payloads each way on every transport at once, then a server-side disconnect", async () => {
    // Each token names one transport's address, so each client must use its own.
    await call("connect", "wt", "wt", hex(await server.token("wt")), certHashUrl());
    await call("connect", "ws", "ws", hex(await server.token("ws")));
    udp = await connect(await server.token("udp"), undefined, server);
    nodeClients.push(udp);
    // Between the test's own pumps the Node client still keeps its connection alive.
    keepAlive = setInterval(() => udp.update(performance.now() / 1000), 10);

    // Chromium's WebTransport datagrams carry 1215 bytes: payloads up to 1190.
    // Datagrams may be lost (Chromium drops one it cannot send in time): up
    // to 2 % over WebTransport; none over WebSocket (TCP).
    const [wt, ws] = await Promise.all([call("exchange", "wt", 1000, 1190, 20), call("exchange", "ws", 1000), exchange(udp, server)]);
    assert.deepEqual(ws, { sent: 1000, received: 1000, drops: 0 });
    assert.equal(wt.sent, 1000);
    assert.equal(wt.drops, 0);
    assert.ok(wt.received >= 980, `WebTransport: ${wt.received} of 1000 payloads came back`);
    if (wt.received < 1000) console.log(`WebTransport: ${1000 - wt.received} of 1000 datagram round trips lost`);
    assert.equal(await call("sendCountingDrops", "wt", 1200), 1, "a payload over WebTransport's datagram size is dropped and counted");
    assert.equal(await call("sendCountingDrops", "ws", 1200), 0);
    const st = await server.stats();
    for (const k of ["ws", "wt"]) {
      assert.equal(st[k]!.Accepted, 1, `${k}: ${JSON.stringify(st[k])}`);
      assert.ok(st[k]!.Received! >= 1002 && st[k]!.Sent! >= 1002, `${k}: ${JSON.stringify(st[k])}`);
      assert.equal(st[k]!.RefusedOrigin, 0);
    }

    server.send("disconnect");
    assert.equal(await server.line("disconnected-all "), "disconnected-all 3");
    const ended = await Promise.all([call("ended", "wt", 5000), call("ended", "ws", 5000), pump(udp, () => udp.state !== ClientState.Connected, 5000)]);
    for (const r of ended.slice(0, 2) as { state: number; reason: number }[]) {
      assert.equal(r.state, ClientState.Disconnected);
      assert.equal(r.reason, DisconnectReason.Remote);
    }
    assert.equal(udp.disconnectReason, DisconnectReason.Remote);
  });

  test("the server stops answering: every client times out after the token's timeout", async () => {
    await call("reconnect", "wt", hex(await server.token("wt")));
    await call("reconnect", "ws", hex(await server.token("ws")));
    udp.setToken(await server.token("udp"));
    udp.connect(performance.now() / 1000);
    await pump(udp, () => udp.state === ClientState.Connected, 5000, undefined, server);

    server.send("pause");
    await server.line("paused");
    const limit = (TIMEOUT_SECONDS + 3) * 1000;
    const [wt, ws] = await Promise.all([call("ended", "wt", limit), call("ended", "ws", limit), pump(udp, () => udp.state !== ClientState.Connected, limit)]);
    for (const r of [wt, ws]) {
      assert.equal(r.state, ClientState.ConnectionTimedOut, JSON.stringify(r));
      assert.equal(r.reason, DisconnectReason.TimedOut);
      assert.ok(r.waited > TIMEOUT_SECONDS - 0.5, `timed out after ${r.waited.toFixed(2)} s`);
    }
    assert.equal(udp.disconnectReason, DisconnectReason.TimedOut);
    server.send("resume");
    await server.line("resumed");
    await call("close", "wt");
    await call("close", "ws");
  });

  test("WebTransport with a hash that is not the server's certificate's fails to connect", async () => {
    const wrong = `data:application/json,${JSON.stringify({ algorithm: "sha-256", hashes: [Buffer.alloc(32, 7).toString("base64")] })}`;
    await assert.rejects(call("connect", "bad", "wt", hex(await server.token("wt")), wrong), new RegExp(`connect ended: state -?\\d+, reason ${DisconnectReason.TransportError}`));
    await call("close", "bad");
  });
});
