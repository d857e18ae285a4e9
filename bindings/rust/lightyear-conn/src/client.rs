use std::ffi::{CString, c_int};
use std::fmt;

use lightyear_conn_sys as sys;

use crate::conditioner::{self, ConditionerConfig};
use crate::error::{Error, ErrorCode, Result, check};
use crate::stats::Stats;
use crate::token::{ConnectToken, Key, read_string};
use crate::types::{ClientId, ClientState, DisconnectReason};
use crate::{KEY_SIZE, MAX_PAYLOAD_SIZE};

/// How to make a [`Client`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientConfig {
    client_id: u64,
    receive_queue_size: u32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ClientConfig {
    /// The library's defaults (receive queue of 256 payloads, client id 0).
    pub fn new() -> Self {
        let mut raw = sys::ly_client_config::default();
        // SAFETY: raw is a valid ly_client_config.
        unsafe { sys::ly_client_config_defaults(&mut raw) };
        ClientConfig {
            client_id: raw.client_id,
            receive_queue_size: raw.receive_queue_size,
        }
    }

    /// The id [`Client::id`] reports: the public part of a token does not carry it.
    pub fn client_id(mut self, id: u64) -> Self {
        self.client_id = id;
        self
    }

    /// Payloads kept for [`Client::receive`]; more are dropped and counted (0: 256).
    pub fn receive_queue_size(mut self, n: u32) -> Self {
        self.receive_queue_size = n;
        self
    }

    fn to_raw(self) -> sys::ly_client_config {
        let mut raw = sys::ly_client_config::default();
        // SAFETY: raw is a valid ly_client_config.
        unsafe { sys::ly_client_config_defaults(&mut raw) };
        raw.client_id = self.client_id;
        raw.receive_queue_size = self.receive_queue_size;
        raw
    }
}

/// A netcode.io client (made from a connect token), a local client
/// ([`Server::connect_local`](crate::Server::connect_local)), or a Steam client
/// ([`Client::steam`]).
///
/// Nothing happens between calls of [`update`](Self::update), which advances the client's
/// clock by the time you pass. Dropping the client disconnects it (telling the server) and
/// destroys the handle.
pub struct Client {
    raw: *mut sys::ly_client,
    buf: Box<[u8; MAX_PAYLOAD_SIZE]>,
}

// SAFETY (Send and Sync): as for Server. The handle is an opaque integer validated by the
// library, which serialises calls on one handle and allows calls from any thread; `&self`
// methods touch only the handle and their own or the caller's buffers, and the receive
// buffer `receive` writes into is only reached through `&mut self`.
unsafe impl Send for Client {}
// SAFETY: see above.
unsafe impl Sync for Client {}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("handle", &self.raw).finish()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        // SAFETY: any handle value is accepted; after shutdown() this returns
        // LY_ERR_INVALID_HANDLE, which is fine to ignore.
        unsafe { sys::ly_client_destroy(self.raw) };
    }
}

impl Client {
    pub(crate) fn from_handle(raw: *mut sys::ly_client) -> Client {
        Client {
            raw,
            buf: Box::new([0u8; MAX_PAYLOAD_SIZE]),
        }
    }

    /// An idle client for a connect token (copied). Call [`connect`](Self::connect) next.
    pub fn new(token: &ConnectToken, config: &ClientConfig) -> Result<Client> {
        Self::from_token_bytes(token.as_bytes(), config)
    }

    /// An idle client for connect-token bytes (copied), for example from your backend or
    /// from another netcode.io implementation's generator. The token is checked by
    /// [`connect`](Self::connect).
    pub fn from_token_bytes(token: &[u8], config: &ClientConfig) -> Result<Client> {
        crate::ensure_compatible()?;
        let size =
            u32::try_from(token.len()).map_err(|_| Error::new(ErrorCode::InvalidToken, "token longer than 4 GiB"))?;
        let raw_config = config.to_raw();
        let mut handle = std::ptr::null_mut();
        // SAFETY: token is size readable bytes; config and handle are valid pointers.
        check(unsafe { sys::ly_client_create(token.as_ptr(), size, &raw_config, &mut handle) })?;
        Ok(Client::from_handle(handle))
    }

    /// A client that makes its own token (lightyear's `Authentication::Manual`): for tests
    /// and trusted setups only, since the client then holds the servers' private key.
    /// Tokens expire in 30 s with a 5 s timeout and no user data.
    pub fn manual(
        server_address: &str,
        client_id: u64,
        protocol_id: u64,
        private_key: &Key,
        config: &ClientConfig,
    ) -> Result<Client> {
        crate::ensure_compatible()?;
        let addr = CString::new(server_address)
            .map_err(|_| Error::new(ErrorCode::InvalidArgument, "the address contains a NUL byte"))?;
        let raw_config = config.to_raw();
        let mut handle = std::ptr::null_mut();
        // SAFETY: addr is a NUL-terminated string, the key KEY_SIZE bytes, config and
        // handle valid pointers, all alive for the call.
        check(unsafe {
            sys::ly_client_create_manual(
                addr.as_ptr(),
                client_id,
                protocol_id,
                private_key.as_ptr(),
                KEY_SIZE as u32,
                &raw_config,
                &mut handle,
            )
        })?;
        Ok(Client::from_handle(handle))
    }

    /// The raw handle, for calling [`lightyear_conn_sys`](crate::sys) functions this crate
    /// does not wrap (calling them is `unsafe`; the handle stays owned by this `Client`).
    pub fn as_raw(&self) -> *mut sys::ly_client {
        self.raw
    }

    /// Starts connecting with the token's first server address whose socket opens (an address
    /// of a family the host lacks, such as IPv6, is skipped), or reconnects a local client.
    pub fn connect(&mut self) -> Result<()> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_client_connect(self.raw) }).map(drop)
    }

    /// Replaces the token for the next [`connect`](Self::connect): a completed handshake
    /// consumes a token (on servers following netcode 1.4.5), so reconnecting needs a fresh
    /// one.
    pub fn set_token(&mut self, token: &ConnectToken) -> Result<()> {
        let t = token.as_bytes();
        // SAFETY: t is t.len() readable bytes.
        check(unsafe { sys::ly_client_set_token(self.raw, t.as_ptr(), t.len() as u32) }).map(drop)
    }

    /// Advances the client's clock by `dt_seconds` (finite, >= 0): reads what arrived (until the socket
    /// is empty, at most 4096 datagrams per update), sends what is due (handshake resends,
    /// keep-alives), applies timeouts.
    pub fn update(&mut self, dt_seconds: f64) -> Result<()> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_client_update(self.raw, dt_seconds) }).map(drop)
    }

    /// Sends a payload (1 to 1200 bytes) to the server; needs [`ClientState::Connected`].
    /// A Steam client whose send buffer is full gets
    /// [`ErrorCode::SendBufferFull`](crate::ErrorCode::SendBufferFull) (not sent).
    pub fn send(&self, data: &[u8]) -> Result<()> {
        let size = u32::try_from(data.len())
            .map_err(|_| Error::new(ErrorCode::PayloadSize, format!("payload of {} bytes", data.len())))?;
        // SAFETY: data is size readable bytes.
        check(unsafe { sys::ly_client_send(self.raw, data.as_ptr(), size) }).map(drop)
    }

    /// Takes the next payload from the server, copied into the client's own buffer (valid
    /// until the next `receive`), or `None` if none is waiting.
    pub fn receive(&mut self) -> Result<Option<&[u8]>> {
        // SAFETY: buf is MAX_PAYLOAD_SIZE writable bytes; needed may be NULL.
        let n = check(unsafe {
            sys::ly_client_receive(
                self.raw,
                self.buf.as_mut_ptr(),
                MAX_PAYLOAD_SIZE as u32,
                std::ptr::null_mut(),
            )
        })? as usize;
        Ok((n > 0).then(|| &self.buf[..n.min(MAX_PAYLOAD_SIZE)]))
    }

    /// Takes the next payload into `buf` and returns its size, or `None` if none is
    /// waiting. A payload that does not fit gives [`ErrorCode::BufferTooSmall`] and stays
    /// queued (a [`MAX_PAYLOAD_SIZE`] buffer always fits).
    pub fn receive_into(&self, buf: &mut [u8]) -> Result<Option<usize>> {
        let len = buf.len().min(u32::MAX as usize) as u32;
        // SAFETY: buf is len writable bytes; needed may be NULL.
        let n =
            check(unsafe { sys::ly_client_receive(self.raw, buf.as_mut_ptr(), len, std::ptr::null_mut()) })? as usize;
        Ok((n > 0).then_some(n))
    }

    /// The connection state.
    pub fn state(&self) -> Result<ClientState> {
        let mut state: c_int = 0;
        // SAFETY: state is a valid out pointer.
        check(unsafe { sys::ly_client_get_state(self.raw, &mut state) })?;
        ClientState::from_raw(state)
    }

    /// `state() == Connected` (false if the handle is invalid).
    pub fn is_connected(&self) -> bool {
        self.state().is_ok_and(ClientState::is_connected)
    }

    /// Why the last connection or attempt ended, or [`DisconnectReason::None`] while it
    /// goes on.
    pub fn disconnect_reason(&self) -> Result<DisconnectReason> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_client_disconnect_reason(self.raw) }).map(|r| DisconnectReason::from_raw(r as u32))
    }

    /// Disconnects, telling the server (10 redundant packets). A no-op for an idle client.
    pub fn disconnect(&mut self) -> Result<()> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_client_disconnect(self.raw) }).map(drop)
    }

    /// The client's socket address, or `None` if no socket is open (not connected yet, or a
    /// local client).
    pub fn local_address(&self) -> Result<Option<String>> {
        // SAFETY: read_string passes a buffer of the size it says.
        let s = read_string(|buf, size| unsafe { sys::ly_client_local_address(self.raw, buf, size) })?;
        Ok((!s.is_empty()).then_some(s))
    }

    /// Conditions what the client sends and receives; `None` turns a direction off. Not for
    /// local clients.
    pub fn set_conditioner(&self, send: Option<&ConditionerConfig>, recv: Option<&ConditionerConfig>) -> Result<()> {
        let (s, r) = conditioner::raw_pair(send, recv);
        // SAFETY: the pointers are NULL or point to configs alive for the call.
        check(unsafe { sys::ly_client_set_conditioner(self.raw, conditioner::ptr(&s), conditioner::ptr(&r)) }).map(drop)
    }

    /// The client's counters.
    pub fn stats(&self) -> Result<Stats> {
        let mut raw = Stats::raw_empty();
        // SAFETY: raw is a valid ly_stats with struct_size set.
        check(unsafe { sys::ly_client_stats(self.raw, &mut raw) })?;
        Ok(Stats::from_raw(&raw))
    }

    /// The client's id: [`ClientId::Netcode`] with the id from [`ClientConfig::client_id`]
    /// (or the manual client's id), [`ClientId::Local`], or for a Steam client
    /// [`ClientId::Steam`] with the local user's SteamID.
    pub fn id(&self) -> Result<ClientId> {
        let mut raw = sys::ly_client_id::default();
        // SAFETY: raw is a valid out pointer.
        check(unsafe { sys::ly_client_id_of(self.raw, &mut raw) })?;
        // Only a client made through a function this crate does not wrap (of a newer
        // library) can have a kind it does not know.
        ClientId::from_raw(raw).ok_or_else(|| {
            Error::new(
                ErrorCode::Internal,
                format!("client id {} of unknown kind {}", raw.id, raw.kind),
            )
        })
    }
}
