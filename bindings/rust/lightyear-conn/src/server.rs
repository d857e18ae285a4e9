use std::ffi::c_int;
use std::fmt;

use lightyear_conn_sys as sys;

use crate::client::Client;
use crate::conditioner::{self, ConditionerConfig};
use crate::error::{Error, ErrorCode, Result, check};
use crate::stats::Stats;
use crate::token::{Key, address_list, opt_ptr, read_string};
use crate::types::{ClientId, Event};
use crate::web::{self, WebOptions};
use crate::{MAX_PAYLOAD_SIZE, USER_DATA_SIZE};

/// How to make a [`Server`].
///
/// ```no_run
/// # fn main() -> lightyear_conn::Result<()> {
/// use lightyear_conn::{Server, ServerConfig};
/// let key = lightyear_conn::generate_key()?;
/// let mut server = Server::new(&ServerConfig::new(0x1234, &key).bind("127.0.0.1:40000"))?;
/// server.start()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ServerConfig {
    protocol_id: u64,
    private_key: Key,
    bind_addresses: Vec<String>,
    public_addresses: Vec<String>,
    max_clients: u32,
    batch_sends: bool,
    max_token_lifetime_seconds: i32,
    token_history_size: u32,
    web_options: Option<WebOptions>,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("protocol_id", &self.protocol_id)
            .field("private_key", &"<redacted>")
            .field("bind_addresses", &self.bind_addresses)
            .field("public_addresses", &self.public_addresses)
            .field("max_clients", &self.max_clients)
            .field("batch_sends", &self.batch_sends)
            .field("max_token_lifetime_seconds", &self.max_token_lifetime_seconds)
            .field("token_history_size", &self.token_history_size)
            .field("web_options", &self.web_options)
            .finish()
    }
}

impl ServerConfig {
    /// A server for `protocol_id` whose tokens are sealed with `private_key`. With no
    /// [`bind`](Self::bind) address it opens no socket and serves local clients only.
    pub fn new(protocol_id: u64, private_key: &Key) -> Self {
        let mut raw = sys::ly_server_config::default();
        // SAFETY: raw is a valid ly_server_config.
        unsafe { sys::ly_server_config_defaults(&mut raw) };
        ServerConfig {
            protocol_id,
            private_key: *private_key,
            bind_addresses: Vec::new(),
            public_addresses: Vec::new(),
            max_clients: raw.max_clients,
            batch_sends: raw.batch_sends != 0,
            max_token_lifetime_seconds: raw.max_token_lifetime_seconds,
            token_history_size: raw.token_history_size,
            web_options: None,
        }
    }

    /// Adds an address to bind for netcode clients: `"127.0.0.1:40000"`, `"[::1]:0"` (port 0
    /// picks a free port; read it back with [`Server::address`]), `"[::]:40000"`
    /// (dual-stack, or IPv4 alone on a host without IPv6; then set the public addresses).
    ///
    /// An address may carry a scheme: `"udp://ip:port"` (the same as a bare one), or a
    /// browser transport carrying the same netcode: `"ws://ip:port"` (WebSocket, loopback
    /// only), `"wss://ip:port"` (WebSocket over TLS: needs a certificate in
    /// [`web_options`](Self::web_options)) or `"wt://ip:port"` (WebTransport, self-signed
    /// certificates unless one is set: see [`Server::web_cert_hashes`]). A wildcard bind
    /// names the address tokens carry for it with `"?public=ip:port"`, e.g.
    /// `"wt://0.0.0.0:4433?public=203.0.113.5:4433"`.
    pub fn bind(mut self, addr: impl Into<String>) -> Self {
        self.bind_addresses.push(addr.into());
        self
    }

    /// Adds an address your token backend writes into tokens (one of a token's addresses
    /// must match). Defaults to the bound addresses, which must then be specific. Port 0
    /// takes the port of the first bound socket.
    pub fn public_address(mut self, addr: impl Into<String>) -> Self {
        self.public_addresses.push(addr.into());
        self
    }

    /// Netcode clients connected at once (default 256, at most 1048576). Local clients have
    /// their own limit of 16.
    pub fn max_clients(mut self, n: u32) -> Self {
        self.max_clients = n;
        self
    }

    /// Queue netcode sends and write them together (one `sendmmsg` per 64 on Linux) at
    /// [`Server::flush`], at the next [`Server::update`], or when 64 wait. Call `flush` after
    /// a tick's sends: it saves a system call per packet. Off by default: every send is
    /// written at once.
    pub fn batch_sends(mut self, on: bool) -> Self {
        self.batch_sends = on;
        self
    }

    /// The restart rule (netcode 1.4.5): the longest lifetime (expire − create, seconds)
    /// your token backend issues. The server refuses tokens that expire before its first
    /// start plus this, as they may have been made before it started and used on an
    /// earlier run. 0: the default, 30; negative: off. Set it to your tokens' lifetime:
    /// shorter tokens are refused until the server has run for the difference.
    pub fn max_token_lifetime_seconds(mut self, seconds: i32) -> Self {
        self.max_token_lifetime_seconds = seconds;
        self
    }

    /// The most tokens the server remembers for netcode 1.4.5's reuse rule (a token is
    /// consumed once, then refused while it is valid): each until it expires, one that never
    /// expires for the life of the server (stop and start keep them). Up to about 120 bytes
    /// each, taken as tokens arrive. 0: the default, 524288 (at most about 60 MiB: 17,000
    /// joins a second with 30 s tokens, or half a million joins with tokens that never
    /// expire), or 4 × max clients if more; at most 2^30. When it is full of unexpired tokens
    /// new tokens are refused: counted in [`Stats::dropped_table_full`](crate::Stats::dropped_table_full), with
    /// an [`Event::Warning`](crate::Event::Warning) at most once a second.
    pub fn token_history_size(mut self, n: u32) -> Self {
        self.token_history_size = n;
        self
    }

    /// Options of the browser listeners (`ws://`, `wss://`, `wt://` binds), set when the
    /// server is made ([`Server::new`] fails with their error); without them the library's
    /// defaults apply. Change them later with [`Server::set_web_options`].
    pub fn web_options(mut self, options: WebOptions) -> Self {
        self.web_options = Some(options);
        self
    }
}

/// A server: netcode.io clients on the bound addresses plus local clients
/// ([`connect_local`](Self::connect_local)), polled from your game loop.
///
/// Nothing happens between calls of [`update`](Self::update), which advances the server's
/// clock by the time you pass. Events come out of [`poll`](Self::poll),
/// [`poll_into`](Self::poll_into) or [`poll_batch`](Self::poll_batch). Dropping the server
/// stops it (telling every client) and destroys the handle.
pub struct Server {
    raw: *mut sys::ly_server,
    buf: Box<[u8; MAX_PAYLOAD_SIZE]>,
}

// SAFETY (Send): the handle is an opaque integer the library validates on every call (it
// is never dereferenced), and every function may be called from any thread, so a Server
// can move to another thread and be used and dropped there.
unsafe impl Send for Server {}
// SAFETY (Sync): the library serialises the calls on one handle with a lock of its own, so
// concurrent calls through `&Server` are safe on the C side. On the Rust side, every `&self`
// method touches only the handle and its own locals or the caller's buffers; the one piece
// of Rust state, the payload buffer `poll` writes into, is only reached through `&mut self`.
// (Sync is also what Bevy resources need.) The error message of a failing call is read from
// the calling thread's slot right after the call, so threads never see each other's errors.
unsafe impl Sync for Server {}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server").field("handle", &self.raw).finish()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SAFETY: any handle value is accepted; after shutdown() this returns
        // LY_ERR_INVALID_HANDLE, which is fine to ignore.
        unsafe { sys::ly_server_destroy(self.raw) };
    }
}

impl Server {
    /// Makes a stopped server (the config is copied). Call [`start`](Self::start) next.
    pub fn new(config: &ServerConfig) -> Result<Server> {
        crate::ensure_compatible()?;
        let bind = address_list(&config.bind_addresses)?;
        let public = address_list(&config.public_addresses)?;
        let mut raw = sys::ly_server_config::default();
        // SAFETY: raw is a valid ly_server_config.
        unsafe { sys::ly_server_config_defaults(&mut raw) };
        raw.protocol_id = config.protocol_id;
        raw.private_key = config.private_key;
        raw.bind_addresses = opt_ptr(&bind);
        raw.public_addresses = opt_ptr(&public);
        raw.max_clients = config.max_clients;
        raw.batch_sends = u32::from(config.batch_sends);
        raw.max_token_lifetime_seconds = config.max_token_lifetime_seconds;
        raw.token_history_size = config.token_history_size;
        let mut handle = std::ptr::null_mut();
        // SAFETY: raw's strings live until the call returns (the library copies them);
        // handle is a valid out pointer.
        check(unsafe { sys::ly_server_create(&raw, &mut handle) })?;
        let server = Server {
            raw: handle,
            buf: Box::new([0u8; MAX_PAYLOAD_SIZE]),
        };
        if let Some(options) = &config.web_options {
            // On failure `server` is dropped here, which destroys the handle.
            web::apply(server.raw, options)?;
        }
        Ok(server)
    }

    /// The raw handle, for calling [`lightyear_conn_sys`](crate::sys) functions this crate
    /// does not wrap (calling them is `unsafe`; the handle stays owned by this `Server`).
    pub fn as_raw(&self) -> *mut sys::ly_server {
        self.raw
    }

    /// Binds the sockets and starts accepting clients.
    pub fn start(&mut self) -> Result<()> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_server_start(self.raw) }).map(drop)
    }

    /// Disconnects every client (each gets an [`Event::Disconnected`] with
    /// [`ServerStopped`](crate::DisconnectReason::ServerStopped), still pollable) and closes
    /// the sockets. Stopping a stopped server is fine.
    pub fn stop(&mut self) -> Result<()> {
        // SAFETY: as above.
        check(unsafe { sys::ly_server_stop(self.raw) }).map(drop)
    }

    pub fn is_running(&self) -> Result<bool> {
        // SAFETY: as above.
        check(unsafe { sys::ly_server_running(self.raw) }).map(|r| r == 1)
    }

    /// Advances the server's clock by `dt_seconds` (finite, >= 0): reads what arrived, sends
    /// keep-alives, times clients out. Each socket is read until it is empty or
    /// max(4096, 16 × max clients) datagrams were read; the rest waits for the next update.
    pub fn update(&mut self, dt_seconds: f64) -> Result<()> {
        // SAFETY: as above.
        check(unsafe { sys::ly_server_update(self.raw, dt_seconds) }).map(drop)
    }

    /// Sends a payload (1 to 1200 bytes) to a connected client. It is copied before the
    /// call returns. To a Steam client whose send buffer is full:
    /// [`ErrorCode::SendBufferFull`](crate::ErrorCode::SendBufferFull) (not sent).
    pub fn send(&self, client: ClientId, data: &[u8]) -> Result<()> {
        let size = payload_len(data)?;
        // SAFETY: data is size readable bytes.
        check(unsafe { sys::ly_server_send(self.raw, client.to_raw(), data.as_ptr(), size) }).map(drop)
    }

    /// Sends one payload to every connected client.
    /// [`ErrorCode::SendBufferFull`](crate::ErrorCode::SendBufferFull) (or `Socket`): some
    /// Steam clients did not get it; every other client did.
    pub fn broadcast(&self, data: &[u8]) -> Result<()> {
        let size = payload_len(data)?;
        // SAFETY: data is size readable bytes.
        check(unsafe { sys::ly_server_broadcast(self.raw, data.as_ptr(), size) }).map(drop)
    }

    /// Writes what [`send`](Self::send) and [`broadcast`](Self::broadcast) queued when the
    /// config set [`batch_sends`](ServerConfig::batch_sends); nothing is queued otherwise.
    pub fn flush(&self) -> Result<()> {
        // SAFETY: any handle value is accepted.
        check(unsafe { sys::ly_server_flush(self.raw) }).map(drop)
    }

    /// Disconnects one client, telling it. Its [`Event::Disconnected`] carries
    /// [`Local`](crate::DisconnectReason::Local).
    pub fn disconnect(&self, client: ClientId) -> Result<()> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_server_disconnect(self.raw, client.to_raw()) }).map(drop)
    }

    /// Disconnects every client.
    pub fn disconnect_all(&self) -> Result<()> {
        // SAFETY: as above.
        check(unsafe { sys::ly_server_disconnect_all(self.raw) }).map(drop)
    }

    pub fn num_connected(&self) -> Result<usize> {
        // SAFETY: as above.
        check(unsafe { sys::ly_server_num_connected(self.raw) }).map(|n| n as usize)
    }

    /// The configured maximum of netcode clients.
    pub fn max_clients(&self) -> Result<usize> {
        // SAFETY: as above.
        check(unsafe { sys::ly_server_max_clients(self.raw) }).map(|n| n as usize)
    }

    /// The connected clients, every backend (clients of a kind this crate does not know,
    /// from a newer library, are left out).
    pub fn connected_ids(&self) -> Result<Vec<ClientId>> {
        let mut ids = vec![sys::ly_client_id::default(); 16];
        loop {
            // SAFETY: ids has ids.len() writable elements.
            let n =
                check(unsafe { sys::ly_server_connected_ids(self.raw, ids.as_mut_ptr(), ids.len() as u32) })? as usize;
            if n <= ids.len() {
                ids.truncate(n);
                return Ok(ids.into_iter().filter_map(ClientId::from_raw).collect());
            }
            ids.resize(n + 16, sys::ly_client_id::default());
        }
    }

    /// A connected client's address ("ip:port").
    pub fn client_address(&self, client: ClientId) -> Result<String> {
        // SAFETY: read_string passes a buffer of the size it says.
        read_string(|buf, size| unsafe { sys::ly_server_client_address(self.raw, client.to_raw(), buf, size) })
    }

    /// The 256 bytes of user data the client's token carried (zeros for local clients).
    pub fn client_user_data(&self, client: ClientId) -> Result<[u8; USER_DATA_SIZE]> {
        let mut data = [0u8; USER_DATA_SIZE];
        // SAFETY: data is LY_USER_DATA_SIZE writable bytes.
        check(unsafe { sys::ly_server_client_user_data(self.raw, client.to_raw(), data.as_mut_ptr()) })?;
        Ok(data)
    }

    /// Bound address number `index` (0 for the first), for example to learn the port
    /// after binding port 0. The server must be running.
    pub fn address(&self, index: u32) -> Result<String> {
        // SAFETY: read_string passes a buffer of the size it says.
        read_string(|buf, size| unsafe { sys::ly_server_address(self.raw, index, buf, size) })
    }

    /// Every bound address.
    pub fn addresses(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        loop {
            match self.address(out.len() as u32) {
                Ok(a) => out.push(a),
                Err(e) if e.code == ErrorCode::InvalidArgument => return Ok(out),
                Err(e) => return Err(e),
            }
        }
    }

    /// Connects a local client: a client in this process that exchanges payloads with the
    /// server through memory (no socket, no encryption), for host-server mode. On a running
    /// server it is connected at once and the server gets [`Event::Connected`] for
    /// [`ClientId::Local(id)`](ClientId::Local) (unless 16 local clients are connected:
    /// then its state is [`ConnectionDenied`](crate::ClientState::ConnectionDenied)).
    /// Before the server starts (or while it is stopped) it waits in
    /// [`SendingConnectionRequest`](crate::ClientState::SendingConnectionRequest) and
    /// connects when the server starts, as lightyear's host client does. Use it like any
    /// [`Client`]; dropping it destroys it.
    pub fn connect_local(&self, id: u64) -> Result<Client> {
        let mut handle = std::ptr::null_mut();
        // SAFETY: handle is a valid out pointer.
        check(unsafe { sys::ly_server_connect_local(self.raw, id, &mut handle) })?;
        Ok(Client::from_handle(handle))
    }

    /// Conditions what the server sends and receives on its netcode sockets from now on;
    /// `None` turns a direction off. Datagrams a previous conditioner still held are lost.
    pub fn set_conditioner(&self, send: Option<&ConditionerConfig>, recv: Option<&ConditionerConfig>) -> Result<()> {
        let (s, r) = conditioner::raw_pair(send, recv);
        // SAFETY: the pointers are NULL or point to configs alive for the call.
        check(unsafe { sys::ly_server_set_conditioner(self.raw, conditioner::ptr(&s), conditioner::ptr(&r)) }).map(drop)
    }

    /// The whole server's counters, every backend added up.
    pub fn stats(&self) -> Result<Stats> {
        let mut raw = Stats::raw_empty();
        // SAFETY: raw is a valid ly_stats with struct_size set.
        check(unsafe { sys::ly_server_stats(self.raw, &mut raw) })?;
        Ok(Stats::from_raw(&raw))
    }

    /// One connected client's counters as the server sees them.
    pub fn client_stats(&self, client: ClientId) -> Result<Stats> {
        let mut raw = Stats::raw_empty();
        // SAFETY: as above.
        check(unsafe { sys::ly_server_client_stats(self.raw, client.to_raw(), &mut raw) })?;
        Ok(Stats::from_raw(&raw))
    }

    /// Takes the oldest event, its payload copied into the server's own buffer (valid until
    /// the next `poll`). While the event is alive the server stays borrowed; to send while
    /// handling events (an echo), use [`poll_into`](Self::poll_into) or
    /// [`poll_batch`](Self::poll_batch), whose events borrow your buffer instead.
    ///
    /// Events of a type (or about a client of a kind) this crate does not know, from a
    /// newer library, are taken and skipped.
    pub fn poll(&mut self) -> Result<Option<Event<'_>>> {
        let (raw, buf) = (self.raw, &mut self.buf);
        // SAFETY: ev is a valid ly_event; buf is MAX_PAYLOAD_SIZE writable bytes.
        let ev =
            poll_known(|ev| check(unsafe { sys::ly_server_poll(raw, ev, buf.as_mut_ptr(), MAX_PAYLOAD_SIZE as u32) }))?;
        Ok(ev.and_then(|ev| {
            let size = (ev.payload_size as usize).min(MAX_PAYLOAD_SIZE);
            Event::from_raw(&ev, &self.buf[..size])
        }))
    }

    /// Takes the oldest event, its payload copied into `buf`. If the payload does not fit,
    /// returns [`ErrorCode::BufferTooSmall`] and the event stays queued (a buffer of
    /// [`MAX_PAYLOAD_SIZE`] bytes always fits). Unknown events are skipped as by
    /// [`poll`](Self::poll).
    pub fn poll_into<'b>(&self, buf: &'b mut [u8]) -> Result<Option<Event<'b>>> {
        let len = buf.len().min(u32::MAX as usize);
        let ptr = buf.as_mut_ptr();
        // SAFETY: ev is a valid ly_event; ptr is len writable bytes.
        let ev = poll_known(|ev| check(unsafe { sys::ly_server_poll(self.raw, ev, ptr, len as u32) }))?;
        Ok(ev.and_then(|ev| {
            let size = (ev.payload_size as usize).min(len);
            Event::from_raw(&ev, &buf[..size])
        }))
    }

    /// Takes up to `events.max_events()` events in one call into the library, their
    /// payloads packed into `events`' buffer, and returns them as an iterator borrowing
    /// that buffer (so the server itself stays free for sends while you iterate). Events of
    /// a type (or about a client of a kind) this crate does not know, from a newer library,
    /// are left out of the batch; the rest of it is delivered. An empty batch means no
    /// event is pending.
    ///
    /// ```no_run
    /// # fn run(server: &mut lightyear_conn::Server) -> lightyear_conn::Result<()> {
    /// use lightyear_conn::{Event, EventBuffer};
    /// let mut events = EventBuffer::new(64);
    /// loop {
    ///     server.update(1.0 / 60.0)?;
    ///     loop {
    ///         let batch = server.poll_batch(&mut events)?;
    ///         if batch.is_empty() { break; }
    ///         for event in batch {
    ///             if let Event::Payload { client, data } = event {
    ///                 server.send(client, data)?; // echo
    ///             }
    ///         }
    ///     }
    /// #   break;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn poll_batch<'b>(&self, events: &'b mut EventBuffer) -> Result<Batch<'b>> {
        let EventBuffer { events: evs, payloads } = events;
        let n = poll_batch_known(evs, payloads, |evs, payloads| {
            // SAFETY: evs has evs.len() writable ly_events and payloads payloads.len()
            // writable bytes (both at most u32::MAX, see EventBuffer::with_capacity).
            check(unsafe {
                sys::ly_server_poll_batch(
                    self.raw,
                    evs.as_mut_ptr(),
                    evs.len() as u32,
                    payloads.as_mut_ptr(),
                    payloads.len() as u32,
                )
            })
            .map(|n| n as usize)
        })?;
        Ok(Batch {
            events: &evs[..n],
            payloads,
            next: 0,
        })
    }
}

/// Calls `poll` (one `ly_server_poll`) until it takes an event this crate knows, or none
/// is pending. An event of an unknown type or client kind (a newer library) is skipped,
/// as the header asks: the library has already handed it over.
fn poll_known(mut poll: impl FnMut(&mut sys::ly_event) -> Result<c_int>) -> Result<Option<sys::ly_event>> {
    loop {
        let mut ev = sys::ly_event::default();
        if poll(&mut ev)? == 0 {
            return Ok(None);
        }
        if Event::from_raw(&ev, &[]).is_some() {
            return Ok(Some(ev));
        }
    }
}

/// Calls `poll` (one `ly_server_poll_batch` into `evs` and `payloads`, returning how many
/// events it wrote) and moves the events this crate knows to the front of `evs`, in order,
/// returning their number. Unknown ones (a newer library) are dropped and the rest of the
/// batch kept; a batch of unknown events only is followed by another call, so that 0 means
/// that no event is pending. Every kept payload is checked to lie in `payloads`, so that
/// iterating the [`Batch`] cannot fail.
fn poll_batch_known(
    evs: &mut [sys::ly_event],
    payloads: &mut [u8],
    mut poll: impl FnMut(&mut [sys::ly_event], &mut [u8]) -> Result<usize>,
) -> Result<usize> {
    loop {
        let n = poll(evs, payloads)?.min(evs.len());
        if n == 0 {
            return Ok(0);
        }
        let mut kept = 0;
        for i in 0..n {
            let ev = evs[i];
            if Event::from_raw(&ev, &[]).is_none() {
                continue;
            }
            let end = ev.payload_offset as usize + ev.payload_size as usize;
            if end > payloads.len() {
                return Err(Error::new(ErrorCode::Internal, "payload outside the batch buffer"));
            }
            evs[kept] = ev;
            kept += 1;
        }
        if kept > 0 {
            return Ok(kept);
        }
    }
}

fn payload_len(data: &[u8]) -> Result<u32> {
    // Larger slices would be cut by the cast; the library refuses them anyway.
    u32::try_from(data.len())
        .map_err(|_| Error::new(ErrorCode::PayloadSize, format!("payload of {} bytes", data.len())))
}

/// Space for [`Server::poll_batch`]: an array of events and a buffer their payloads are
/// packed into. Reuse one across frames.
pub struct EventBuffer {
    events: Vec<sys::ly_event>,
    payloads: Vec<u8>,
}

impl fmt::Debug for EventBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBuffer")
            .field("max_events", &self.events.len())
            .field("payload_bytes", &self.payloads.len())
            .finish()
    }
}

impl Default for EventBuffer {
    /// 64 events, with room for 64 full-size payloads.
    fn default() -> Self {
        EventBuffer::new(64)
    }
}

impl EventBuffer {
    /// Room for `max_events` events, each with a full-size payload (1200 bytes each).
    pub fn new(max_events: usize) -> Self {
        Self::with_capacity(max_events, max_events.saturating_mul(MAX_PAYLOAD_SIZE))
    }

    /// Room for `max_events` events (at least 1) and `payload_bytes` of payloads (at least
    /// one full-size payload, so that a batch always makes progress). A batch stops early
    /// when the next payload does not fit; it stays queued for the next batch.
    pub fn with_capacity(max_events: usize, payload_bytes: usize) -> Self {
        let max_events = max_events.clamp(1, (u32::MAX as usize) / 2);
        let payload_bytes = payload_bytes.clamp(MAX_PAYLOAD_SIZE, u32::MAX as usize);
        EventBuffer {
            events: vec![sys::ly_event::default(); max_events],
            payloads: vec![0; payload_bytes],
        }
    }

    pub fn max_events(&self) -> usize {
        self.events.len()
    }
}

/// The events of one [`Server::poll_batch`] call, oldest first. Payloads borrow the
/// [`EventBuffer`].
pub struct Batch<'b> {
    events: &'b [sys::ly_event],
    payloads: &'b [u8],
    next: usize,
}

impl fmt::Debug for Batch<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.clone_iter()).finish()
    }
}

impl<'b> Batch<'b> {
    /// Events left in this batch.
    pub fn len(&self) -> usize {
        self.events.len() - self.next
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn clone_iter(&self) -> Batch<'b> {
        Batch {
            events: self.events,
            payloads: self.payloads,
            next: self.next,
        }
    }

    #[inline]
    fn event(&self, i: usize) -> Option<Event<'b>> {
        let ev = self.events.get(i)?;
        let start = ev.payload_offset as usize;
        // In range and convertible: checked in poll_batch_known.
        let data = self.payloads.get(start..start + ev.payload_size as usize)?;
        Event::from_raw(ev, data)
    }
}

impl<'b> Iterator for Batch<'b> {
    type Item = Event<'b>;

    fn next(&mut self) -> Option<Event<'b>> {
        let ev = self.event(self.next)?;
        self.next += 1;
        Some(ev)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl ExactSizeIterator for Batch<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DisconnectReason, Warning};

    const UNKNOWN_TYPE: u32 = 99;
    const UNKNOWN_KIND: u32 = 77;

    fn raw(r#type: u32, kind: u32, id: u64, reason: u32, payload: (u32, u32)) -> sys::ly_event {
        sys::ly_event {
            r#type,
            reason,
            client: sys::ly_client_id { id, kind, reserved: 0 },
            payload_offset: payload.0,
            payload_size: payload.1,
        }
    }

    /// A stand-in for ly_server_poll_batch that hands out `batches` one per call (each a
    /// list of events and the payload bytes they point into), then 0.
    fn fake_batches(
        batches: Vec<(Vec<sys::ly_event>, Vec<u8>)>,
    ) -> impl FnMut(&mut [sys::ly_event], &mut [u8]) -> Result<usize> {
        let mut batches = batches.into_iter();
        move |evs, payloads| {
            let Some((b, bytes)) = batches.next() else { return Ok(0) };
            evs[..b.len()].copy_from_slice(&b);
            payloads[..bytes.len()].copy_from_slice(&bytes);
            Ok(b.len())
        }
    }

    fn events<'b>(evs: &'b [sys::ly_event], payloads: &'b [u8]) -> Vec<Event<'b>> {
        let batch = Batch {
            events: evs,
            payloads,
            next: 0,
        };
        assert_eq!(batch.len(), evs.len());
        batch.collect()
    }

    #[test]
    fn batch_skips_unknown_events_and_keeps_the_rest() {
        let (n, k, l) = (sys::LY_KIND_NETCODE, sys::LY_KIND_STEAM, sys::LY_KIND_LOCAL);
        let batch = vec![
            raw(sys::LY_EVENT_CONNECTED, n, 1, 0, (0, 0)),
            raw(UNKNOWN_TYPE, n, 2, 5, (0, 3)),
            raw(sys::LY_EVENT_PAYLOAD, k, 3, 0, (3, 2)),
            raw(sys::LY_EVENT_PAYLOAD, UNKNOWN_KIND, 4, 0, (5, 1)),
            raw(sys::LY_EVENT_WARNING, l, 5, sys::LY_WARNING_PENDING_FULL, (0, 0)),
            raw(sys::LY_EVENT_DISCONNECTED, n, 1, sys::LY_REASON_REMOTE, (0, 0)),
            raw(UNKNOWN_TYPE, UNKNOWN_KIND, 6, 0, (0, 0)),
        ];
        let mut evs = vec![sys::ly_event::default(); 8];
        let mut payloads = vec![0u8; 16];
        let got = poll_batch_known(&mut evs, &mut payloads, fake_batches(vec![(batch, b"xyzhiq".to_vec())])).unwrap();
        assert_eq!(got, 4);
        let want = [
            Event::Connected {
                client: ClientId::Netcode(1),
            },
            Event::Payload {
                client: ClientId::Steam(3),
                data: b"hi",
            },
            Event::Warning {
                client: ClientId::Local(5),
                warning: Warning::PendingFull,
            },
            Event::Disconnected {
                client: ClientId::Netcode(1),
                reason: DisconnectReason::Remote,
            },
        ];
        assert_eq!(events(&evs[..got], &payloads), want);
    }

    #[test]
    fn batch_of_unknown_events_only_is_followed_by_the_next() {
        let n = sys::LY_KIND_NETCODE;
        let mut evs = vec![sys::ly_event::default(); 4];
        let mut payloads = vec![0u8; 16];
        let mut poll = fake_batches(vec![
            (
                vec![
                    raw(UNKNOWN_TYPE, n, 1, 0, (0, 0)),
                    raw(UNKNOWN_TYPE + 1, n, 2, 0, (0, 0)),
                ],
                vec![],
            ),
            (vec![raw(sys::LY_EVENT_PAYLOAD, n, 3, 0, (0, 2))], b"ok".to_vec()),
        ]);
        let got = poll_batch_known(&mut evs, &mut payloads, &mut poll).unwrap();
        assert_eq!(got, 1);
        let want = Event::Payload {
            client: ClientId::Netcode(3),
            data: b"ok",
        };
        assert_eq!(events(&evs[..got], &payloads), [want]);
        assert_eq!(poll_batch_known(&mut evs, &mut payloads, &mut poll).unwrap(), 0);
    }

    #[test]
    fn batch_payload_outside_the_buffer_fails() {
        let batch = vec![raw(sys::LY_EVENT_PAYLOAD, sys::LY_KIND_NETCODE, 1, 0, (10, 8))];
        let mut evs = vec![sys::ly_event::default(); 2];
        let mut payloads = vec![0u8; 16];
        let err = poll_batch_known(&mut evs, &mut payloads, fake_batches(vec![(batch, vec![])])).unwrap_err();
        assert_eq!(err.code, ErrorCode::Internal);
    }

    #[test]
    fn poll_skips_unknown_events() {
        let n = sys::LY_KIND_NETCODE;
        let mut queue = vec![
            raw(UNKNOWN_TYPE, n, 1, 0, (0, 0)),
            raw(sys::LY_EVENT_CONNECTED, UNKNOWN_KIND, 2, 0, (0, 0)),
            raw(sys::LY_EVENT_CONNECTED, n, 3, 0, (0, 0)),
            raw(UNKNOWN_TYPE, n, 4, 0, (0, 0)),
        ]
        .into_iter();
        let mut calls = 0;
        let mut poll = |ev: &mut sys::ly_event| {
            calls += 1;
            Ok(match queue.next() {
                Some(e) => {
                    *ev = e;
                    1
                }
                None => 0,
            })
        };
        let ev = poll_known(&mut poll).unwrap().expect("an event");
        assert_eq!(
            Event::from_raw(&ev, &[]),
            Some(Event::Connected {
                client: ClientId::Netcode(3)
            })
        );
        assert_eq!(poll_known(&mut poll).unwrap(), None);
        assert_eq!(calls, 5);
    }
}
