import type { Client } from "./client.js";
import { ClientState } from "./state.js";

export interface LoopOptions {
  /** Milliseconds between updates; default 16 (about 60 Hz). */
  intervalMs?: number;
  /** Seconds on a monotonic clock; default performance.now() / 1000. */
  clock?: () => number;
  /** Called after every update, with the payloads received in it. */
  onUpdate?: (client: Client, payloads: Uint8Array[]) => void;
  /** Called once when the client leaves Connected or the handshake for good. */
  onEnd?: (client: Client) => void;
  /** Called if update throws (the loop stops). */
  onError?: (error: unknown) => void;
}

/**
 * Drives a client from a timer, for pages that have no game loop of their
 * own: connects, updates every intervalMs, hands over received payloads.
 * Returns a function that stops the loop (it does not disconnect).
 */
export function runClient(client: Client, options: LoopOptions = {}): () => void {
  const clock = options.clock ?? (() => performance.now() / 1000);
  const intervalMs = options.intervalMs ?? 16;
  if (!(intervalMs > 0)) throw new RangeError(`intervalMs ${intervalMs}: want > 0`);
  if (client.state <= ClientState.Disconnected) client.connect(clock());
  let ended = false;
  const timer = setInterval(() => {
    try {
      client.update(clock());
    } catch (e) {
      clearInterval(timer);
      options.onError?.(e);
      return;
    }
    const payloads: Uint8Array[] = [];
    for (let p = client.receive(); p; p = client.receive()) payloads.push(p);
    options.onUpdate?.(client, payloads);
    if (!ended && client.state <= ClientState.Disconnected) {
      ended = true;
      clearInterval(timer);
      options.onEnd?.(client);
    }
  }, intervalMs);
  return () => clearInterval(timer);
}
