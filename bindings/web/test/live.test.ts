// The client over UDP against the real Go server (test/echoserver): the
// handshake, 1,000 payloads each way checked byte for byte, a server-side
// disconnect, and a timeout when the server process dies.
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Client, ClientState, DisconnectReason } from "../src/index.js";
import { udpTransport } from "../src/node/udp.js";
import type { TransportFactory } from "../src/transport.js";
import { webSocketTransport, type WebSocketConstructor } from "../src/websocket.js";
import { repoRoot, unhex } from "./helpers.js";
import { startBridge } from "./ws-bridge.js";

const TIMEOUT_SECONDS = 2;

/** The echo server as a child process, read line by line. */
class EchoServer {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  /** Every line printed, for failure messages. */
  readonly log: string[] = [];
  private waiters: (() => void)[] = [];
  exited = false;

  constructor(binary: string) {
    this.proc = spawn(binary, ["-addr", "127.0.0.1:0", "-timeout", String(TIMEOUT_SECONDS)], { stdio: "pipe" });
    this.proc.stderr.on("data", (d) => process.stderr.write(`echoserver: ${d}`));
    this.proc.on("exit", () => {
      this.exited = true;
      this.wake();
    });
    createInterface({ input: this.proc.stdout }).on("line", (l) => {
      this.lines.push(l);
      this.log.push(l.length > 80 ? `${l.slice(0, 80)}...` : l);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** The first unread line starting with prefix (earlier other lines are kept). */
  async line(prefix: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return this.lines.splice(i, 1)[0]!;
      if (this.exited) throw new Error(`echoserver exited before printing "${prefix}"`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no "${prefix}" line from echoserver in ${timeoutMs} ms; got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  send(cmd: string): void {
    this.proc.stdin.write(`${cmd}\n`);
  }

  /** The UDP address from the "ready" line. */
  address: string | undefined;

  async token(): Promise<Uint8Array> {
    this.send("token");
    return unhex((await this.line("token ")).slice(6));
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    this.proc.kill("SIGKILL");
    while (!this.exited) await sleep(5);
  }
}

const now = () => performance.now() / 1000;

/** Updates the client every millisecond of real time until done() or the deadline. */
async function pump(client: Client, done: () => boolean, timeoutMs: number, each?: () => void, server?: EchoServer): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(`waited ${timeoutMs} ms: state ${client.state}, reason ${client.disconnectReason}, stats ${JSON.stringify(client.stats())}; server said ${JSON.stringify(server?.log ?? [])}`);
    }
    client.update(now());
    each?.();
    await sleep(1);
  }
}

/** Payload i: its index in the first 4 bytes, then bytes that depend on i and the position. */
function payload(i: number): Uint8Array {
  const n = 4 + ((i * 37) % 1197); // 4..1200 bytes
  const b = new Uint8Array(n);
  new DataView(b.buffer).setUint32(0, i, true);
  for (let j = 4; j < n; j++) b[j] = (i * 7 + j * 13) & 0xff;
  return b;
}

let dir: string;
let binary: string;
const servers: EchoServer[] = [];
const clients: Client[] = [];

before(() => {
  dir = mkdtempSync(path.join(tmpdir(), "ly-web-live-"));
  binary = path.join(dir, "echoserver");
  execFileSync("go", ["build", "-o", binary, "./bindings/web/test/echoserver"], { cwd: repoRoot, stdio: "inherit" });
});

after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) {
    s.proc.stdin.end();
    await s.kill();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function startServer(): Promise<EchoServer> {
  const s = new EchoServer(binary);
  servers.push(s);
  s.address = (await s.line("ready ")).slice(6);
  return s;
}

async function connect(token: Uint8Array, transport: TransportFactory = udpTransport()): Promise<Client> {
  const client = new Client(token, { transport });
  clients.push(client);
  client.connect(now());
  await pump(client, () => client.state === ClientState.Connected || client.state < 0, 5000);
  assert.equal(client.state, ClientState.Connected, `connect ended in ${client.state}, reason ${client.disconnectReason}`);
  return client;
}

/** 1,000 payloads to the echo server and back, each checked byte for byte. */
async function exchange(client: Client, server: EchoServer): Promise<void> {
  const total = 1000;
  const window = 32; // in flight at once, well inside the sockets' buffers
  const seen = new Set<number>();
  let sent = 0;
  await pump(
    client,
    () => seen.size === total,
    20_000,
    () => {
      for (let p = client.receive(); p; p = client.receive()) {
        const i = new DataView(p.buffer, p.byteOffset).getUint32(0, true);
        assert.ok(i < sent, `echo of payload ${i} never sent`);
        assert.deepEqual(p, payload(i), `payload ${i} came back changed`);
        assert.ok(!seen.has(i), `payload ${i} came back twice`);
        seen.add(i);
      }
      while (sent < total && sent - seen.size < window) client.send(payload(sent++));
    },
    server,
  );
  assert.equal(sent, total);
  const st = client.stats();
  assert.equal(st.droppedDecryptFailed + st.droppedMalformed + st.droppedReplayed + st.droppedRejected, 0);
  assert.ok(st.packetsSent >= total + 2 && st.packetsReceived >= total + 2);
}

describe("live: UDP against the Go server", { timeout: 120_000 }, () => {
  test("1,000 payloads each way, then the server disconnects the client", async () => {
    const server = await startServer();
    const client = await connect(await server.token());
    await server.line("connected ");
    assert.ok(client.clientIndex >= 0 && client.maxClients === 8, `max clients ${client.maxClients}`);

    await exchange(client, server);

    server.send("disconnect");
    assert.equal(await server.line("disconnected-all "), "disconnected-all 1");
    await pump(client, () => client.state !== ClientState.Connected, 5000);
    assert.equal(client.state, ClientState.Disconnected);
    assert.equal(client.disconnectReason, DisconnectReason.Remote);
    assert.match(await server.line("disconnected "), / disconnected locally$/);

    // Now the client leaves: its redundant disconnect packets reach the
    // server although the socket is closed right after (not a timeout).
    client.setToken(await server.token());
    client.connect(now());
    await pump(client, () => client.state === ClientState.Connected, 5000);
    await server.line("connected ");
    client.close();
    assert.match(await server.line("disconnected ", (TIMEOUT_SECONDS - 1) * 1000), / disconnected by peer$/);
  });

  test("the server process dies: the client times out; a dead address: request timeout", async () => {
    const server = await startServer();
    const client = await connect(await server.token());
    const spare = await server.token();
    client.send(new Uint8Array([1, 2, 3]));
    await pump(client, () => client.stats().packetsReceived > 3, 5000);
    await server.kill();
    const killedAt = now();
    await pump(client, () => client.state !== ClientState.Connected, (TIMEOUT_SECONDS + 3) * 1000);
    assert.equal(client.state, ClientState.ConnectionTimedOut);
    assert.equal(client.disconnectReason, DisconnectReason.TimedOut);
    const waited = now() - killedAt;
    assert.ok(waited > TIMEOUT_SECONDS - 0.5, `timed out after ${waited.toFixed(2)} s, before the token's ${TIMEOUT_SECONDS} s`);

    client.setToken(spare);
    client.connect(now());
    await pump(client, () => client.state <= ClientState.Disconnected, (TIMEOUT_SECONDS + 3) * 1000);
    assert.equal(client.state, ClientState.ConnectionRequestTimedOut);
    assert.equal(client.disconnectReason, DisconnectReason.RequestTimedOut);
    client.close();
  });
});

describe("live: WebSocket (Node's WebSocket client) through a WebSocket-to-UDP bridge to the Go server", { timeout: 60_000 }, () => {
  test("handshake, 1,000 payloads each way, server disconnect; the bridge going away is a transport error", async () => {
    const WS = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    assert.ok(WS, "no global WebSocket: run node with --experimental-websocket on Node 20");
    const server = await startServer();
    const [host, port] = (server.address ?? "").split(":");
    const bridge = await startBridge(host!, Number(port));
    try {
      const transport = webSocketTransport({ url: `ws://127.0.0.1:${bridge.port}/netcode`, WebSocket: WS });
      const client = await connect(await server.token(), transport);
      await server.line("connected ");
      await exchange(client, server);
      assert.ok(bridge.counts.toServer >= 1002 && bridge.counts.toClient >= 1002, JSON.stringify(bridge.counts));
      assert.equal(bridge.counts.refused, 0);
      server.send("disconnect");
      await pump(client, () => client.state !== ClientState.Connected, 5000);
      assert.equal(client.disconnectReason, DisconnectReason.Remote);

      client.setToken(await server.token());
      client.connect(now());
      await pump(client, () => client.state === ClientState.Connected, 5000);
      await bridge.close();
      await pump(client, () => client.state !== ClientState.Connected, 5000);
      assert.equal(client.state, ClientState.Disconnected);
      assert.equal(client.disconnectReason, DisconnectReason.TransportError);
    } finally {
      await bridge.close();
    }
  });
});
