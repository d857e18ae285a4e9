// The Go echo server (test/echoserver) as a child process, and the Node
// side of the live tests: a client pumped in real time, 1,000 payloads
// checked byte for byte.
import assert from "node:assert/strict";
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { setTimeout as sleep } from "node:timers/promises";
import { Client, ClientState } from "../src/index.js";
import { udpTransport } from "../src/node/udp.js";
import type { TransportFactory } from "../src/transport.js";
import { repoRoot, unhex } from "./helpers.js";
import { payload, payloadIndex } from "./payloads.js";

/** The connection timeout the echo server writes into its tokens, seconds. */
export const TIMEOUT_SECONDS = 2;

export type Kind = "udp" | "ws" | "wt";

/** Builds test/echoserver once into a temporary directory; remove() deletes it. */
export function buildEchoServer(): { binary: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), "ly-web-live-"));
  const binary = path.join(dir, "echoserver");
  execFileSync("go", ["build", "-o", binary, "./bindings/web/test/echoserver"], { cwd: repoRoot, stdio: "inherit" });
  return { binary, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The echo server as a child process, read line by line. */
export class EchoServer {
  readonly proc: ChildProcessWithoutNullStreams;
  private readonly lines: string[] = [];
  /** Every line printed, for failure messages. */
  readonly log: string[] = [];
  private waiters: (() => void)[] = [];
  exited = false;
  /** Each transport's address, from the "listen" lines. */
  readonly addrs: Partial<Record<Kind, string>> = {};

  private constructor(binary: string, kinds: Kind[]) {
    const args = ["-timeout", String(TIMEOUT_SECONDS), "-addr", kinds.includes("udp") ? "127.0.0.1:0" : ""];
    if (kinds.includes("ws")) args.push("-ws", "127.0.0.1:0");
    if (kinds.includes("wt")) args.push("-wt", "127.0.0.1:0");
    this.proc = spawn(binary, args, { stdio: "pipe" });
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

  /** Starts a server with these transports and waits until it listens. */
  static async start(binary: string, kinds: Kind[] = ["udp"]): Promise<EchoServer> {
    const s = new EchoServer(binary, kinds);
    for (const k of kinds) s.addrs[k] = (await s.line(`listen ${k} `)).split(" ")[2];
    await s.line("ready ");
    return s;
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

  /** A token naming one transport's address (every one without). */
  async token(kind?: Kind): Promise<Uint8Array> {
    this.send(kind ? `token ${kind}` : "token");
    return unhex((await this.line("token ")).slice(6));
  }

  /** The web listeners' session counters (core/web/session.Stats). */
  async stats(): Promise<Record<string, Record<string, number>>> {
    this.send("stats");
    return JSON.parse((await this.line("stats ")).slice(6)) as Record<string, Record<string, number>>;
  }

  async kill(): Promise<void> {
    if (this.exited) return;
    this.proc.kill("SIGKILL");
    while (!this.exited) await sleep(5);
  }

  /** Ends the process (closing stdin first lets it stop its listeners). */
  async stop(): Promise<void> {
    this.proc.stdin.end();
    const deadline = Date.now() + 2000;
    while (!this.exited && Date.now() < deadline) await sleep(10);
    await this.kill();
  }
}

export const now = () => performance.now() / 1000;

/** Updates the client every millisecond of real time until done() or the deadline. */
export async function pump(client: Client, done: () => boolean, timeoutMs: number, each?: () => void, server?: EchoServer): Promise<void> {
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

/** A client connected with token over transport (UDP by default). */
export async function connect(token: Uint8Array, transport: TransportFactory = udpTransport(), server?: EchoServer): Promise<Client> {
  const client = new Client(token, { transport });
  client.connect(now());
  await pump(client, () => client.state === ClientState.Connected || client.state < 0, 5000, undefined, server);
  assert.equal(client.state, ClientState.Connected, `connect ended in ${client.state}, reason ${client.disconnectReason}`);
  return client;
}

/** 1,000 payloads to the echo server and back, each checked byte for byte. */
export async function exchange(client: Client, server: EchoServer, total = 1000): Promise<void> {
  const window = 32; // in flight at once, well inside the sockets' buffers
  const seen = new Set<number>();
  let sent = 0;
  const run = pump(
    client,
    () => seen.size === total,
    20_000,
    () => {
      for (let p = client.receive(); p; p = client.receive()) {
        const i = payloadIndex(p);
        assert.ok(i < sent, `echo of payload ${i} never sent`);
        assert.deepEqual(p, payload(i), `payload ${i} came back changed`);
        assert.ok(!seen.has(i), `payload ${i} came back twice`);
        seen.add(i);
      }
      while (sent < total && sent - seen.size < window) client.send(payload(sent++));
    },
    server,
  );
  // A stall shows the server's session counters beside the client's.
  await run.catch(async (e: Error) => {
    const st = server.exited ? "exited" : JSON.stringify(await server.stats().catch(() => "none"));
    throw new Error(`${e.message}; web sessions ${st}`);
  });
  assert.equal(sent, total);
  const st = client.stats();
  assert.equal(st.droppedDecryptFailed + st.droppedMalformed + st.droppedReplayed + st.droppedRejected, 0);
  assert.ok(st.packetsSent >= total + 2 && st.packetsReceived >= total + 2);
}
