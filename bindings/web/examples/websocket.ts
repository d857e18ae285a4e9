import { Client, ClientState, DisconnectReason, webSocketTransport } from "lightyear-conn-web";

// Driven by the game's own loop: update(now) once per frame, as with the C API.
export function connectOverWebSocket(token: Uint8Array): Client {
  const client = new Client(token, {
    transport: webSocketTransport({ url: (server) => `wss://game.example.com:${server.port}/netcode` }),
  });
  client.connect(performance.now() / 1000);
  const frame = () => {
    client.update(performance.now() / 1000);
    for (let p = client.receive(); p; p = client.receive()) {
      // p: one payload (1..1200 bytes) from the server
    }
    if (client.state === ClientState.Connected) client.send(new Uint8Array([1, 2, 3]));
    if (client.state > ClientState.Disconnected) requestAnimationFrame(frame);
    else if (client.disconnectReason === DisconnectReason.TimedOut) console.log("server went quiet");
  };
  requestAnimationFrame(frame);
  return client;
}
