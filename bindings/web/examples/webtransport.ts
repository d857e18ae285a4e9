import { Client, ClientState, runClient, webTransportTransport } from "lightyear-conn-web";

// The backend (cmd/lytokens) answers POST /v1/token with the 2048-byte token.
async function fetchToken(credential: string): Promise<Uint8Array> {
  const res = await fetch("https://tokens.example.com/v1/token", {
    method: "POST",
    headers: { Authorization: `Bearer ${credential}` },
  });
  if (!res.ok) throw new Error(`token service: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function play(credential: string, certHash: Uint8Array): Promise<Client> {
  const client = new Client(await fetchToken(credential), {
    transport: webTransportTransport({
      // The token holds the server's public address; the page maps it to a URL.
      url: (server) => `https://game.example.com:${server.port}/netcode`,
      // A self-signed certificate (ECDSA P-256, at most 14 days): its SHA-256.
      serverCertificateHashes: [{ algorithm: "sha-256", value: certHash }],
    }),
  });
  runClient(client, {
    onUpdate: (c, payloads) => {
      for (const p of payloads) console.log("from server", p);
      if (c.state === ClientState.Connected) c.send(new TextEncoder().encode("hello"));
    },
    onEnd: (c) => console.log("ended:", c.state, c.disconnectReason),
  });
  return client;
}
