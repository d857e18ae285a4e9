// Little-endian field access: every netcode integer is little-endian.

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

export function readU16(b: Uint8Array, off: number): number {
  return view(b).getUint16(off, true);
}
export function readU32(b: Uint8Array, off: number): number {
  return view(b).getUint32(off, true);
}
export function readI32(b: Uint8Array, off: number): number {
  return view(b).getInt32(off, true);
}
export function readU64(b: Uint8Array, off: number): bigint {
  return view(b).getBigUint64(off, true);
}
export function writeU32(b: Uint8Array, off: number, v: number): void {
  view(b).setUint32(off, v, true);
}
export function writeU64(b: Uint8Array, off: number, v: bigint): void {
  view(b).setBigUint64(off, v, true);
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
