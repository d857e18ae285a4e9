//! Safe Rust API of liblightyear_conn: stateful, authenticated netcode.io 1.02 connections
//! for games (byte-compatible with the reference implementation), plus in-process local
//! clients for host-server mode, a seeded link conditioner and traffic counters, all
//! polled from your game loop.
//!
//! ```no_run
//! use lightyear_conn::{Client, ClientConfig, Event, EventBuffer, Server, ServerConfig, TokenParams};
//!
//! # fn main() -> lightyear_conn::Result<()> {
//! const PROTOCOL: u64 = 0x1234;
//! let key = lightyear_conn::generate_key()?; // shared by your token backend and servers
//!
//! let mut server = Server::new(&ServerConfig::new(PROTOCOL, &key).bind("127.0.0.1:0"))?;
//! server.start()?;
//! let addr = server.address(0)?;
//!
//! // Your backend makes one token per client and hands it over TLS.
//! let token = TokenParams::new(PROTOCOL, 42, &key).public_address(addr).generate()?;
//! let mut client = Client::new(&token, &ClientConfig::new().client_id(42))?;
//! client.connect()?;
//!
//! let mut events = EventBuffer::new(64);
//! loop {
//!     let dt = 1.0 / 60.0; // time is yours: nothing happens between updates
//!     client.update(dt)?;
//!     server.update(dt)?;
//!     for event in server.poll_batch(&mut events)? {
//!         match event {
//!             Event::Connected { client } => println!("{client} connected"),
//!             Event::Disconnected { client, reason } => println!("{client} left: {reason}"),
//!             Event::Payload { client, data } => server.send(client, data)?, // echo
//!             Event::Warning { client, warning } => eprintln!("{client} refused: {warning}"),
//!             _ => {} // an event a later version of the crate adds
//!         }
//!     }
//!     if client.is_connected() {
//!         client.send(b"hello")?;
//!     }
//!     while let Some(payload) = client.receive()? {
//!         println!("client got {} bytes", payload.len());
//!     }
//! #   break;
//! }
//! # Ok(()) }
//! ```
//!
//! # Errors
//!
//! Every fallible call returns [`Result<T, Error>`](Error): an [`ErrorCode`] and the message
//! the library wrote for the calling thread (`ly_last_error`), read right after the failing
//! call.
//!
//! # Threads
//!
//! [`Server`] and [`Client`] are `Send` and `Sync`: the library validates handles and
//! serialises calls on one handle, and may be called from any thread. Methods that only
//! talk to the library take `&self` (send, broadcast, stats, [`Server::poll_into`],
//! [`Server::poll_batch`], ...); the ones that own the clock or a buffer of the wrapper
//! take `&mut self` (`update`, `start`, `stop`, `connect`, [`Server::poll`],
//! [`Client::receive`]). A thread's first call into the library costs 50-70 µs once (Go
//! runtime attach); keep a connection on one thread when you can.
//!
//! # Token delivery
//!
//! A client gets its token from the token service (`cmd/lytokens`) over HTTPS:
//! [`fetch_token`] blocks, [`TokenRequest`] is polled from the game loop; both take
//! [`TokenFetchOptions`] (URL, bearer credential, pinned certificate or CA file, tag,
//! timeout). Refusals have codes of their own ([`ErrorCode::Unauthorized`],
//! [`ErrorCode::RateLimited`], [`ErrorCode::NoServer`], ...) and [`Error::http_status`].
//! Servers list themselves in the service's Redis fleet with
//! [`Server::register_with_fleet`].
//!
//! # Steam
//!
//! [`Steam::open`] loads Valve's Steam networking library (Steamworks or
//! GameNetworkingSockets) at run time and returns the process's one [`Steam`] guard; then
//! [`Server::add_steam`] serves Steam clients beside netcode and local ones
//! ([`ClientId::Steam`]) and [`Client::steam`] connects over Steam. See the [`steam`]
//! module.
//!
//! # Browsers
//!
//! Bind addresses with `ws://`, `wss://` or `wt://` serve browsers the same netcode over
//! WebSocket or WebTransport: the same tokens (naming the listener's public address),
//! events and sends. [`WebOptions`] set their certificates, origins and limits;
//! [`Server::web_cert_hashes`] gives the hashes a page pins for self-signed WebTransport
//! certificates, and [`Server::web_stats`] counts what the listeners refused or dropped.
//!
//! # Lifetime
//!
//! Dropping a [`Server`] stops and destroys it; dropping a [`Client`] disconnects and
//! destroys it; dropping the [`Steam`] guard closes Steam. [`shutdown`] destroys everything
//! at once.

mod client;
mod conditioner;
mod error;
mod fetch;
mod fleet;
mod server;
mod stats;
pub mod steam;
mod token;
mod types;
mod web;

use std::sync::OnceLock;

/// The raw declarations this crate is built on (calling them is `unsafe`).
pub use lightyear_conn_sys as sys;

pub use client::{Client, ClientConfig};
pub use conditioner::{BurstModel, ConditionerConfig, ConditionerPreset};
pub use error::{Error, ErrorCode, Result};
pub use fetch::{TokenFetchOptions, TokenRequest, fetch_token};
pub use fleet::{FleetConfig, FleetStatus};
pub use server::{Batch, EventBuffer, Server, ServerConfig};
pub use stats::Stats;
pub use steam::{ConnectionStatus, Steam, SteamClientConfig, SteamConfig, SteamFlavour, SteamInit, SteamServerConfig};
pub use token::{ConnectToken, Key, TokenInfo, TokenParams, generate_key};
pub use types::{ClientId, ClientState, DisconnectReason, Event, Warning};
pub use web::{WEB_CERT_HASH_SIZE, WebOptions, WebStats};

/// Private keys are 32 bytes.
pub const KEY_SIZE: usize = sys::LY_KEY_SIZE;
/// Connect tokens are 2048 bytes.
pub const CONNECT_TOKEN_SIZE: usize = sys::LY_CONNECT_TOKEN_SIZE;
/// User data in a token is 256 bytes.
pub const USER_DATA_SIZE: usize = sys::LY_USER_DATA_SIZE;
/// Payloads are 1 to 1200 bytes.
pub const MAX_PAYLOAD_SIZE: usize = sys::LY_MAX_PAYLOAD_SIZE;
/// A token holds at most 32 server addresses.
pub const MAX_SERVER_ADDRESSES: usize = sys::LY_MAX_SERVER_ADDRESSES;

/// The version of the library loaded at run time: (major, minor, patch).
pub fn library_version() -> (u32, u32, u32) {
    // SAFETY: ly_version takes nothing and never fails.
    let v = unsafe { sys::ly_version() };
    (v >> 16, (v >> 8) & 0xFF, v & 0xFF)
}

/// The version of the header these bindings were written against: (major, minor, patch).
pub const BINDING_VERSION: (u32, u32, u32) = (sys::LY_VERSION_MAJOR, sys::LY_VERSION_MINOR, sys::LY_VERSION_PATCH);

/// Checks once that the loaded library has the major version these bindings were written
/// for (the header's rule for bindings).
pub(crate) fn ensure_compatible() -> Result<()> {
    static OK: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    OK.get_or_init(|| {
        let (major, minor, patch) = library_version();
        if major == sys::LY_VERSION_MAJOR {
            Ok(())
        } else {
            Err(format!(
                "liblightyear_conn {major}.{minor}.{patch} is loaded; these bindings need major version {}",
                sys::LY_VERSION_MAJOR
            ))
        }
    })
    .clone()
    .map_err(|m| Error::new(ErrorCode::Internal, m))
}

/// Destroys every server and client of the library in this process: servers are stopped
/// and clients disconnected (telling their peers), every socket is closed, and every thread
/// the library started is waited for.
///
/// **This invalidates everything**: every [`Server`] and [`Client`] made before the call,
/// on any thread, becomes a dead handle. Their methods then return
/// [`ErrorCode::InvalidHandle`] and dropping them does nothing more. This is memory-safe
/// (the library validates handles through a table with generation counters, so a dead
/// handle can never reach a newer object), but it is a global action: call it when the
/// whole networking layer stops (a Go shared library can never be unloaded, so this is how
/// to release its resources), not while other parts of the program still use connections.
/// The library can be used again afterwards.
///
/// Steam is closed too: a [`Steam`] guard from before the call does nothing when dropped,
/// and [`Steam::open`] works again.
pub fn shutdown() {
    steam::closed_by(|| {
        // SAFETY: ly_shutdown takes nothing and always returns LY_OK.
        unsafe { sys::ly_shutdown() };
    });
}
