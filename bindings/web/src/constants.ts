// Sizes and timings of netcode 1.02 (the standard and the reference client).

/** "NETCODE 1.02" and a NUL: 13 bytes at the start of tokens and in associated data. */
export const VERSION = new Uint8Array([
  0x4e, 0x45, 0x54, 0x43, 0x4f, 0x44, 0x45, 0x20, 0x31, 0x2e, 0x30, 0x32, 0x00,
]);
export const VERSION_SIZE = 13;
export const KEY_SIZE = 32;
export const MAC_SIZE = 16;
export const XNONCE_SIZE = 24;
export const USER_DATA_SIZE = 256;
export const MAX_SERVER_ADDRESSES = 32;
export const CONNECT_TOKEN_SIZE = 2048;
export const PRIVATE_TOKEN_SIZE = 1024;
export const CHALLENGE_TOKEN_SIZE = 300;
export const MAX_PAYLOAD_SIZE = 1200;
export const REQUEST_PACKET_SIZE = 1078;
export const CHALLENGE_BODY_SIZE = 8 + CHALLENGE_TOKEN_SIZE;
export const KEEP_ALIVE_BODY_SIZE = 8;
/** prefix + one sequence byte + MAC */
export const MIN_ENCRYPTED_PACKET = 18;
/** A 1200-byte payload with an 8-byte sequence: the largest packet either side sends. */
export const MAX_PACKET_SIZE = 1 + 8 + MAX_PAYLOAD_SIZE + MAC_SIZE;
/** Handshake packets and keep-alives go out at 10 Hz. */
export const SEND_INTERVAL = 0.1;
/** A graceful disconnect is sent this many times, as the reference does. */
export const DISCONNECT_REDUNDANCY = 10;
export const REPLAY_WINDOW_SIZE = 256;
/** The expire timestamp of a token that never expires. */
export const NEVER_EXPIRES = 0xffff_ffff_ffff_ffffn;
