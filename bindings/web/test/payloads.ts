// The live tests' payloads, shared by Node and the browser page (no Node
// imports): payload i carries its index in the first 4 bytes, then bytes
// that depend on i and the position, 4..max bytes long (netcode's 1200 by
// default; WebTransport in Chromium carries up to 1190, see webtransport.ts).
export function payload(i: number, max = 1200): Uint8Array {
  const n = 4 + ((i * 37) % (max - 3));
  const b = new Uint8Array(n);
  new DataView(b.buffer).setUint32(0, i, true);
  for (let j = 4; j < n; j++) b[j] = (i * 7 + j * 13) & 0xff;
  return b;
}

export function payloadIndex(p: Uint8Array): number {
  return new DataView(p.buffer, p.byteOffset, p.byteLength).getUint32(0, true);
}

/** Whether p is exactly payload(payloadIndex(p)). */
export function payloadIntact(p: Uint8Array, max = 1200): boolean {
  if (p.byteLength < 4) return false;
  const want = payload(payloadIndex(p), max);
  if (want.byteLength !== p.byteLength) return false;
  for (let j = 0; j < p.byteLength; j++) if (p[j] !== want[j]) return false;
  return true;
}
