import { Client, ClientState, runClient, webSocketTransport, webTransportTransport } from "lightyear-conn-web";

// A page against `go run ./cmd/lyweb -http 127.0.0.1:8081` (development):
// GET /token answers a fresh token, the transports' URLs and the
// WebTransport certificate's hashes.
interface DevToken {
  token: string; // base64, 2048 bytes
  urls: { ws?: string; wt?: string };
  cert_hashes: string[]; // base64 SHA-256
}

const b64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

export async function connectToLyweb(): Promise<Client> {
  const dev = (await (await fetch("http://127.0.0.1:8081/token")).json()) as DevToken;
  // WebTransport where the browser has it, else WebSocket. A fixed URL:
  // the token names every transport's address and the server accepts it on
  // any of them, so the first address the client tries goes through it.
  const transport =
    typeof WebTransport !== "undefined" && dev.urls.wt
      ? webTransportTransport({
          url: dev.urls.wt,
          serverCertificateHashes: dev.cert_hashes.map((h) => ({ algorithm: "sha-256" as const, value: b64(h) })),
        })
      : webSocketTransport({ url: dev.urls.ws! });
  const client = new Client(b64(dev.token), { transport });
  runClient(client, {
    onUpdate: (c, payloads) => {
      for (const p of payloads) console.log("echo", p.byteLength, "bytes");
      if (c.state === ClientState.Connected) c.send(new Uint8Array([1, 2, 3]));
    },
    onEnd: (c) => console.log("ended:", c.state, c.disconnectReason),
  });
  return client;
}
