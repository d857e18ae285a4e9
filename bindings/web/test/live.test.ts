// The client in Node against the real Go server (test/echoserver, core/web's
// listeners): over UDP and over the server's ws:// listener with Node's
// WebSocket client: the handshake, 1,000 payloads each way checked byte for
// byte, a server-side disconnect, a timeout, and UDP and WebSocket clients
// on one server at once.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Client, ClientState, DisconnectReason } from "../src/index.js";
import type { TransportFactory } from "../src/transport.js";
import { webSocketTransport, type WebSocketConstructor } from "../src/websocket.js";
import { buildEchoServer, connect, EchoServer, exchange, now, pump, TIMEOUT_SECONDS, type Kind } from "./live-helpers.js";

let build: ReturnType<typeof buildEchoServer>;
const servers: EchoServer[] = [];
const clients: Client[] = [];

before(() => {
  build = buildEchoServer();
});

after(async () => {
  for (const c of clients) c.close();
  for (const s of servers) await s.stop();
  build.remove();
});

async function startServer(kinds: Kind[] = ["udp"]): Promise<EchoServer> {
  const s = await EchoServer.start(build.binary, kinds);
  servers.push(s);
  return s;
}

async function connectTracked(token: Uint8Array, transport?: TransportFactory, server?: EchoServer): Promise<Client> {
  const c = await connect(token, transport, server);
  clients.push(c);
  return c;
}

function wsTransport(server: EchoServer): TransportFactory {
  const WS = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  assert.ok(WS, "no global WebSocket: run node with --experimental-websocket on Node 20");
  // The token names the listener's address; the URL is built from it, as a page would.
  return webSocketTransport({ url: (a) => `ws://${a.host}:${a.port}/netcode`, WebSocket: WS });
}

/** Pauses the server until the client times out; checks the reason and that it waited the token's timeout. */
async function timesOut(client: Client, server: EchoServer): Promise<void> {
  server.send("pause");
  await server.line("paused");
  const at = now();
  await pump(client, () => client.state !== ClientState.Connected, (TIMEOUT_SECONDS + 3) * 1000, undefined, server);
  assert.equal(client.state, ClientState.ConnectionTimedOut);
  assert.equal(client.disconnectReason, DisconnectReason.TimedOut);
  const waited = now() - at;
  assert.ok(waited > TIMEOUT_SECONDS - 0.5, `timed out after ${waited.toFixed(2)} s, before the token's ${TIMEOUT_SECONDS} s`);
  server.send("resume");
  await server.line("resumed");
}

describe("live: UDP against the Go server", { timeout: 120_000 }, () => {
  test("1,000 payloads each way, then the server disconnects the client", async () => {
    const server = await startServer();
    const client = await connectTracked(await server.token());
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
    const client = await connectTracked(await server.token());
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

describe("live: WebSocket (Node's client) against the Go server's ws:// listener", { timeout: 60_000 }, () => {
  test("1,000 payloads each way, a server disconnect, a timeout; the server going away is a transport error", async () => {
    const server = await startServer(["ws"]);
    const client = await connectTracked(await server.token("ws"), wsTransport(server), server);
    await server.line("connected ");
    await exchange(client, server);

    server.send("disconnect");
    assert.equal(await server.line("disconnected-all "), "disconnected-all 1");
    await pump(client, () => client.state !== ClientState.Connected, 5000);
    assert.equal(client.state, ClientState.Disconnected);
    assert.equal(client.disconnectReason, DisconnectReason.Remote);

    // The server stops answering while the WebSocket stays open.
    client.setToken(await server.token("ws"));
    client.connect(now());
    await pump(client, () => client.state === ClientState.Connected, 5000, undefined, server);
    await timesOut(client, server);

    const st = (await server.stats()).ws!;
    assert.equal(st.Accepted, 2, JSON.stringify(st));
    assert.ok(st.Received! >= 1002 && st.Sent! >= 1002, JSON.stringify(st));
    for (const k of ["RefusedOrigin", "RefusedHandshake", "RecvOversized", "RecvText", "RecvQueueFull", "SendQueueFull"]) assert.equal(st[k], 0, k);

    // The process dies: the kernel closes the TCP connection at once.
    client.setToken(await server.token("ws"));
    client.connect(now());
    await pump(client, () => client.state === ClientState.Connected, 5000, undefined, server);
    await server.kill();
    await pump(client, () => client.state !== ClientState.Connected, 2000);
    assert.equal(client.state, ClientState.Disconnected);
    assert.equal(client.disconnectReason, DisconnectReason.TransportError);
    client.close();
  });

  test("UDP and WebSocket clients on one server at once, both disconnected by the server", async () => {
    const server = await startServer(["udp", "ws"]);
    const overUDP = await connectTracked(await server.token("udp"), undefined, server);
    const overWS = await connectTracked(await server.token("ws"), wsTransport(server), server);
    await Promise.all([exchange(overUDP, server), exchange(overWS, server)]);
    server.send("disconnect");
    assert.equal(await server.line("disconnected-all "), "disconnected-all 2");
    await Promise.all([overUDP, overWS].map((c) => pump(c, () => c.state !== ClientState.Connected, 5000)));
    for (const c of [overUDP, overWS]) assert.equal(c.disconnectReason, DisconnectReason.Remote);
  });
});
