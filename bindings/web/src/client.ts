import type { ServerAddress } from "./address.js";
import { readU32 } from "./bytes.js";
import { DISCONNECT_REDUNDANCY, KEEP_ALIVE_BODY_SIZE, MAX_PACKET_SIZE, MAX_PAYLOAD_SIZE, SEND_INTERVAL } from "./constants.js";
import { NetcodeError } from "./errors.js";
import {
  CLIENT_ACCEPTS,
  PacketType,
  readChallengeBody,
  readEncrypted,
  responseBody,
  writeEncrypted,
  writeRequest,
  type DropReason,
} from "./packet.js";
import { ReplayWindow } from "./replay.js";
import { ClientState, DisconnectReason, isConnecting, reasonForState } from "./state.js";
import { parseConnectToken, tokenLifetime, type ConnectToken } from "./token.js";
import { newCounters, PacketQueue, type Transport, type TransportCounters, type TransportFactory } from "./transport.js";

export interface ClientOptions {
  /** Opens the transport to a server address of the token. */
  transport: TransportFactory;
  /** Payloads waiting for receive(); more are dropped and counted. Default 256. */
  receiveQueueSize?: number;
  /** Packets one update() reads at most, so a flood cannot hold it. Default 4096. */
  maxReadsPerUpdate?: number;
}

/** The client's counters; drops by cause, none of them ever answered. */
export interface ClientStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Wrong size, type, prefix or body. */
  droppedMalformed: number;
  /** Sequence already received or too old. */
  droppedReplayed: number;
  /** The AEAD refused it (wrong key, tampered). */
  droppedDecryptFailed: number;
  /** Well formed but unexpected in the current state. */
  droppedRejected: number;
  /** A payload arrived with the receive queue full. */
  droppedQueueFull: number;
  /** Larger than any netcode packet. */
  droppedOversized: number;
  /** Dropped by the transports (all attempts of this client). */
  transport: TransportCounters;
  /** Seconds since the last packet was accepted. */
  sinceLastReceive: number;
}

type Drop = DropReason | "queue-full";
const dropCounter: Record<Drop, "droppedMalformed" | "droppedReplayed" | "droppedDecryptFailed" | "droppedRejected" | "droppedQueueFull"> = {
  "queue-full": "droppedQueueFull",
  malformed: "droppedMalformed",
  replayed: "droppedReplayed",
  decrypt: "droppedDecryptFailed",
  rejected: "droppedRejected",
};

/**
 * A netcode.io 1.02 client. Time is the caller's: connect(now) and
 * update(now) take seconds on any monotonic clock (performance.now()/1000,
 * or a test's counter); nothing happens between calls.
 */
export class Client {
  private readonly options: Required<ClientOptions>;
  private rawToken: Uint8Array;
  private tok: ConnectToken | undefined;
  private tr: Transport | undefined;
  private readonly pastCounters = newCounters();
  private closed = false;

  private st: ClientState = ClientState.Disconnected;
  private reason: DisconnectReason = DisconnectReason.None;
  // Times are whole microseconds: seconds as doubles do not subtract
  // exactly (100.1 - 100 < 0.1), and the 0.1 s send interval must be exact.
  private now: number | undefined;
  private connectStart = 0;
  private lastSend: number | undefined; // undefined: nothing sent in this attempt
  private lastRecv = 0;

  private serverIndex = 0;
  private sequence = 0n;
  private readonly replay = new ReplayWindow();
  private challengeSeq = 0n;
  private challengeToken: Uint8Array = new Uint8Array(0);
  private index = 0;
  private max = 0;
  private pending: ClientState | undefined; // the state to end in after this update

  private readonly received: PacketQueue;
  private readonly counts = {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    bytesReceived: 0,
    droppedMalformed: 0,
    droppedReplayed: 0,
    droppedDecryptFailed: 0,
    droppedRejected: 0,
    droppedQueueFull: 0,
    droppedOversized: 0,
  };

  /** token: the 2048-byte connect token from the backend; connect() checks it. */
  constructor(token: Uint8Array, options: ClientOptions) {
    if (!(token instanceof Uint8Array)) throw new NetcodeError("invalid-argument", "token must be a Uint8Array");
    if (typeof options?.transport !== "function") throw new NetcodeError("invalid-argument", "options.transport must be a transport factory");
    const receiveQueueSize = options.receiveQueueSize ?? 256;
    const maxReadsPerUpdate = options.maxReadsPerUpdate ?? 4096;
    for (const [name, v] of [["receiveQueueSize", receiveQueueSize], ["maxReadsPerUpdate", maxReadsPerUpdate]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new NetcodeError("invalid-argument", `options.${name} ${v}: want an integer >= 1`);
    }
    this.options = { transport: options.transport, receiveQueueSize, maxReadsPerUpdate };
    this.rawToken = token.slice();
    this.received = new PacketQueue(receiveQueueSize);
  }

  get state(): ClientState {
    return this.st;
  }
  /** Why the last connection or attempt ended; None while one goes on. */
  get disconnectReason(): DisconnectReason {
    return this.reason;
  }
  /** The server's slot for this client and its capacity, from its first keep-alive. */
  get clientIndex(): number {
    return this.index;
  }
  get maxClients(): number {
    return this.max;
  }
  /** The parsed token of the current or last connect. */
  get token(): ConnectToken | undefined {
    return this.tok;
  }
  /** The address being tried or connected to. */
  get serverAddress(): ServerAddress | undefined {
    return this.tok?.serverAddresses[this.serverIndex];
  }

  /** Replaces the token for the next connect: a used token is never accepted again. */
  setToken(token: Uint8Array): void {
    this.checkOpen();
    if (!(token instanceof Uint8Array)) throw new NetcodeError("invalid-argument", "token must be a Uint8Array");
    if (this.st > ClientState.Disconnected) throw new NetcodeError("already-active", "setToken while connecting or connected");
    this.rawToken = token.slice();
    this.tok = undefined;
  }

  /**
   * Parses the token and starts the handshake with its first server address
   * whose transport opens. An invalid token ends in InvalidConnectToken and
   * throws, as does a failure to open any transport (TransportError).
   */
  connect(now: number): void {
    this.checkOpen();
    if (this.st > ClientState.Disconnected) throw new NetcodeError("already-active", "connect while connecting or connected");
    this.advance(now);
    let t: ConnectToken;
    try {
      t = parseConnectToken(this.rawToken);
    } catch (e) {
      this.finish(ClientState.InvalidConnectToken, DisconnectReason.InvalidToken);
      throw e;
    }
    this.tok = t;
    this.received.clear();
    this.connectStart = this.now!;
    const errors = this.attemptFrom(0);
    if (errors) {
      this.finish(ClientState.Disconnected, DisconnectReason.TransportError);
      throw new NetcodeError("transport", `no server address could be opened: ${errors.map(String).join("; ")}`, { cause: errors[0] });
    }
  }

  /** Receives, sends what is due, and applies the timeouts. */
  update(now: number): void {
    this.checkOpen();
    this.advance(now);
    if (this.st <= ClientState.Disconnected) return;
    this.receiveAll();
    if (this.tr?.error) {
      // A browser transport fails like a refused connection: try the next address.
      if (isConnecting(this.st) && this.tryNextServer()) return;
      this.finish(ClientState.Disconnected, DisconnectReason.TransportError);
      return;
    }
    this.sendDue();
    const t = this.tok!;
    if (isConnecting(this.st)) {
      const life = tokenLifetime(t);
      if (life !== undefined && this.now! - this.connectStart >= life * 1e6) {
        this.finish(ClientState.ConnectTokenExpired, DisconnectReason.TokenExpired);
        return;
      }
    }
    if (this.pending !== undefined) {
      const s = this.pending;
      if (s === ClientState.ConnectionDenied && this.tryNextServer()) return;
      this.finish(s, s === ClientState.Disconnected ? DisconnectReason.Remote : reasonForState(s));
      return;
    }
    if (t.timeoutSeconds > 0 && this.now! - this.lastRecv > t.timeoutSeconds * 1e6) {
      switch (this.st) {
        case ClientState.SendingConnectionRequest:
          if (!this.tryNextServer()) this.finish(ClientState.ConnectionRequestTimedOut, DisconnectReason.RequestTimedOut);
          break;
        case ClientState.SendingConnectionResponse:
          if (!this.tryNextServer()) this.finish(ClientState.ConnectionResponseTimedOut, DisconnectReason.ResponseTimedOut);
          break;
        case ClientState.Connected:
          this.finish(ClientState.ConnectionTimedOut, DisconnectReason.TimedOut);
          break;
      }
    }
  }

  /** Sends a payload of 1..1200 bytes; needs the Connected state. */
  send(payload: Uint8Array): void {
    this.checkOpen();
    if (!(payload instanceof Uint8Array)) throw new NetcodeError("invalid-argument", "payload must be a Uint8Array");
    if (payload.length < 1 || payload.length > MAX_PAYLOAD_SIZE) {
      throw new NetcodeError("payload-size", `payload of ${payload.length} bytes (want 1..${MAX_PAYLOAD_SIZE})`);
    }
    if (this.st !== ClientState.Connected) throw new NetcodeError("not-connected", `send in state ${this.st}`);
    this.sendEncrypted(PacketType.Payload, payload);
  }

  /** The oldest payload received, or undefined. */
  receive(): Uint8Array | undefined {
    return this.received.shift();
  }

  /**
   * Ends the connection or attempt. A connected server is told with
   * redundant disconnect packets, as the reference client does.
   */
  disconnect(): void {
    this.checkOpen();
    if (this.st === ClientState.Connected) {
      for (let i = 0; i < DISCONNECT_REDUNDANCY; i++) this.sendEncrypted(PacketType.Disconnect, new Uint8Array(0));
    }
    if (this.st > ClientState.Disconnected) this.finish(ClientState.Disconnected, DisconnectReason.Local);
  }

  /** Disconnects and releases the transport; every later call but stats() throws. */
  close(): void {
    if (this.closed) return;
    this.disconnect();
    this.closed = true;
    this.closeTransport();
  }

  stats(): ClientStats {
    const tc = { ...this.pastCounters };
    if (this.tr) addCounters(tc, this.tr.counters);
    return { ...this.counts, transport: tc, sinceLastReceive: ((this.now ?? 0) - this.lastRecv) / 1e6 };
  }

  private checkOpen(): void {
    if (this.closed) throw new NetcodeError("closed", "client is closed");
  }

  private advance(now: number): void {
    // Whole microseconds stay exact in a double up to 2^53: about 285 years.
    if (typeof now !== "number" || !Number.isFinite(now) || Math.abs(now) > 9e9) {
      throw new NetcodeError("invalid-argument", `time ${now}: want a finite number of seconds below 9e9`);
    }
    const us = Math.round(now * 1e6);
    if (this.now !== undefined && us < this.now) throw new NetcodeError("invalid-argument", `time went back from ${this.now / 1e6} to ${now}`);
    this.now = us;
  }

  /** Starts with the first address from i whose transport opens; returns the errors if none does. */
  private attemptFrom(i: number): unknown[] | undefined {
    const errors: unknown[] = [];
    const addrs = this.tok!.serverAddresses;
    for (; i < addrs.length; i++) {
      this.serverIndex = i;
      this.closeTransport();
      try {
        this.tr = this.options.transport(addrs[i]!);
      } catch (e) {
        errors.push(e);
        continue;
      }
      this.st = ClientState.SendingConnectionRequest;
      this.reason = DisconnectReason.None;
      this.sequence = 0n;
      this.replay.reset();
      this.lastSend = undefined;
      this.lastRecv = this.now!;
      this.pending = undefined;
      this.index = 0;
      this.max = 0;
      return undefined;
    }
    return errors;
  }

  private tryNextServer(): boolean {
    return this.serverIndex + 1 < this.tok!.serverAddresses.length && this.attemptFrom(this.serverIndex + 1) === undefined;
  }

  /** Ends the connection or attempt; the transport goes too (a browser session is not kept idle). */
  private finish(s: ClientState, r: DisconnectReason): void {
    this.st = s;
    this.reason = r;
    this.pending = undefined;
    this.closeTransport();
  }

  private closeTransport(): void {
    if (!this.tr) return;
    addCounters(this.pastCounters, this.tr.counters);
    try {
      this.tr.close();
    } catch {
      // Closing is best effort: the transport is dropped either way.
    }
    this.tr = undefined;
  }

  private receiveAll(): void {
    const tr = this.tr!;
    for (let n = 0; n < this.options.maxReadsPerUpdate && this.st > ClientState.Disconnected; n++) {
      const pkt = tr.receive();
      if (!pkt) return;
      this.counts.packetsReceived++;
      this.counts.bytesReceived += pkt.length;
      if (pkt.length > MAX_PACKET_SIZE) {
        this.counts.droppedOversized++;
        continue;
      }
      const drop = this.handle(pkt);
      if (drop) this.counts[dropCounter[drop]]++;
    }
  }

  private handle(pkt: Uint8Array): Drop | undefined {
    const t = this.tok!;
    const r = readEncrypted(pkt, CLIENT_ACCEPTS, t.serverToClientKey, t.protocolId, this.replay);
    if (!r.ok) return r.drop;
    const { header, body } = r;
    switch (header.type) {
      case PacketType.Denied:
        if (!isConnecting(this.st)) return "rejected";
        this.pending = ClientState.ConnectionDenied;
        break;
      case PacketType.Challenge: {
        if (this.st !== ClientState.SendingConnectionRequest) return "rejected";
        const c = readChallengeBody(body);
        this.challengeSeq = c.seq;
        this.challengeToken = c.token;
        this.st = ClientState.SendingConnectionResponse;
        break;
      }
      case PacketType.KeepAlive:
        if (this.st === ClientState.SendingConnectionResponse) {
          this.index = readU32(body, 0);
          this.max = readU32(body, 4);
          this.st = ClientState.Connected;
        } else if (this.st !== ClientState.Connected) {
          return "rejected";
        }
        break;
      case PacketType.Payload:
        if (this.st !== ClientState.Connected) return "rejected";
        if (!this.received.push(body)) return "queue-full";
        break;
      case PacketType.Disconnect:
        if (this.st !== ClientState.Connected) return "rejected";
        this.pending = ClientState.Disconnected;
        break;
    }
    this.lastRecv = this.now!;
    return undefined;
  }

  /** The handshake packet or a keep-alive, when SEND_INTERVAL passed since the last send. */
  private sendDue(): void {
    if (this.lastSend !== undefined && this.now! - this.lastSend < SEND_INTERVAL * 1e6) return;
    switch (this.st) {
      case ClientState.SendingConnectionRequest:
        this.write(writeRequest(this.tok!));
        this.sequence++; // the request uses up sequence 0, as the reference's does
        break;
      case ClientState.SendingConnectionResponse:
        this.sendEncrypted(PacketType.Response, responseBody(this.challengeSeq, this.challengeToken));
        break;
      case ClientState.Connected:
        // The client's keep-alive carries client index 0 and max clients 0.
        this.sendEncrypted(PacketType.KeepAlive, new Uint8Array(KEEP_ALIVE_BODY_SIZE));
        break;
    }
  }

  private sendEncrypted(type: PacketType, body: Uint8Array): void {
    const t = this.tok!;
    const pkt = writeEncrypted(type, this.sequence, body, t.clientToServerKey, t.protocolId);
    this.sequence++;
    this.write(pkt);
  }

  private write(pkt: Uint8Array): void {
    this.tr!.send(pkt);
    this.counts.packetsSent++;
    this.counts.bytesSent += pkt.length;
    this.lastSend = this.now;
  }
}

function addCounters(into: TransportCounters, c: TransportCounters): void {
  into.sendDropped += c.sendDropped;
  into.receiveDropped += c.receiveDropped;
  into.foreignDropped += c.foreignDropped;
}
