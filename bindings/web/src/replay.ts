import { REPLAY_WINDOW_SIZE } from "./constants.js";

const EMPTY = 0xffff_ffff_ffff_ffffn;
const SIZE = BigInt(REPLAY_WINDOW_SIZE);

/**
 * The reference's replay protection: 256 slots and the most recent
 * sequence. Check before decrypting, advance only after a packet decrypted.
 */
export class ReplayWindow {
  mostRecent = 0n;
  private readonly received = new BigUint64Array(REPLAY_WINDOW_SIZE).fill(EMPTY);

  reset(): void {
    this.mostRecent = 0n;
    this.received.fill(EMPTY);
  }

  /** Whether seq must be dropped: seen already, or too old to tell. */
  alreadyReceived(seq: bigint): boolean {
    // Written as a subtraction: seq + 256 would pass 2^64 in the reference's u64.
    if (this.mostRecent >= SIZE && seq <= this.mostRecent - SIZE) return true;
    const e = this.received[Number(seq % SIZE)]!;
    return e !== EMPTY && e >= seq;
  }

  advance(seq: bigint): void {
    if (seq > this.mostRecent) this.mostRecent = seq;
    this.received[Number(seq % SIZE)] = seq;
  }
}
