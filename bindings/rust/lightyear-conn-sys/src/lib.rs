//! Raw FFI declarations for liblightyear_conn, written by hand against
//! `include/lightyear_conn.h` (the one source of truth for the ABI). No bindgen, so users
//! need no libclang.
//!
//! Everything here is `unsafe` to call and follows the header's conventions: functions
//! returning `c_int` return `LY_OK` (0) or a non-negative result, or a negative `LY_ERR_*`
//! code after which [`ly_last_error`] has a message for the calling thread; handles are
//! opaque tokens validated by the library (a stale or made-up handle gives
//! `LY_ERR_INVALID_HANDLE`, never a crash); structs that may grow carry `struct_size` first
//! and are filled by their `*_defaults()` function. Use the `lightyear-conn` crate for a
//! safe API.
//!
//! The test `tests/abi.rs` compiles a C program against the header and checks every struct
//! size, alignment and field offset, every constant, and every function's signature
//! ([`FUNCTIONS`]) against this file.
#![no_std]
#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int};
use core::marker::{PhantomData, PhantomPinned};

// ---------------------------------------------------------------------------------------
// Version
// ---------------------------------------------------------------------------------------

pub const LY_VERSION_MAJOR: u32 = 0;
pub const LY_VERSION_MINOR: u32 = 1;
pub const LY_VERSION_PATCH: u32 = 0;
/// The version packed as `0x00MMmmpp`.
pub const LY_VERSION: u32 = (LY_VERSION_MAJOR << 16) | (LY_VERSION_MINOR << 8) | LY_VERSION_PATCH;

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

pub const LY_OK: c_int = 0;
/// A NULL, destroyed or unknown handle.
pub const LY_ERR_INVALID_HANDLE: c_int = -1;
/// A NULL pointer, a bad enum value, a malformed address, a too small struct_size, a
/// negative time.
pub const LY_ERR_INVALID_ARGUMENT: c_int = -2;
/// An output buffer is too small; the size needed was reported.
pub const LY_ERR_BUFFER_TOO_SMALL: c_int = -3;
/// A payload of 0 bytes or more than `LY_MAX_PAYLOAD_SIZE` bytes.
pub const LY_ERR_PAYLOAD_SIZE: c_int = -4;
/// The client is not connected.
pub const LY_ERR_NOT_CONNECTED: c_int = -5;
/// No connected client has that id.
pub const LY_ERR_UNKNOWN_CLIENT: c_int = -6;
/// Connect-token bytes that do not parse, or parameters that cannot make a token.
pub const LY_ERR_INVALID_TOKEN: c_int = -7;
/// A key of the wrong length or a failed key generation.
pub const LY_ERR_INVALID_KEY: c_int = -8;
/// The server is not running.
pub const LY_ERR_NOT_RUNNING: c_int = -9;
/// The server is already running, or the client already connecting or connected.
pub const LY_ERR_ALREADY_ACTIVE: c_int = -10;
/// A socket could not be opened or failed.
pub const LY_ERR_SOCKET: c_int = -11;
/// A failure inside the library (a bug; the handle stays usable), or, from the functions
/// that make a handle, a full handle table (1,048,576 live handles).
pub const LY_ERR_INTERNAL: c_int = -12;
/// No Steam networking library could be loaded (or it lacks a needed function);
/// `ly_last_error()` names every path tried or the symbol. Also: Steam is not open.
pub const LY_ERR_STEAM_UNAVAILABLE: c_int = -13;
/// Steam could not be initialised (no Steam client running, no app id, ...) or, when
/// attaching, nobody initialised it; `ly_last_error()` carries Steam's own message.
pub const LY_ERR_STEAM_INIT_FAILED: c_int = -14;
/// The transport's send buffer is full: this payload was not sent, and nothing else was
/// lost. Only Steam sends return it (Steam queues up to its send buffer, 512 KiB by
/// default). Send less per tick, drop or resend later, or raise `send_buffer_size` or
/// `send_rate_max` in [`ly_steam_config`].
pub const LY_ERR_SEND_BUFFER_FULL: c_int = -15;
/// The token service refused the credential (HTTP 401 or 403).
pub const LY_ERR_UNAUTHORIZED: c_int = -16;
/// The token service's rate limit (HTTP 429); `ly_last_error()` carries Retry-After.
pub const LY_ERR_RATE_LIMITED: c_int = -17;
/// No game server has room, or none matches the tag (HTTP 503).
pub const LY_ERR_NO_SERVER: c_int = -18;
/// TLS failed: the certificate does not match the pin or the CA file, or the handshake broke.
pub const LY_ERR_TLS: c_int = -19;
/// No answer within the fetch's timeout.
pub const LY_ERR_TIMEOUT: c_int = -20;
/// Another HTTP status, a redirect, or an answer that is not a connect token.
pub const LY_ERR_HTTP: c_int = -21;

// ---------------------------------------------------------------------------------------
// Constants and small types
// ---------------------------------------------------------------------------------------

pub const LY_KEY_SIZE: usize = 32;
pub const LY_CONNECT_TOKEN_SIZE: usize = 2048;
pub const LY_USER_DATA_SIZE: usize = 256;
pub const LY_MAX_PAYLOAD_SIZE: usize = 1200;
pub const LY_MAX_SERVER_ADDRESSES: usize = 32;
/// Enough for any address string with its NUL: `"[ipv6%zone]:port"`.
pub const LY_ADDRESS_STRING_SIZE: usize = 64;
/// The expire timestamp of a token that never expires.
pub const LY_NEVER_EXPIRES: u64 = u64::MAX;

/// Opaque server handle: a token the library validates, never memory.
#[repr(C)]
#[derive(Debug)]
pub struct ly_server {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// Opaque client handle: a token the library validates, never memory.
#[repr(C)]
#[derive(Debug)]
pub struct ly_client {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// `enum ly_kind`: the backend a client id belongs to (stored as `uint32_t` in
/// [`ly_client_id`]).
pub type ly_kind = u32;
pub const LY_KIND_NETCODE: ly_kind = 1;
pub const LY_KIND_STEAM: ly_kind = 2;
pub const LY_KIND_LOCAL: ly_kind = 3;

/// A client id as a server knows it: the backend's 64-bit id tagged with the backend.
/// Fixed layout: 16 bytes, never grows.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ly_client_id {
    pub id: u64,
    /// [`ly_kind`]
    pub kind: u32,
    /// Zero.
    pub reserved: u32,
}

/// `enum ly_client_state`: netcode.io's client states; negative ones say how a connection
/// or an attempt ended.
pub type ly_client_state = c_int;
pub const LY_STATE_CONNECT_TOKEN_EXPIRED: ly_client_state = -6;
pub const LY_STATE_INVALID_CONNECT_TOKEN: ly_client_state = -5;
pub const LY_STATE_CONNECTION_TIMED_OUT: ly_client_state = -4;
pub const LY_STATE_CONNECTION_RESPONSE_TIMED_OUT: ly_client_state = -3;
pub const LY_STATE_CONNECTION_REQUEST_TIMED_OUT: ly_client_state = -2;
pub const LY_STATE_CONNECTION_DENIED: ly_client_state = -1;
pub const LY_STATE_DISCONNECTED: ly_client_state = 0;
pub const LY_STATE_SENDING_CONNECTION_REQUEST: ly_client_state = 1;
pub const LY_STATE_SENDING_CONNECTION_RESPONSE: ly_client_state = 2;
pub const LY_STATE_CONNECTED: ly_client_state = 3;

/// `enum ly_disconnect_reason` (stored as `uint32_t` in [`ly_event`]).
pub type ly_disconnect_reason = u32;
pub const LY_REASON_NONE: ly_disconnect_reason = 0;
pub const LY_REASON_LOCAL: ly_disconnect_reason = 1;
pub const LY_REASON_REMOTE: ly_disconnect_reason = 2;
pub const LY_REASON_TIMED_OUT: ly_disconnect_reason = 3;
pub const LY_REASON_SERVER_STOPPED: ly_disconnect_reason = 4;
pub const LY_REASON_DENIED: ly_disconnect_reason = 5;
pub const LY_REASON_REQUEST_TIMED_OUT: ly_disconnect_reason = 6;
pub const LY_REASON_RESPONSE_TIMED_OUT: ly_disconnect_reason = 7;
pub const LY_REASON_TOKEN_EXPIRED: ly_disconnect_reason = 8;
pub const LY_REASON_INVALID_TOKEN: ly_disconnect_reason = 9;
pub const LY_REASON_TRANSPORT_ERROR: ly_disconnect_reason = 10;

/// Parameters of [`ly_token_generate`]. Fill with [`ly_token_params_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_token_params {
    /// `size_of::<ly_token_params>()`
    pub struct_size: u32,
    pub protocol_id: u64,
    pub client_id: u64,
    /// `LY_KEY_SIZE` bytes shared with the servers.
    pub private_key: *const u8,
    /// 1..32 addresses, separated by spaces or commas.
    pub public_addresses: *const c_char,
    /// NULL or "": the same as `public_addresses`.
    pub internal_addresses: *const c_char,
    /// Seconds until the token is refused; negative: never. Default 30.
    pub expire_seconds: i64,
    /// Seconds without a packet before a connection times out; <= 0: never. Default 5.
    pub timeout_seconds: i32,
    /// Up to `LY_USER_DATA_SIZE` bytes; may be NULL when `user_data_size` is 0.
    pub user_data: *const u8,
    pub user_data_size: u32,
}

/// The public part of a connect token. The caller sets `struct_size`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ly_token_info {
    pub struct_size: u32,
    pub protocol_id: u64,
    /// Unix seconds.
    pub create_timestamp: u64,
    /// Unix seconds, or `LY_NEVER_EXPIRES`.
    pub expire_timestamp: u64,
    /// <= 0: no timeout.
    pub timeout_seconds: i32,
    /// 1..32
    pub num_addresses: u32,
}

/// A server's configuration. Fill with [`ly_server_config_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_server_config {
    pub struct_size: u32,
    pub protocol_id: u64,
    pub private_key: [u8; LY_KEY_SIZE],
    /// NULL or "": no netcode backend and no socket (local clients only).
    pub bind_addresses: *const c_char,
    /// NULL or "": the bound addresses, which must then be specific.
    pub public_addresses: *const c_char,
    /// 0: the default, 256.
    pub max_clients: u32,
    /// Nonzero: sends are queued until [`ly_server_flush`] or the next update.
    pub batch_sends: u32,
    /// The restart rule: the longest token lifetime in seconds; 0: 30; negative: off.
    pub max_token_lifetime_seconds: i32,
    /// Tokens remembered for the reuse rule; 0: the default, 524288 (or 4 x max_clients);
    /// at most 2^30. Takes tail padding where `u64` is 8-byte aligned (64-bit targets,
    /// 32-bit ARM and Windows); grows the struct on 32-bit x86 elsewhere.
    pub token_history_size: u32,
}

/// Link conditioner settings. Fill with [`ly_conditioner_preset_config_sized`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ly_conditioner_config {
    pub struct_size: u32,
    pub reserved: u32,
    pub latency_ms: f64,
    pub jitter_ms: f64,
    pub loss: f64,
    pub duplicate: f64,
    pub reorder: f64,
    pub reorder_delay_ms: f64,
    pub seed: u64,
    /// [`ly_burst_model`] (added after the first release, whose struct ended at `seed`).
    pub burst_model: u32,
    pub reserved2: u32,
    pub burst_p: f64,
    pub burst_r: f64,
    pub burst_loss_good: f64,
    pub burst_loss_bad: f64,
}

/// `enum ly_burst_model` (stored as `uint32_t` in [`ly_conditioner_config`]).
pub type ly_burst_model = u32;
pub const LY_BURST_NONE: ly_burst_model = 0;
pub const LY_BURST_GILBERT: ly_burst_model = 1;
pub const LY_BURST_GILBERT_ELLIOTT: ly_burst_model = 2;

/// `enum ly_conditioner_preset` (passed as `int`).
pub type ly_conditioner_preset = c_int;
pub const LY_CONDITIONER_OFF: ly_conditioner_preset = 0;
pub const LY_CONDITIONER_GOOD: ly_conditioner_preset = 1;
pub const LY_CONDITIONER_AVERAGE: ly_conditioner_preset = 2;
pub const LY_CONDITIONER_POOR: ly_conditioner_preset = 3;

/// Traffic counters. The caller sets `struct_size`: `size_of::<ly_stats>()`, or any size from
/// `offset_of!(ly_stats, dropped_oversized)` up (an older caller's), which gets every field
/// that fits.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ly_stats {
    pub struct_size: u32,
    pub reserved: u32,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub dropped_malformed: u64,
    pub dropped_replayed: u64,
    pub dropped_decrypt_failed: u64,
    pub dropped_unknown_address: u64,
    pub dropped_queue_full: u64,
    pub dropped_rejected: u64,
    pub seconds_since_last_receive: f64,
    pub dropped_oversized: u64,
    pub dropped_table_full: u64,
}

/// `enum ly_event_type` (stored as `uint32_t` in [`ly_event`]).
pub type ly_event_type = u32;
pub const LY_EVENT_NONE: ly_event_type = 0;
pub const LY_EVENT_CONNECTED: ly_event_type = 1;
pub const LY_EVENT_DISCONNECTED: ly_event_type = 2;
pub const LY_EVENT_PAYLOAD: ly_event_type = 3;
pub const LY_EVENT_WARNING: ly_event_type = 4;

/// `enum ly_warning` (stored as `uint32_t` in [`ly_event::reason`] of a `LY_EVENT_WARNING`).
pub type ly_warning = u32;
pub const LY_WARNING_NONE: ly_warning = 0;
pub const LY_WARNING_TOKEN_HISTORY_FULL: ly_warning = 1;
pub const LY_WARNING_PENDING_FULL: ly_warning = 2;

/// One server event. Fixed layout (32 bytes), never grows.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ly_event {
    /// [`ly_event_type`]
    pub r#type: u32,
    /// [`ly_disconnect_reason`] for `LY_EVENT_DISCONNECTED`, [`ly_warning`] for
    /// `LY_EVENT_WARNING`.
    pub reason: u32,
    pub client: ly_client_id,
    /// For `LY_EVENT_PAYLOAD`: the payload's size.
    pub payload_size: u32,
    /// For `LY_EVENT_PAYLOAD` from [`ly_server_poll_batch`]: its offset in the buffer.
    pub payload_offset: u32,
}

/// A client's configuration. Fill with [`ly_client_config_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ly_client_config {
    pub struct_size: u32,
    /// Reported by [`ly_client_id_of`].
    pub client_id: u64,
    /// 0: the default, 256.
    pub receive_queue_size: u32,
}

// ---------------------------------------------------------------------------------------
// Steam
// ---------------------------------------------------------------------------------------

/// `enum ly_steam_flavour` (stored as `uint32_t` in [`ly_steam_config`]).
pub type ly_steam_flavour = u32;
/// Steamworks if found, else GameNetworkingSockets.
pub const LY_STEAM_AUTO: ly_steam_flavour = 0;
/// `libsteam_api`: IP and P2P over Valve's relays, SteamIDs.
pub const LY_STEAM_STEAMWORKS: ly_steam_flavour = 1;
/// `libGameNetworkingSockets`: IP only, no Steam client needed.
pub const LY_STEAM_GNS: ly_steam_flavour = 2;

/// `enum ly_steam_init` (stored as `uint32_t` in [`ly_steam_config`]).
pub type ly_steam_init = u32;
/// The library initialises Steam as a Steam client (app id).
pub const LY_STEAM_INIT_CLIENT: ly_steam_init = 0;
/// The library initialises Steam as a game server (NoAuthentication).
pub const LY_STEAM_INIT_GAME_SERVER: ly_steam_init = 1;
/// The game already initialised Steam as a client (Steamworks.NET, steamworks-rs); the
/// library never initialises or shuts it down.
pub const LY_STEAM_ATTACH_CLIENT: ly_steam_init = 2;
/// The same for a game server the game initialised.
pub const LY_STEAM_ATTACH_GAME_SERVER: ly_steam_init = 3;

/// How [`ly_steam_open`] loads and initialises Steam. Fill with
/// [`ly_steam_config_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_steam_config {
    /// `size_of::<ly_steam_config>()`
    pub struct_size: u32,
    /// [`ly_steam_flavour`]
    pub flavour: u32,
    /// [`ly_steam_init`] (GameNetworkingSockets: any `INIT_` value initialises it).
    pub init: u32,
    /// `LY_STEAM_INIT_CLIENT`: set as `SteamAppId`; 0 leaves the environment alone.
    pub app_id: u32,
    /// The library file; NULL or "": `$LIGHTYEAR_STEAM_LIB`, then the loader's search
    /// path, then the executable's directory.
    pub library_path: *const c_char,
    /// `LY_STEAM_INIT_GAME_SERVER`: the IPv4 address to bind (NULL or "": any).
    pub game_server_ip: *const c_char,
    pub game_port: u16,
    pub query_port: u16,
    /// The version string the Steam master server sees.
    pub game_server_version: *const c_char,
    // Connection options for every Steam connection of the process; 0 keeps Steam's own
    // value. A `struct_size` ending before them (an older caller's) is accepted.
    /// 1: IP peers need no Steam certificate (Steamworks; GNS never asks).
    pub allow_ip_without_auth: u32,
    /// Connecting gives up after this (Steam: 10,000 ms).
    pub timeout_initial_ms: u32,
    /// A connected peer silent this long is dropped (Steam: 10,000 ms).
    pub timeout_connected_ms: u32,
    /// 1..8: Steam's messages up to that level to stderr (4 warnings, 5 messages).
    pub debug_output_level: u32,
    /// Bytes per second.
    pub send_rate_min: u32,
    /// Bytes per second.
    pub send_rate_max: u32,
    /// Bytes queued per connection before `LY_ERR_SEND_BUFFER_FULL` (Steam: 524,288).
    pub send_buffer_size: u32,
}

/// `enum ly_steam_mode` (stored as `uint32_t` in the Steam server and client configs).
pub type ly_steam_mode = u32;
/// An address and port.
pub const LY_STEAM_MODE_IP: ly_steam_mode = 0;
/// A SteamID and a virtual port (Steamworks only).
pub const LY_STEAM_MODE_P2P: ly_steam_mode = 1;

/// A server's Steam backend ([`ly_server_add_steam`]). Fill with
/// [`ly_steam_server_config_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_steam_server_config {
    pub struct_size: u32,
    /// [`ly_steam_mode`]
    pub mode: u32,
    /// `LY_STEAM_MODE_IP`: `"ip:port"` to listen on (port required).
    pub address: *const c_char,
    /// `LY_STEAM_MODE_P2P`
    pub virtual_port: i32,
    /// 0: the default, 256.
    pub max_clients: u32,
    /// 0: `LY_MAX_PAYLOAD_SIZE`.
    pub max_payload: u32,
}

/// A Steam client ([`ly_client_create_steam`]). Fill with
/// [`ly_steam_client_config_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_steam_client_config {
    pub struct_size: u32,
    /// [`ly_steam_mode`]
    pub mode: u32,
    /// `LY_STEAM_MODE_IP`: the server's `"ip:port"`.
    pub address: *const c_char,
    /// `LY_STEAM_MODE_P2P`: the SteamID64 hosting the server.
    pub server_steam_id: u64,
    /// `LY_STEAM_MODE_P2P`
    pub virtual_port: i32,
    /// 0: `LY_MAX_PAYLOAD_SIZE`.
    pub max_payload: u32,
}

/// Steam's live view of one connection (`SteamNetConnectionRealTimeStatus_t`), from
/// [`ly_server_connection_status`] and [`ly_client_connection_status`]. The caller sets
/// `struct_size` to `size_of::<ly_connection_status>()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ly_connection_status {
    pub struct_size: u32,
    /// Steam's: 1 connecting, 2 finding a route, 3 connected.
    pub state: i32,
    /// Round trip, as Steam measures it.
    pub ping_ms: i32,
    /// Share of packets delivered, 0..1, as seen here; -1 unknown.
    pub quality_local: f32,
    /// The same, as the peer sees it.
    pub quality_remote: f32,
    pub out_packets_per_sec: f32,
    pub out_bytes_per_sec: f32,
    pub in_packets_per_sec: f32,
    pub in_bytes_per_sec: f32,
    /// The rate Steam thinks the path can carry.
    pub send_rate_bytes_per_sec: i32,
    /// Bytes queued and not yet sent.
    pub pending_unreliable: i32,
    pub pending_reliable: i32,
    pub sent_unacked_reliable: i32,
    /// 0
    pub reserved: i32,
    /// How long a payload sent now waits before it goes out.
    pub queue_time_us: i64,
}

// ---------------------------------------------------------------------------------------
// Token fetch and fleet registration
// ---------------------------------------------------------------------------------------

/// What a client sends to the token service ([`ly_token_fetch`], [`ly_token_request_start`]).
/// Fill with [`ly_token_fetch_options_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_token_fetch_options {
    /// `size_of::<ly_token_fetch_options>()`
    pub struct_size: u32,
    /// `"https://host:port"` or `"https://host:port/path"` (no path: `/v1/token`). Required.
    pub url: *const c_char,
    /// Sent as `Authorization: Bearer <credential>`. Required.
    pub credential: *const c_char,
    /// SHA-256 of the service's leaf certificate in hex (colons allowed); NULL or "": not
    /// pinned.
    pub pin_sha256: *const c_char,
    /// A PEM file of CAs trusted instead of the system's; NULL or "": none. Not with a pin.
    pub ca_file: *const c_char,
    /// Ask for a server with this tag; NULL or "": any.
    pub tag: *const c_char,
    /// The whole fetch in milliseconds; 0: 10,000.
    pub timeout_ms: u32,
}

/// Opaque token-fetch handle ([`ly_token_request_start`]): a token the library validates.
#[repr(C)]
#[derive(Debug)]
pub struct ly_token_request {
    _private: [u8; 0],
    _marker: PhantomData<(*mut u8, PhantomPinned)>,
}

/// What [`ly_token_request_poll`] returns while the answer has not come.
pub const LY_TOKEN_PENDING: c_int = 0;

/// A server's entry in the token service's Redis directory ([`ly_server_fleet_register`]).
/// Fill with [`ly_fleet_config_defaults`].
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_fleet_config {
    /// `size_of::<ly_fleet_config>()`
    pub struct_size: u32,
    /// `"host:port"` or `"redis://[:password@]host:port[/db]"` (`rediss://` for TLS). Required.
    pub redis_url: *const c_char,
    /// Shared with the token service; NULL or "": `"lyfleet:"`.
    pub key_prefix: *const c_char,
    /// Unique id in the fleet; NULL or "": 16 random hex digits.
    pub server_id: *const c_char,
    /// Separated by spaces or commas; NULL or "": none.
    pub tags: *const c_char,
    /// Written into tokens in order; NULL or "": the server's public addresses.
    pub public_addresses: *const c_char,
    /// Entry lifetime after its last heartbeat; 0: 10,000; at least 30.
    pub ttl_ms: u32,
}

/// What [`ly_server_fleet_status`] returns before the first Redis round has finished.
pub const LY_FLEET_PENDING: c_int = 0;
/// What [`ly_server_fleet_status`] returns when the last Redis round succeeded.
pub const LY_FLEET_REGISTERED: c_int = 1;

// ---------------------------------------------------------------------------------------
// Browser transports (bind_addresses entries with ws://, wss://, wt://)
// ---------------------------------------------------------------------------------------

/// SHA-256 of a certificate, as a page's `serverCertificateHashes` takes it.
pub const LY_WEB_CERT_HASH_SIZE: usize = 32;

/// Options of every browser listener of a server. Fill with
/// [`ly_web_options_defaults_sized`]; 0 or NULL fields mean the library's default.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ly_web_options {
    /// `size_of::<ly_web_options>()`
    pub struct_size: u32,
    /// wt:// without `cert_file`: each self-signed certificate's validity, 60..1209600
    /// seconds; 0: 13 days.
    pub cert_validity_seconds: u32,
    /// A PEM certificate chain and its key, both or neither: required by wss://.
    pub cert_file: *const c_char,
    pub key_file: *const c_char,
    /// Page origins allowed, separated by commas or spaces; "*": any; NULL or "": loopback
    /// pages only.
    pub allowed_origins: *const c_char,
    /// Path of the upgrade or CONNECT request (starting with "/"); NULL or "": any.
    pub path: *const c_char,
    /// Open sessions per listener; 0: 1024.
    pub max_sessions: u32,
    /// Sessions per IP per listener; 0: 16.
    pub max_sessions_per_ip: u32,
    /// Messages waiting for `ly_server_update`, all sessions; 0: 4096.
    pub recv_queue: u32,
    /// One session's share of `recv_queue`; 0: 256.
    pub session_recv_queue: u32,
    /// Messages waiting to be written, per session; 0: 64.
    pub send_queue: u32,
    /// 0: 5,000.
    pub handshake_timeout_ms: u32,
    /// 0: 10,000.
    pub idle_timeout_ms: u32,
    /// 0: 5,000.
    pub write_timeout_ms: u32,
}

/// Counters of a server's browser listeners, added up, since the last start. The caller
/// sets `struct_size` to `size_of::<ly_web_stats>()`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ly_web_stats {
    pub struct_size: u32,
    pub reserved: u32,
    pub sessions_active: u64,
    pub sessions_accepted: u64,
    pub refused_full: u64,
    pub refused_per_ip: u64,
    pub refused_origin: u64,
    pub refused_handshake: u64,
    pub closed_idle: u64,
    pub closed_slow: u64,
    pub closed_peer: u64,
    pub closed_server: u64,
    pub received: u64,
    pub recv_oversized: u64,
    pub recv_text: u64,
    pub recv_queue_full: u64,
    pub sent: u64,
    pub send_no_session: u64,
    pub send_oversized: u64,
    pub send_queue_full: u64,
    pub send_failed: u64,
}

macro_rules! zeroed_default {
    ($($t:ty),*) => {$(
        impl Default for $t {
            /// All zero, pointers NULL (`struct_size` 0: call the `*_defaults()` function).
            fn default() -> Self {
                // SAFETY: every field is an integer, a float, an array of bytes or a raw
                // pointer, for all of which all-zero bytes are a valid value.
                unsafe { core::mem::zeroed() }
            }
        }
    )*};
}
zeroed_default!(
    ly_token_params,
    ly_server_config,
    ly_steam_config,
    ly_steam_server_config,
    ly_steam_client_config,
    ly_token_fetch_options,
    ly_fleet_config,
    ly_web_options
);

// ---------------------------------------------------------------------------------------
// Functions
// ---------------------------------------------------------------------------------------

/// A function declared by this crate, as written here: for the ABI test, which compares
/// these against the prototypes in the header.
#[derive(Clone, Copy, Debug)]
pub struct FunctionSignature {
    pub name: &'static str,
    /// Parameter types, as Rust source text.
    pub params: &'static [&'static str],
    /// The return type, as Rust source text (`"()"` for none).
    pub ret: &'static str,
}

macro_rules! ly_functions {
    ($(
        $(#[$meta:meta])*
        pub fn $name:ident($($arg:ident: $argty:ty),* $(,)?) $(-> $ret:ty)?;
    )*) => {
        unsafe extern "C" {
            $(
                $(#[$meta])*
                pub fn $name($($arg: $argty),*) $(-> $ret)?;
            )*
        }

        /// Every function declared by this crate, with its types as written.
        pub const FUNCTIONS: &[FunctionSignature] = &[$(
            FunctionSignature {
                name: stringify!($name),
                params: &[$(stringify!($argty)),*],
                ret: ly_functions!(@ret $($ret)?),
            }
        ),*];

        /// Calls `f` with the name and address of every declared function. Taking the
        /// addresses makes the linker resolve every symbol, so a test calling this fails
        /// to link if the library lacks one.
        pub fn for_each_function(mut f: impl FnMut(&'static str, *const ())) {
            $( f(stringify!($name), $name as *const ()); )*
        }
    };
    (@ret) => { "()" };
    (@ret $ret:ty) => { stringify!($ret) };
}

ly_functions! {
    // Version
    /// The version of the library loaded at run time, packed as `LY_VERSION`.
    pub fn ly_version() -> u32;

    // Errors
    /// A static English description of an error code. Never NULL.
    pub fn ly_error_string(code: c_int) -> *const c_char;
    /// The message of the last failure on the calling thread, or "". Valid until the next
    /// failing call on the same thread.
    pub fn ly_last_error() -> *const c_char;

    // Library lifetime
    /// Destroys every server and client handle; handles made before become invalid.
    pub fn ly_shutdown() -> c_int;

    // Names
    pub fn ly_state_string(state: c_int) -> *const c_char;
    pub fn ly_reason_string(reason: c_int) -> *const c_char;

    // Keys and connect tokens
    /// Fills `key[LY_KEY_SIZE]` from the OS CSPRNG.
    pub fn ly_key_generate(key: *mut u8) -> c_int;
    pub fn ly_token_params_defaults(params: *mut ly_token_params);
    /// Makes and seals a connect token into `out` (`LY_CONNECT_TOKEN_SIZE` bytes).
    pub fn ly_token_generate(params: *const ly_token_params, out: *mut u8, out_size: u32) -> c_int;
    pub fn ly_token_read(token: *const u8, token_size: u32, info: *mut ly_token_info) -> c_int;
    /// Writes server address `index` as a NUL-terminated string; returns its length.
    pub fn ly_token_address(token: *const u8, token_size: u32, index: u32, buf: *mut c_char, buf_size: u32) -> c_int;

    // Fetching a connect token
    pub fn ly_token_fetch_options_defaults(options: *mut ly_token_fetch_options);
    /// Blocks until the token (returns `LY_CONNECT_TOKEN_SIZE`), an error or the timeout.
    pub fn ly_token_fetch(options: *const ly_token_fetch_options, out: *mut u8, out_size: u32) -> c_int;
    /// Starts a fetch on a library thread; the options are copied.
    pub fn ly_token_request_start(options: *const ly_token_fetch_options, out: *mut *mut ly_token_request) -> c_int;
    /// Never waits: `LY_TOKEN_PENDING`, `LY_CONNECT_TOKEN_SIZE` (token copied) or the error.
    pub fn ly_token_request_poll(request: *mut ly_token_request, out: *mut u8, out_size: u32) -> c_int;
    /// Cancels a fetch still going on and frees the handle.
    pub fn ly_token_request_free(request: *mut ly_token_request) -> c_int;

    // Server
    pub fn ly_server_config_defaults(config: *mut ly_server_config);
    pub fn ly_server_create(config: *const ly_server_config, out: *mut *mut ly_server) -> c_int;
    pub fn ly_server_destroy(server: *mut ly_server) -> c_int;
    pub fn ly_server_start(server: *mut ly_server) -> c_int;
    pub fn ly_server_stop(server: *mut ly_server) -> c_int;
    /// 1 if running, 0 if not.
    pub fn ly_server_running(server: *mut ly_server) -> c_int;
    pub fn ly_server_update(server: *mut ly_server, dt_seconds: f64) -> c_int;
    pub fn ly_server_send(server: *mut ly_server, client: ly_client_id, data: *const u8, size: u32) -> c_int;
    pub fn ly_server_broadcast(server: *mut ly_server, data: *const u8, size: u32) -> c_int;
    pub fn ly_server_flush(server: *mut ly_server) -> c_int;
    pub fn ly_server_disconnect(server: *mut ly_server, client: ly_client_id) -> c_int;
    pub fn ly_server_disconnect_all(server: *mut ly_server) -> c_int;
    pub fn ly_server_num_connected(server: *mut ly_server) -> c_int;
    pub fn ly_server_max_clients(server: *mut ly_server) -> c_int;
    /// Returns how many clients are connected (possibly more than `max_ids`).
    pub fn ly_server_connected_ids(server: *mut ly_server, ids: *mut ly_client_id, max_ids: u32) -> c_int;
    pub fn ly_server_client_address(server: *mut ly_server, client: ly_client_id, buf: *mut c_char, buf_size: u32) -> c_int;
    /// Copies `LY_USER_DATA_SIZE` bytes.
    pub fn ly_server_client_user_data(server: *mut ly_server, client: ly_client_id, user_data: *mut u8) -> c_int;
    pub fn ly_server_address(server: *mut ly_server, index: u32, buf: *mut c_char, buf_size: u32) -> c_int;
    pub fn ly_server_connect_local(server: *mut ly_server, id: u64, out: *mut *mut ly_client) -> c_int;
    /// The exported symbol of the first release: fills only the fields up to `seed`.
    /// Use [`ly_conditioner_preset_config_sized`].
    pub fn ly_conditioner_preset_config(preset: c_int, config: *mut ly_conditioner_config) -> c_int;
    /// Writes no more than `size` bytes (pass `size_of::<ly_conditioner_config>()`).
    pub fn ly_conditioner_preset_config_sized(preset: c_int, config: *mut ly_conditioner_config, size: u32) -> c_int;
    /// NULL turns a direction off.
    pub fn ly_server_set_conditioner(server: *mut ly_server, send: *const ly_conditioner_config, recv: *const ly_conditioner_config) -> c_int;
    pub fn ly_server_stats(server: *mut ly_server, stats: *mut ly_stats) -> c_int;
    pub fn ly_server_client_stats(server: *mut ly_server, client: ly_client_id, stats: *mut ly_stats) -> c_int;
    /// Returns 1 if an event was written, 0 if none is pending. On
    /// `LY_ERR_BUFFER_TOO_SMALL` the event stays queued.
    pub fn ly_server_poll(server: *mut ly_server, event: *mut ly_event, buf: *mut u8, buf_size: u32) -> c_int;
    /// Returns the number of events written; payloads are packed into `buf`.
    pub fn ly_server_poll_batch(server: *mut ly_server, events: *mut ly_event, max_events: u32, buf: *mut u8, buf_size: u32) -> c_int;

    // Fleet registration
    pub fn ly_fleet_config_defaults(config: *mut ly_fleet_config);
    /// Returns at once; Redis work runs on a library thread (see [`ly_server_fleet_status`]).
    pub fn ly_server_fleet_register(server: *mut ly_server, config: *const ly_fleet_config) -> c_int;
    /// `LY_OK` if it was not registered.
    pub fn ly_server_fleet_deregister(server: *mut ly_server) -> c_int;
    /// `LY_FLEET_REGISTERED`, `LY_FLEET_PENDING`, or `LY_ERR_SOCKET` if the last round failed.
    pub fn ly_server_fleet_status(server: *mut ly_server) -> c_int;

    // Browser transports
    /// Fills `options` with defaults, writing at most `size` bytes (pass
    /// `size_of::<ly_web_options>()`); nothing if `size` is below the first version's size.
    pub fn ly_web_options_defaults_sized(options: *mut ly_web_options, size: u32);
    /// Stopped servers only (`LY_ERR_ALREADY_ACTIVE` otherwise); the options are copied.
    pub fn ly_server_set_web_options(server: *mut ly_server, options: *const ly_web_options) -> c_int;
    /// Writes the wt:// self-signed certificates' hashes (`LY_WEB_CERT_HASH_SIZE` bytes
    /// each, newest first) and their number into `count`; returns the number written.
    pub fn ly_server_web_cert_hashes(server: *mut ly_server, hashes: *mut u8, max_hashes: u32, count: *mut u32) -> c_int;
    /// A new self-signed certificate for every wt:// listener without `cert_file`.
    pub fn ly_server_web_rotate_cert(server: *mut ly_server) -> c_int;
    pub fn ly_server_web_stats(server: *mut ly_server, stats: *mut ly_web_stats) -> c_int;

    // Steam
    /// Fills only the first release's fields (and a matching `struct_size`):
    /// what programs built against that release call. Use
    /// [`ly_steam_config_defaults_sized`].
    pub fn ly_steam_config_defaults(config: *mut ly_steam_config);
    /// Fills `config` with defaults, writing at most `size` bytes (pass
    /// `size_of::<ly_steam_config>()`); nothing if `size` is below the first
    /// release's size.
    pub fn ly_steam_config_defaults_sized(config: *mut ly_steam_config, size: u32);
    /// Loads the Steam library and initialises (or attaches to) Steam. One per process:
    /// `LY_ERR_ALREADY_ACTIVE` if already open.
    pub fn ly_steam_open(config: *const ly_steam_config) -> c_int;
    /// Closes every Steam server backend and client, and shuts Steam down if
    /// [`ly_steam_open`] initialised it. `LY_OK` if nothing is open.
    pub fn ly_steam_close() -> c_int;
    pub fn ly_steam_server_config_defaults(config: *mut ly_steam_server_config);
    /// Adds a Steam backend to a server (started now if the server runs); its clients have
    /// ids of kind `LY_KIND_STEAM`.
    pub fn ly_server_add_steam(server: *mut ly_server, config: *const ly_steam_server_config) -> c_int;
    pub fn ly_steam_client_config_defaults(config: *mut ly_steam_client_config);
    /// Makes an idle Steam client, used with the `ly_client_*` functions.
    pub fn ly_client_create_steam(config: *const ly_steam_client_config, out: *mut *mut ly_client) -> c_int;
    /// The status of a Steam client's connection to this server: `LY_ERR_INVALID_ARGUMENT`
    /// for a client id not of kind `LY_KIND_STEAM`, `LY_ERR_UNKNOWN_CLIENT` for no such
    /// connected Steam client.
    pub fn ly_server_connection_status(server: *mut ly_server, client: ly_client_id, status: *mut ly_connection_status) -> c_int;
    /// The status of a Steam client's connection: `LY_ERR_INVALID_ARGUMENT` for a client
    /// that is not a Steam client, `LY_ERR_NOT_CONNECTED` when not connecting or connected.
    pub fn ly_client_connection_status(client: *mut ly_client, status: *mut ly_connection_status) -> c_int;

    // Client
    pub fn ly_client_config_defaults(config: *mut ly_client_config);
    /// `config` may be NULL for the defaults.
    pub fn ly_client_create(token: *const u8, token_size: u32, config: *const ly_client_config, out: *mut *mut ly_client) -> c_int;
    pub fn ly_client_create_manual(server_address: *const c_char, client_id: u64, protocol_id: u64, private_key: *const u8, private_key_size: u32, config: *const ly_client_config, out: *mut *mut ly_client) -> c_int;
    pub fn ly_client_destroy(client: *mut ly_client) -> c_int;
    pub fn ly_client_connect(client: *mut ly_client) -> c_int;
    pub fn ly_client_set_token(client: *mut ly_client, token: *const u8, token_size: u32) -> c_int;
    pub fn ly_client_update(client: *mut ly_client, dt_seconds: f64) -> c_int;
    pub fn ly_client_send(client: *mut ly_client, data: *const u8, size: u32) -> c_int;
    /// Returns the payload's size, or 0 if none is waiting.
    pub fn ly_client_receive(client: *mut ly_client, buf: *mut u8, buf_size: u32, needed: *mut u32) -> c_int;
    pub fn ly_client_get_state(client: *mut ly_client, state: *mut c_int) -> c_int;
    pub fn ly_client_disconnect_reason(client: *mut ly_client) -> c_int;
    pub fn ly_client_disconnect(client: *mut ly_client) -> c_int;
    /// Returns the length, 0 if no socket is open yet.
    pub fn ly_client_local_address(client: *mut ly_client, buf: *mut c_char, buf_size: u32) -> c_int;
    pub fn ly_client_set_conditioner(client: *mut ly_client, send: *const ly_conditioner_config, recv: *const ly_conditioner_config) -> c_int;
    pub fn ly_client_stats(client: *mut ly_client, stats: *mut ly_stats) -> c_int;
    pub fn ly_client_id_of(client: *mut ly_client, id: *mut ly_client_id) -> c_int;
}
