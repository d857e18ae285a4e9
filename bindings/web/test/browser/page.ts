// The browser side of browser.test.ts: loaded by a page whose import map
// points "lightyear-conn-web" at dist/ and "@noble/ciphers/" at its ES
// modules, so the page runs the package as built. The test calls the
// functions on window.lytest through the DevTools protocol; each resolves
// with what it saw or rejects saying what went wrong.
import { Client, ClientState, webSocketTransport, webTransportTransport, type TransportFactory } from "lightyear-conn-web";
import { payload, payloadIndex, payloadIntact } from "../payloads.js";

const clock = () => performance.now() / 1000;
const clients = new Map<string, { client: Client; each?: () => void }>();

// One loop drives every client, as a game's frame loop would.
setInterval(() => {
  for (const e of clients.values()) {
    e.client.update(clock());
    e.each?.();
  }
}, 1);

function unhex(s: string): Uint8Array {
  const b = new Uint8Array(s.length / 2);
  for (let i = 0; i < b.length; i++) b[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return b;
}

function describe(c: Client): string {
  return `state ${c.state}, reason ${c.disconnectReason}, stats ${JSON.stringify(c.stats())}`;
}

/** Resolves when done() holds, checked after every update; rejects after timeoutMs. */
function until(name: string, done: () => boolean, timeoutMs: number, each?: () => void): Promise<void> {
  const e = clients.get(name);
  if (!e) return Promise.reject(new Error(`no client ${name}`));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      e.each = undefined;
      reject(new Error(`${name}: waited ${timeoutMs} ms: ${describe(e.client)}`));
    }, timeoutMs);
    e.each = () => {
      try {
        each?.();
      } catch (err) {
        clearTimeout(timer);
        e.each = undefined;
        reject(err);
        return;
      }
      if (done()) {
        clearTimeout(timer);
        e.each = undefined;
        resolve();
      }
    };
  });
}

async function transport(kind: "ws" | "wt", certHashUrl?: string): Promise<TransportFactory> {
  if (kind === "ws") return webSocketTransport({ url: (a) => `ws://${a.host}:${a.port}/netcode` });
  if (typeof WebTransport === "undefined") throw new Error("this browser has no WebTransport");
  // The self-signed certificate's hashes, from the server the page trusts.
  const res = await fetch(certHashUrl!);
  const list = (await res.json()) as { algorithm: "sha-256"; hashes: string[] };
  return webTransportTransport({
    url: (a) => `https://${a.host}:${a.port}/netcode`,
    serverCertificateHashes: list.hashes.map((h) => ({ algorithm: list.algorithm, value: Uint8Array.from(atob(h), (ch) => ch.charCodeAt(0)) })),
  });
}

async function connected(name: string): Promise<void> {
  const c = clients.get(name)!.client;
  await until(name, () => c.state === ClientState.Connected || c.state <= ClientState.Disconnected, 10_000);
  if (c.state !== ClientState.Connected) throw new Error(`${name}: connect ended: ${describe(c)}`);
}

const lytest = {
  /** A new client over ws or wt with this token; resolves once connected. */
  async connect(name: string, kind: "ws" | "wt", tokenHex: string, certHashUrl?: string): Promise<void> {
    const client = new Client(unhex(tokenHex), { transport: await transport(kind, certHashUrl) });
    clients.set(name, { client });
    client.connect(clock());
    await connected(name);
  },

  /** Connects again with a fresh token (a used one is refused). */
  async reconnect(name: string, tokenHex: string): Promise<void> {
    const c = clients.get(name)!.client;
    c.setToken(unhex(tokenHex));
    c.connect(clock());
    await connected(name);
  },

  /**
   * total payloads to the echo server and back, 32 in flight, each checked
   * byte for byte. mayLose: how many may go missing. WebTransport datagrams
   * are unreliable like UDP (Chromium drops one it cannot send in time, which
   * a loaded machine provokes), so a lost payload counts against mayLose
   * instead of holding a slot forever: one not back within a second of the
   * last echo is lost. WebSocket (TCP) gets mayLose 0.
   */
  async exchange(name: string, total: number, maxSize = 1200, mayLose = 0): Promise<{ sent: number; received: number; drops: number }> {
    const c = clients.get(name)!.client;
    const seen = new Set<number>();
    let sent = 0;
    let lost = 0;
    let lastEcho = clock();
    const missing = () => {
      const m: number[] = [];
      for (let i = 0; i < sent; i++) if (!seen.has(i)) m.push(payload(i, maxSize).byteLength);
      return `payload sizes not echoed: ${m.slice(0, 20).join(" ")}${m.length > 20 ? ` and ${m.length - 20} more` : ""}`;
    };
    await until(
      name,
      () => seen.size + lost === total,
      20_000,
      () => {
        for (let p = c.receive(); p; p = c.receive()) {
          const i = payloadIndex(p);
          if (i >= sent || seen.has(i) || !payloadIntact(p, maxSize)) throw new Error(`${name}: echo ${i} (${p.byteLength} bytes) wrong, unsent or repeated`);
          seen.add(i);
          lastEcho = clock();
        }
        if (sent - seen.size - lost > 0 && clock() - lastEcho > 1) {
          // Everything still out is lost: nothing came back for a second.
          lost = sent - seen.size;
          lastEcho = clock();
          if (lost > mayLose) throw new Error(`${name}: ${lost} payloads lost, at most ${mayLose} allowed`);
        }
        while (c.state === ClientState.Connected && sent < total && sent - seen.size - lost < 32) c.send(payload(sent++, maxSize));
      },
    ).catch((e: Error) => {
      throw new Error(`${e.message}; ${missing()}`);
    });
    const st = c.stats();
    return { sent, received: seen.size, drops: st.droppedDecryptFailed + st.droppedMalformed + st.droppedReplayed + st.droppedRejected };
  },

  /** Sends one payload of size bytes: how many packets its transport dropped at once. */
  sendCountingDrops(name: string, size: number): number {
    const c = clients.get(name)!.client;
    const before = c.stats().transport.sendDropped;
    c.send(new Uint8Array(size));
    return c.stats().transport.sendDropped - before;
  },

  /** Waits until the client leaves Connected: its state, reason, and seconds waited. */
  async ended(name: string, timeoutMs: number): Promise<{ state: number; reason: number; waited: number }> {
    const c = clients.get(name)!.client;
    const t0 = clock();
    await until(name, () => c.state !== ClientState.Connected, timeoutMs);
    return { state: c.state, reason: c.disconnectReason, waited: clock() - t0 };
  },

  close(name: string): void {
    clients.get(name)?.client.close();
    clients.delete(name);
  },
};

(globalThis as { lytest?: typeof lytest }).lytest = lytest;
export type Lytest = typeof lytest;
