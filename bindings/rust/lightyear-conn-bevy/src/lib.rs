//! A Bevy plugin for [`lightyear_conn`], on `bevy_app` + `bevy_ecs` only (default features
//! off: no renderer, no bevy_time).
//!
//! * Insert a [`NetServer`] and/or a [`NetClient`] resource (a started [`Server`], a
//!   connecting or local [`Client`]).
//! * In `PreUpdate` ([`NetSet::Receive`]) the plugin advances [`NetTime`], updates the
//!   server and the client by its delta, and turns what happened into Bevy messages:
//!   [`ServerConnected`], [`ServerDisconnected`], [`ServerPayload`], [`ServerWarning`] for
//!   the server,
//!   [`ClientConnected`], [`ClientDisconnected`], [`ClientPayload`] for the client. Bevy
//!   messages are owned, so payloads are copied into a `Vec<u8>` here (the core crate's
//!   events borrow).
//! * In `PostUpdate` ([`NetSet::Send`]) it sends what your systems wrote as [`ServerSend`]
//!   and [`ClientSend`] messages.
//! * Failures become [`NetError`] messages; nothing panics.
//!
//! Time: [`NetTime`] measures real time between frames by default ([`NetTime::real`]);
//! [`NetTime::fixed`] steps a fixed delta per frame (deterministic tests, headless
//! servers); [`NetTime::manual`] leaves the delta to you (for example from bevy_time's
//! `Time`, in a system before [`NetSet::Receive`]).
//!
//! See `examples/headless.rs`.

use std::ops::{Deref, DerefMut};
use std::time::Instant;

use bevy_app::{App, Plugin, PostUpdate, PreUpdate};
use bevy_ecs::prelude::*;
pub use lightyear_conn;
use lightyear_conn::{Client, ClientId, ClientState, DisconnectReason, Error, Event, EventBuffer, Server, Warning};

/// Adds the messages, [`NetTime`] (real time, unless you inserted one) and the systems.
#[derive(Debug, Default, Clone, Copy)]
pub struct LightyearConnPlugin;

impl Plugin for LightyearConnPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<NetTime>()
            .add_message::<ServerConnected>()
            .add_message::<ServerDisconnected>()
            .add_message::<ServerPayload>()
            .add_message::<ServerWarning>()
            .add_message::<ClientConnected>()
            .add_message::<ClientDisconnected>()
            .add_message::<ClientPayload>()
            .add_message::<ServerSend>()
            .add_message::<ClientSend>()
            .add_message::<NetError>()
            .add_systems(
                PreUpdate,
                (advance_time, receive_server, receive_client)
                    .chain()
                    .in_set(NetSet::Receive),
            )
            .add_systems(PostUpdate, (send_server, send_client).in_set(NetSet::Send));
    }
}

/// The plugin's system sets, to order your systems against.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetSet {
    /// `PreUpdate`: advance time, update, turn events into messages.
    Receive,
    /// `PostUpdate`: send [`ServerSend`] and [`ClientSend`] messages.
    Send,
}

// ------------------------------------------------------------------------------ resources

/// The server the plugin drives. Derefs to [`Server`] (send directly if you prefer that
/// to [`ServerSend`] messages).
#[derive(Resource, Debug)]
pub struct NetServer {
    server: Server,
    events: EventBuffer,
}

impl NetServer {
    /// Wraps a server (start it first, or the plugin skips it while it is stopped).
    pub fn new(server: Server) -> Self {
        NetServer {
            server,
            events: EventBuffer::new(64),
        }
    }

    pub fn into_inner(self) -> Server {
        self.server
    }
}

impl Deref for NetServer {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl DerefMut for NetServer {
    fn deref_mut(&mut self) -> &mut Server {
        &mut self.server
    }
}

/// The client the plugin drives (netcode or local). Derefs to [`Client`].
#[derive(Resource, Debug)]
pub struct NetClient {
    client: Client,
    last_state: Option<ClientState>,
}

impl NetClient {
    /// Wraps a client; call `connect()` on it before or after.
    pub fn new(client: Client) -> Self {
        NetClient {
            client,
            last_state: None,
        }
    }

    pub fn into_inner(self) -> Client {
        self.client
    }
}

impl Deref for NetClient {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for NetClient {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}

/// How [`NetTime`] gets its delta.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum NetTimeMode {
    /// Real time since the previous frame (0 on the first).
    Real,
    /// The same delta every frame.
    Fixed(f64),
    /// Whatever [`NetTime::set_delta`] set.
    Manual,
}

/// The time step the plugin passes to `update` each frame, in seconds.
#[derive(Resource, Debug, Clone)]
pub struct NetTime {
    mode: NetTimeMode,
    delta: f64,
    elapsed: f64,
    last: Option<Instant>,
}

impl Default for NetTime {
    fn default() -> Self {
        NetTime::real()
    }
}

impl NetTime {
    pub fn real() -> Self {
        NetTime {
            mode: NetTimeMode::Real,
            delta: 0.0,
            elapsed: 0.0,
            last: None,
        }
    }

    pub fn fixed(dt_seconds: f64) -> Self {
        NetTime {
            mode: NetTimeMode::Fixed(dt_seconds),
            ..NetTime::real()
        }
    }

    pub fn manual() -> Self {
        NetTime {
            mode: NetTimeMode::Manual,
            ..NetTime::real()
        }
    }

    pub fn mode(&self) -> NetTimeMode {
        self.mode
    }

    /// The delta of this frame.
    pub fn delta_seconds(&self) -> f64 {
        self.delta
    }

    /// The sum of all deltas so far.
    pub fn elapsed_seconds(&self) -> f64 {
        self.elapsed
    }

    /// Sets this frame's delta ([`NetTimeMode::Manual`]).
    pub fn set_delta(&mut self, dt_seconds: f64) {
        self.delta = dt_seconds;
    }

    fn advance(&mut self) {
        match self.mode {
            NetTimeMode::Real => {
                let now = Instant::now();
                self.delta = self.last.map_or(0.0, |l| (now - l).as_secs_f64());
                self.last = Some(now);
            }
            NetTimeMode::Fixed(dt) => self.delta = dt,
            NetTimeMode::Manual => {}
        }
        self.elapsed += self.delta;
    }
}

// ------------------------------------------------------------------------------ messages

/// A client connected to the [`NetServer`].
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConnected {
    pub client: ClientId,
}

/// A client's connection to the [`NetServer`] ended.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerDisconnected {
    pub client: ClientId,
    pub reason: DisconnectReason,
}

/// A payload the [`NetServer`] received.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ServerPayload {
    pub client: ClientId,
    pub data: Vec<u8>,
}

/// The [`NetServer`] refused a connection request from `client` for lack of room (see
/// [`Warning`]); at most one a second per kind of warning.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerWarning {
    pub client: ClientId,
    pub warning: Warning,
}

/// The [`NetClient`] became connected.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConnected {
    pub id: ClientId,
}

/// The [`NetClient`]'s connection, or its attempt, ended.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientDisconnected {
    /// The state it ended in (`Disconnected`, `ConnectionTimedOut`, `ConnectionDenied`, ...).
    pub state: ClientState,
    pub reason: DisconnectReason,
}

/// A payload the [`NetClient`] received.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ClientPayload {
    pub data: Vec<u8>,
}

/// Who a [`ServerSend`] goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendTarget {
    Client(ClientId),
    /// Every connected client.
    All,
}

/// Write this to have the [`NetServer`] send a payload in `PostUpdate`.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ServerSend {
    pub target: SendTarget,
    pub data: Vec<u8>,
}

impl ServerSend {
    pub fn to(client: ClientId, data: impl Into<Vec<u8>>) -> Self {
        ServerSend {
            target: SendTarget::Client(client),
            data: data.into(),
        }
    }

    pub fn broadcast(data: impl Into<Vec<u8>>) -> Self {
        ServerSend {
            target: SendTarget::All,
            data: data.into(),
        }
    }
}

/// Write this to have the [`NetClient`] send a payload in `PostUpdate`.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ClientSend {
    pub data: Vec<u8>,
}

impl ClientSend {
    pub fn new(data: impl Into<Vec<u8>>) -> Self {
        ClientSend { data: data.into() }
    }
}

/// Which side a [`NetError`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetSide {
    Server,
    Client,
}

/// A call into the library failed (an update, a send, ...).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    pub side: NetSide,
    pub error: Error,
}

// ------------------------------------------------------------------------------ systems

fn advance_time(mut time: ResMut<NetTime>) {
    time.advance();
}

fn receive_server(
    time: Res<NetTime>,
    server: Option<ResMut<NetServer>>,
    mut connected: MessageWriter<ServerConnected>,
    mut disconnected: MessageWriter<ServerDisconnected>,
    mut payloads: MessageWriter<ServerPayload>,
    mut warnings: MessageWriter<ServerWarning>,
    mut errors: MessageWriter<NetError>,
) {
    let Some(mut net) = server else { return };
    let NetServer { server, events } = &mut *net;
    // A stopped server has nothing to update; its last events (ServerStopped) are still
    // polled below.
    if server.is_running().unwrap_or(false)
        && let Err(error) = server.update(time.delta_seconds())
    {
        errors.write(NetError {
            side: NetSide::Server,
            error,
        });
    }
    loop {
        let batch = match server.poll_batch(events) {
            Ok(batch) if batch.is_empty() => return,
            Ok(batch) => batch,
            Err(error) => {
                errors.write(NetError {
                    side: NetSide::Server,
                    error,
                });
                return;
            }
        };
        for event in batch {
            match event {
                Event::Connected { client } => {
                    connected.write(ServerConnected { client });
                }
                Event::Disconnected { client, reason } => {
                    disconnected.write(ServerDisconnected { client, reason });
                }
                Event::Payload { client, data } => {
                    payloads.write(ServerPayload {
                        client,
                        data: data.to_vec(),
                    });
                }
                Event::Warning { client, warning } => {
                    warnings.write(ServerWarning { client, warning });
                }
                // An event a later version of lightyear-conn adds: this plugin has no
                // message for it yet.
                _ => {}
            }
        }
    }
}

fn receive_client(
    time: Res<NetTime>,
    client: Option<ResMut<NetClient>>,
    mut connected: MessageWriter<ClientConnected>,
    mut disconnected: MessageWriter<ClientDisconnected>,
    mut payloads: MessageWriter<ClientPayload>,
    mut errors: MessageWriter<NetError>,
) {
    let Some(mut net) = client else { return };
    let net = &mut *net;
    if let Err(error) = net.client.update(time.delta_seconds()) {
        errors.write(NetError {
            side: NetSide::Client,
            error,
        });
        return;
    }
    match net.client.state() {
        Ok(state) if Some(state) != net.last_state => {
            let was_active = net.last_state.is_some_and(|s| s.is_connected() || s.is_connecting());
            if state.is_connected() {
                match net.client.id() {
                    Ok(id) => {
                        connected.write(ClientConnected { id });
                    }
                    Err(error) => {
                        errors.write(NetError {
                            side: NetSide::Client,
                            error,
                        });
                    }
                }
            } else if was_active && !state.is_connecting() {
                let reason = net.client.disconnect_reason().unwrap_or(DisconnectReason::None);
                disconnected.write(ClientDisconnected { state, reason });
            }
            net.last_state = Some(state);
        }
        Ok(_) => {}
        Err(error) => {
            errors.write(NetError {
                side: NetSide::Client,
                error,
            });
        }
    }
    loop {
        match net.client.receive() {
            Ok(Some(data)) => {
                payloads.write(ClientPayload { data: data.to_vec() });
            }
            Ok(None) => break,
            Err(error) => {
                errors.write(NetError {
                    side: NetSide::Client,
                    error,
                });
                break;
            }
        }
    }
}

fn send_server(
    server: Option<Res<NetServer>>,
    mut outgoing: MessageReader<ServerSend>,
    mut errors: MessageWriter<NetError>,
) {
    let Some(net) = server else {
        outgoing.clear();
        return;
    };
    let mut sent = false;
    for msg in outgoing.read() {
        let result = match msg.target {
            SendTarget::Client(client) => net.send(client, &msg.data),
            SendTarget::All => net.broadcast(&msg.data),
        };
        match result {
            Ok(()) => sent = true,
            Err(error) => {
                errors.write(NetError {
                    side: NetSide::Server,
                    error,
                });
            }
        }
    }
    // A server made with batch_sends holds this frame's sends until now.
    if sent && let Err(error) = net.flush() {
        errors.write(NetError {
            side: NetSide::Server,
            error,
        });
    }
}

fn send_client(
    client: Option<Res<NetClient>>,
    mut outgoing: MessageReader<ClientSend>,
    mut errors: MessageWriter<NetError>,
) {
    let Some(net) = client else {
        outgoing.clear();
        return;
    };
    for msg in outgoing.read() {
        if let Err(error) = net.send(&msg.data) {
            errors.write(NetError {
                side: NetSide::Client,
                error,
            });
        }
    }
}
