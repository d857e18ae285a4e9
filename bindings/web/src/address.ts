import { readU16 } from "./bytes.js";

/** A server address from a connect token. host has no brackets for IPv6. */
export interface ServerAddress {
  readonly family: 4 | 6;
  readonly host: string;
  readonly port: number;
}

const IPV4 = 1;
const IPV6 = 2;
const IPV4_SIZE = 1 + 4 + 2;
const IPV6_SIZE = 1 + 16 + 2;

/** "1.2.3.4:5" or "[2001:db8::1]:5", as Go's netip prints them. */
export function formatAddress(a: ServerAddress): string {
  return a.family === 6 ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Decodes one address at off; returns it and its size, or undefined when
 * the type is unknown or the bytes run out. IPv6 groups are little-endian
 * group values, not network byte order (netcode 1.02 writes them so).
 */
export function readAddress(b: Uint8Array, off: number): { address: ServerAddress; size: number } | undefined {
  const type = b[off];
  if (type === IPV4) {
    if (off + IPV4_SIZE > b.length) return undefined;
    const host = `${b[off + 1]}.${b[off + 2]}.${b[off + 3]}.${b[off + 4]}`;
    return { address: { family: 4, host, port: readU16(b, off + 5) }, size: IPV4_SIZE };
  }
  if (type === IPV6) {
    if (off + IPV6_SIZE > b.length) return undefined;
    const groups: number[] = [];
    for (let i = 0; i < 8; i++) groups.push(readU16(b, off + 1 + 2 * i));
    return { address: { family: 6, host: formatIPv6(groups), port: readU16(b, off + 17) }, size: IPV6_SIZE };
  }
  return undefined;
}

/** RFC 5952 text: lower-case hex, the longest run (2+) of zero groups as "::". */
export function formatIPv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}
