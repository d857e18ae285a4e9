// A minimal WebSocket server (RFC 6455: the upgrade, binary frames, close)
// that carries each binary message to a UDP server as one datagram and
// back: the framing of the Go server's WebSocket transport, in front of
// the UDP echo server, until that transport can be tested here directly.
import { createHash } from "node:crypto";
import dgram from "node:dgram";
import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export interface Bridge {
  port: number;
  /** Binary messages carried each way, and frames refused (text, unmasked, oversized). */
  counts: { toServer: number; toClient: number; refused: number };
  close(): Promise<void>;
}

export async function startBridge(udpHost: string, udpPort: number): Promise<Bridge> {
  const counts = { toServer: 0, toClient: 0, refused: 0 };
  const sockets = new Set<Duplex>();
  const server = http.createServer((_, res) => res.writeHead(426).end());
  server.on("upgrade", (req, socket: Duplex) => {
    const key = req.headers["sec-websocket-key"];
    if (typeof key !== "string" || req.headers.upgrade?.toLowerCase() !== "websocket") {
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      return;
    }
    const accept = createHash("sha1").update(key + GUID).digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    sockets.add(socket);
    const udp = dgram.createSocket("udp4");
    udp.on("message", (m, r) => {
      if (r.port !== udpPort) return;
      counts.toClient++;
      socket.write(frame(0x2, m));
    });
    let buf = Buffer.alloc(0);
    const end = () => {
      sockets.delete(socket);
      try {
        udp.close();
      } catch {
        // already closed
      }
    };
    socket.on("close", end);
    socket.on("error", end);
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        const f = parseFrame(buf);
        if (!f) return;
        buf = buf.subarray(f.size);
        if (f.opcode === 0x8) {
          socket.end(frame(0x8, Buffer.alloc(0)));
          return;
        }
        if (f.opcode !== 0x2 || !f.masked || !f.fin) {
          counts.refused++;
          continue;
        }
        counts.toServer++;
        udp.send(f.payload, udpPort, udpHost);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    counts,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A server frame: FIN, the opcode, no mask. */
function frame(opcode: number, payload: Buffer): Buffer {
  const n = payload.length;
  const head = n < 126 ? Buffer.from([0x80 | opcode, n]) : Buffer.from([0x80 | opcode, 126, n >> 8, n & 0xff]);
  return Buffer.concat([head, payload]);
}

/** One client frame from the front of b, unmasked, or undefined until it is complete. */
function parseFrame(b: Buffer): { fin: boolean; opcode: number; masked: boolean; payload: Buffer; size: number } | undefined {
  if (b.length < 2) return undefined;
  const fin = (b[0]! & 0x80) !== 0;
  const opcode = b[0]! & 0x0f;
  const masked = (b[1]! & 0x80) !== 0;
  let len = b[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (b.length < 4) return undefined;
    len = b.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (b.length < 10) return undefined;
    len = Number(b.readBigUInt64BE(2));
    off = 10;
  }
  const maskAt = off;
  if (masked) off += 4;
  if (b.length < off + len) return undefined;
  const payload = Buffer.from(b.subarray(off, off + len));
  if (masked) for (let i = 0; i < len; i++) payload[i]! ^= b[maskAt + (i % 4)]!;
  return { fin, opcode, masked, payload, size: off + len };
}
