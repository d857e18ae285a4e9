//! Bevy plugins for [`lightyear_conn`], on the Bevy sub-crates `bevy_app`, `bevy_ecs` and
//! `bevy_time` (the umbrella `bevy` crate needs a newer Rust).
//!
//! * [`ServerPlugin`] takes a [`ServerConfig`] (and an optional [`Conditioner`]), keeps the
//!   server in the [`NetServer`] resource and starts it at once (or on [`StartServer`]);
//!   [`StopServer`] stops it. Each connected client is an entity with a [`RemoteClient`]
//!   component, spawned on connect and despawned on disconnect. Browsers connect through
//!   the config's `ws://`, `wss://` and `wt://` binds, set up with
//!   [`ServerPlugin::web_options`].
//! * [`ClientPlugin`] drives every entity with a [`NetClient`] component (netcode with a
//!   [`TokenSource`], or a local client of this app's server): spawning one connects it,
//!   after fetching its token from a token service ([`TokenSource::Service`], polled each
//!   frame, never blocking one; a refusal becomes [`ClientTokenFetchFailed`]),
//!   [`DisconnectClient`] / [`ConnectClient`] end or redo the connection, despawning it
//!   disconnects. Any number of clients per app.
//! * [`NetSystems::Receive`] (`PreUpdate`): update with Bevy's [`Time`] and poll; what
//!   happened becomes messages ([`ServerConnected`], [`ServerPayload`], [`ClientPayload`],
//!   ...). [`NetSystems::Send`] (`PostUpdate`): send [`ServerSend`] / [`ClientSend`], flush.
//!   [`NetSchedules::Fixed`] moves both to `FixedPreUpdate` / `FixedPostUpdate`, where `Time`
//!   is `Time<Fixed>`.
//! * Failures become [`NetError`] messages and a `log` warning (Bevy's `LogPlugin` shows
//!   them); no system panics, nothing is dropped silently.
//! * Payloads are [`Bytes`]: the library writes each received payload straight into a
//!   shared buffer that is split into `Bytes` (no allocation or second copy per payload),
//!   and a received `Bytes` can be sent on without copying.
//!
//! Needs `Time`: add `bevy_time::TimePlugin` (part of `MinimalPlugins`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use bevy_app::{App, FixedPostUpdate, FixedPreUpdate, Plugin, PostUpdate, PreUpdate};
use bevy_ecs::intern::Interned;
use bevy_ecs::prelude::*;
use bevy_ecs::schedule::ScheduleLabel;
use bevy_time::Time;
pub use bytes::Bytes;
use bytes::BytesMut;
pub use lightyear_conn;
use lightyear_conn::{
    Client, ClientConfig, ClientId, ClientState, ConditionerConfig, ConnectToken, DisconnectReason, Error, ErrorCode,
    Event, FleetConfig, Key, MAX_PAYLOAD_SIZE, Server, ServerConfig, TokenFetchOptions, TokenRequest, Warning,
    WebOptions,
};

// ------------------------------------------------------------------------------ schedules

/// Where the plugins' systems run. Both read `Res<Time>`, which Bevy sets to the clock of
/// the schedule: `Time<Virtual>` in the frame schedules, `Time<Fixed>` in the fixed ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetSchedules {
    /// `PreUpdate` / `PostUpdate`, once a frame, by the virtual clock.
    #[default]
    Frame,
    /// `FixedPreUpdate` / `FixedPostUpdate`, once per fixed step, by `Time<Fixed>`.
    Fixed,
}

impl NetSchedules {
    fn receive(self) -> Interned<dyn ScheduleLabel> {
        match self {
            NetSchedules::Frame => PreUpdate.intern(),
            NetSchedules::Fixed => FixedPreUpdate.intern(),
        }
    }

    fn send(self) -> Interned<dyn ScheduleLabel> {
        match self {
            NetSchedules::Frame => PostUpdate.intern(),
            NetSchedules::Fixed => FixedPostUpdate.intern(),
        }
    }
}

/// The plugins' system sets, to order your systems against.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NetSystems {
    /// Start/stop/connect requests, `update(dt)`, polling; writes the received messages.
    Receive,
    /// Sends [`ServerSend`] and [`ClientSend`] messages, then flushes the server.
    Send,
}

/// Inside [`NetSystems::Receive`]: the server first, so that a local client sees what the
/// server sent in the same frame.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum ReceiveOrder {
    Server,
    Client,
}

fn configure_sets(app: &mut App, schedules: NetSchedules) {
    app.configure_sets(
        schedules.receive(),
        (ReceiveOrder::Server, ReceiveOrder::Client)
            .chain()
            .in_set(NetSystems::Receive),
    )
    .add_message::<NetError>();
}

fn check_time(app: &App, plugin: &str) {
    // Without TimePlugin nothing advances and connections never progress: say so early.
    assert!(
        app.world().contains_resource::<Time>(),
        "{plugin} needs Bevy's Time: add bevy_time::TimePlugin (part of MinimalPlugins/DefaultPlugins)"
    );
}

// ------------------------------------------------------------------------------ errors

/// Which side a [`NetError`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetSide {
    Server,
    /// The client entity.
    Client(Entity),
}

/// A call into the library failed, or a request could not be carried out (a send with no
/// server running, a send to an entity without a connected client, ...). Also logged with
/// `log::warn!`.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct NetError {
    pub side: NetSide,
    pub error: Error,
}

fn report(errors: &mut MessageWriter<NetError>, side: NetSide, error: Error) {
    log::warn!("lightyear_conn {side:?}: {error}");
    errors.write(NetError { side, error });
}

fn plugin_error(code: ErrorCode, message: &str) -> Error {
    Error {
        code,
        message: message.to_string(),
    }
}

// ------------------------------------------------------------------------------ payload buffer

/// Received payloads land in one growing buffer that is split into [`Bytes`]: the library
/// copies each payload once (into this buffer) and nothing is allocated per payload. A
/// block is reused when every `Bytes` cut from it is gone (Bevy keeps messages for two
/// frames), otherwise `BytesMut` starts a new one.
struct PayloadBuffer(BytesMut);

impl PayloadBuffer {
    const BLOCK: usize = 64 * 1024;

    fn new() -> Self {
        PayloadBuffer(BytesMut::with_capacity(Self::BLOCK))
    }

    /// Room for the largest payload, at the front of the free part.
    fn slot(&mut self) -> &mut [u8] {
        if self.0.len() < MAX_PAYLOAD_SIZE {
            // Only the bytes cut off since the last call are zeroed again.
            self.0.resize(MAX_PAYLOAD_SIZE, 0);
        }
        &mut self.0[..MAX_PAYLOAD_SIZE]
    }

    /// The first `n` bytes of the slot, as a `Bytes` sharing the buffer.
    fn take(&mut self, n: usize) -> Bytes {
        self.0.split_to(n).freeze()
    }
}

impl fmt::Debug for PayloadBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayloadBuffer")
            .field("capacity", &self.0.capacity())
            .finish()
    }
}

// ------------------------------------------------------------------------------ conditioner

/// Simulated latency, jitter and loss for the datagrams a server or a netcode client sends
/// and/or receives (see [`ConditionerConfig`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Conditioner {
    pub send: Option<ConditionerConfig>,
    pub recv: Option<ConditionerConfig>,
}

impl Conditioner {
    /// The same conditions both ways.
    pub fn both(config: ConditionerConfig) -> Self {
        Conditioner {
            send: Some(config),
            recv: Some(config),
        }
    }
}

// ------------------------------------------------------------------------------ server

/// Adds the server: the [`NetServer`] resource, its messages and systems.
///
/// ```no_run
/// # use bevy_app::App;
/// # use lightyear_conn::ServerConfig;
/// # use lightyear_conn_bevy::ServerPlugin;
/// # let key = lightyear_conn::generate_key().unwrap();
/// App::new().add_plugins(ServerPlugin::new(ServerConfig::new(0x1234, &key).bind("127.0.0.1:40000")));
/// ```
#[derive(Debug, Clone)]
pub struct ServerPlugin {
    pub config: ServerConfig,
    pub conditioner: Option<Conditioner>,
    /// Start in the first frame (default); if false, write [`StartServer`] to start.
    pub start: bool,
    pub schedules: NetSchedules,
    /// Register in the token service's fleet directory at each start
    /// ([`Server::register_with_fleet`]); stopping leaves it.
    pub fleet: Option<FleetConfig>,
}

impl ServerPlugin {
    /// A server with this config (its binds are the netcode backend; local clients need
    /// none), started in the first frame, in the frame schedules.
    pub fn new(config: ServerConfig) -> Self {
        ServerPlugin {
            config,
            conditioner: None,
            start: true,
            schedules: NetSchedules::Frame,
            fleet: None,
        }
    }

    /// Register the server in the token service's fleet directory each time it starts, so
    /// that [`TokenSource::Service`] clients get tokens for it. A failed registration is a
    /// [`NetError`] (the server keeps running); Redis trouble later shows in
    /// [`Server::fleet_status`].
    pub fn fleet(mut self, config: FleetConfig) -> Self {
        self.fleet = Some(config);
        self
    }

    pub fn conditioner(mut self, conditioner: Conditioner) -> Self {
        self.conditioner = Some(conditioner);
        self
    }

    /// Options of the browser listeners: the config's `ws://`, `wss://` and `wt://` binds
    /// ([`ServerConfig::web_options`]). Options the library refuses make the start fail with
    /// a [`NetError`]. The certificate hashes a page pins for `wt://` come from
    /// [`NetServer::server`] ([`Server::web_cert_hashes`]).
    ///
    /// ```no_run
    /// # use bevy_app::App;
    /// # use lightyear_conn::{ServerConfig, WebOptions};
    /// # use lightyear_conn_bevy::ServerPlugin;
    /// # let key = lightyear_conn::generate_key().unwrap();
    /// let config = ServerConfig::new(0x1234, &key).bind("udp://127.0.0.1:40000").bind("wt://127.0.0.1:4433");
    /// App::new().add_plugins(ServerPlugin::new(config).web_options(WebOptions::new().path("/netcode")));
    /// ```
    pub fn web_options(mut self, options: WebOptions) -> Self {
        self.config = self.config.web_options(options);
        self
    }

    /// Wait for a [`StartServer`] message.
    pub fn stopped(mut self) -> Self {
        self.start = false;
        self
    }

    pub fn schedules(mut self, schedules: NetSchedules) -> Self {
        self.schedules = schedules;
        self
    }
}

impl Plugin for ServerPlugin {
    fn build(&self, app: &mut App) {
        configure_sets(app, self.schedules);
        app.insert_resource(NetServer {
            config: self.config.clone(),
            fleet: self.fleet.clone(),
            conditioner: self.conditioner,
            server: None,
            start_requested: self.start,
            clients: HashMap::new(),
            payloads: PayloadBuffer::new(),
        })
        .add_message::<StartServer>()
        .add_message::<StopServer>()
        .add_message::<ServerStarted>()
        .add_message::<ServerStopped>()
        .add_message::<ServerConnected>()
        .add_message::<ServerDisconnected>()
        .add_message::<ServerPayload>()
        .add_message::<ServerWarning>()
        .add_message::<ServerSend>()
        .add_systems(self.schedules.receive(), server_receive.in_set(ReceiveOrder::Server))
        .add_systems(self.schedules.send(), server_send.in_set(NetSystems::Send));
    }

    fn finish(&self, app: &mut App) {
        check_time(app, "ServerPlugin");
    }
}

/// The server of a [`ServerPlugin`]: its config and, once started, the [`Server`].
#[derive(Resource, Debug)]
pub struct NetServer {
    config: ServerConfig,
    fleet: Option<FleetConfig>,
    conditioner: Option<Conditioner>,
    server: Option<Server>,
    start_requested: bool,
    clients: HashMap<ClientId, Entity>,
    payloads: PayloadBuffer,
}

impl NetServer {
    /// The running server, for calls the messages do not cover (`disconnect`, `stats`,
    /// `address`, ...).
    pub fn server(&self) -> Option<&Server> {
        self.server.as_ref()
    }

    pub fn is_running(&self) -> bool {
        self.server.is_some()
    }

    /// The [`RemoteClient`] entity of a connected client.
    pub fn client_entity(&self, id: ClientId) -> Option<Entity> {
        self.clients.get(&id).copied()
    }

    /// The config the next [`StartServer`] uses.
    pub fn config_mut(&mut self) -> &mut ServerConfig {
        &mut self.config
    }

    pub fn set_conditioner(&mut self, conditioner: Option<Conditioner>) {
        self.conditioner = conditioner;
    }

    fn start(&mut self) -> Result<Vec<String>, Error> {
        let mut server = Server::new(&self.config)?;
        if let Some(c) = &self.conditioner {
            server.set_conditioner(c.send.as_ref(), c.recv.as_ref())?;
        }
        server.start()?;
        let addresses = server.addresses()?;
        self.server = Some(server);
        Ok(addresses)
    }
}

/// A client connected to this app's server: spawned on connect, despawned on disconnect.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
pub struct RemoteClient {
    pub id: ClientId,
}

/// Starts the server (if it is not running) with [`NetServer`]'s config.
#[derive(Message, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartServer;

/// Stops the server: its clients are told, their [`ServerDisconnected`] messages written
/// and their entities despawned in the same frame.
#[derive(Message, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StopServer;

/// The server started, bound to these addresses (the ports picked for port 0).
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ServerStarted {
    pub addresses: Vec<String>,
}

/// The server stopped.
#[derive(Message, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerStopped;

/// A client connected; `entity` has its [`RemoteClient`].
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerConnected {
    pub client: ClientId,
    pub entity: Entity,
}

/// A client's connection ended; `entity` is being despawned.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerDisconnected {
    pub client: ClientId,
    pub entity: Entity,
    pub reason: DisconnectReason,
}

/// A payload from a client.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ServerPayload {
    pub client: ClientId,
    pub entity: Entity,
    pub data: Bytes,
}

/// A connection request refused for lack of room (see [`Warning`]); at most one a second
/// per kind.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerWarning {
    pub client: ClientId,
    pub warning: Warning,
}

/// Who a [`ServerSend`] goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendTarget {
    Client(ClientId),
    /// Every connected client.
    All,
}

/// Sent by the server in [`NetSystems::Send`].
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ServerSend {
    pub target: SendTarget,
    pub data: Bytes,
}

impl ServerSend {
    /// `data`: a `Bytes` (a received payload, sent on without a copy), a `Vec<u8>`, a
    /// `String` or a `&'static` slice.
    pub fn to(client: ClientId, data: impl Into<Bytes>) -> Self {
        ServerSend {
            target: SendTarget::Client(client),
            data: data.into(),
        }
    }

    pub fn broadcast(data: impl Into<Bytes>) -> Self {
        ServerSend {
            target: SendTarget::All,
            data: data.into(),
        }
    }
}

/// What a poll gave, without the borrow of the payload buffer.
enum Polled {
    Connected(ClientId),
    Disconnected(ClientId, DisconnectReason),
    Payload(ClientId, usize),
    Warning(ClientId, Warning),
}

fn server_receive(
    mut commands: Commands,
    time: Res<Time>,
    mut net: ResMut<NetServer>,
    mut start: MessageReader<StartServer>,
    mut stop: MessageReader<StopServer>,
    mut out: ServerMessages,
    mut errors: MessageWriter<NetError>,
) {
    let net = &mut *net;
    let stop_requested = stop.read().count() > 0;
    // A start of a running server, or with a stop in the same frame, does nothing.
    let start_requested = std::mem::take(&mut net.start_requested) | (start.read().count() > 0);
    if start_requested && !stop_requested && net.server.is_none() {
        match net.start() {
            Ok(addresses) => {
                out.started.write(ServerStarted { addresses });
                // Returns at once: the Redis work runs on a library thread.
                if let (Some(fleet), Some(server)) = (&net.fleet, &net.server)
                    && let Err(error) = server.register_with_fleet(fleet)
                {
                    report(&mut errors, NetSide::Server, error);
                }
            }
            Err(error) => report(&mut errors, NetSide::Server, error),
        }
    }
    let Some(server) = net.server.as_mut() else { return };
    if stop_requested {
        // Its clients' disconnects are queued as events, polled below.
        if let Err(error) = server.stop() {
            report(&mut errors, NetSide::Server, error);
        }
    } else if let Err(error) = server.update(time.delta_secs_f64()) {
        report(&mut errors, NetSide::Server, error);
    }
    loop {
        // The library writes a payload at the front of the slot; only its size is kept
        // here, so that the slot can be cut off below.
        let polled = match server.poll_into(net.payloads.slot()) {
            Ok(None) => break,
            Ok(Some(Event::Connected { client })) => Polled::Connected(client),
            Ok(Some(Event::Disconnected { client, reason })) => Polled::Disconnected(client, reason),
            Ok(Some(Event::Payload { client, data })) => Polled::Payload(client, data.len()),
            Ok(Some(Event::Warning { client, warning })) => Polled::Warning(client, warning),
            // An event a later lightyear-conn adds: no message for it yet.
            Ok(Some(_)) => continue,
            Err(error) => {
                report(&mut errors, NetSide::Server, error);
                break;
            }
        };
        match polled {
            Polled::Connected(client) => {
                let entity = commands.spawn(RemoteClient { id: client }).id();
                // Defensive: the library reports a disconnect before a reconnect of an id.
                if let Some(old) = net.clients.insert(client, entity) {
                    commands.entity(old).try_despawn();
                }
                out.connected.write(ServerConnected { client, entity });
            }
            Polled::Disconnected(client, reason) => {
                if let Some(entity) = net.clients.remove(&client) {
                    commands.entity(entity).try_despawn();
                    out.disconnected.write(ServerDisconnected { client, entity, reason });
                }
            }
            Polled::Payload(client, n) => {
                let data = net.payloads.take(n);
                match net.clients.get(&client) {
                    Some(&entity) => {
                        out.payloads.write(ServerPayload { client, entity, data });
                    }
                    None => report(
                        &mut errors,
                        NetSide::Server,
                        plugin_error(
                            ErrorCode::UnknownClient,
                            "a payload from a client never seen connecting",
                        ),
                    ),
                }
            }
            Polled::Warning(client, warning) => {
                out.warnings.write(ServerWarning { client, warning });
            }
        }
    }
    if stop_requested {
        net.server = None;
        for (_, entity) in net.clients.drain() {
            commands.entity(entity).try_despawn();
        }
        out.stopped.write(ServerStopped);
    }
}

/// The server's outgoing messages, grouped to keep `server_receive` readable.
#[derive(bevy_ecs::system::SystemParam)]
struct ServerMessages<'w> {
    started: MessageWriter<'w, ServerStarted>,
    stopped: MessageWriter<'w, ServerStopped>,
    connected: MessageWriter<'w, ServerConnected>,
    disconnected: MessageWriter<'w, ServerDisconnected>,
    payloads: MessageWriter<'w, ServerPayload>,
    warnings: MessageWriter<'w, ServerWarning>,
}

fn server_send(net: Res<NetServer>, mut outgoing: MessageReader<ServerSend>, mut errors: MessageWriter<NetError>) {
    let Some(server) = net.server.as_ref() else {
        let n = outgoing.read().count();
        if n > 0 {
            let message = format!("{n} ServerSend message(s) dropped: the server is not running");
            report(
                &mut errors,
                NetSide::Server,
                plugin_error(ErrorCode::NotRunning, &message),
            );
        }
        return;
    };
    let mut sent = false;
    for msg in outgoing.read() {
        let result = match msg.target {
            SendTarget::Client(client) => server.send(client, &msg.data),
            SendTarget::All => server.broadcast(&msg.data),
        };
        match result {
            Ok(()) => sent = true,
            Err(error) => report(&mut errors, NetSide::Server, error),
        }
    }
    // A server made with batch_sends holds this frame's sends until now.
    if sent && let Err(error) = server.flush() {
        report(&mut errors, NetSide::Server, error);
    }
}

// ------------------------------------------------------------------------------ client

/// Where a netcode client gets its connect token. Tokens are single use: each connect
/// (the first, and each [`ConnectClient`]) asks the source again.
#[derive(Clone)]
pub enum TokenSource {
    /// This token, for the first connect only (a reconnect fails with `InvalidToken`).
    Token(ConnectToken),
    /// Called at each connect: fetch a token from your backend here. It runs inside the
    /// frame: for a network fetch, prefer [`TokenSource::Service`].
    Fetch(Arc<dyn Fn() -> lightyear_conn::Result<ConnectToken> + Send + Sync>),
    /// Fetched from the token service (`lytokens`) at each connect, on a thread of the
    /// library: [`NetSystems::Receive`] polls the request each frame and never waits for
    /// the network ([`NetClient::is_fetching_token`] meanwhile). A failure (401, 429, 503,
    /// TLS, timeout, ...) becomes a [`ClientTokenFetchFailed`] message and a [`NetError`];
    /// send [`ConnectClient`] to try again.
    Service(TokenFetchOptions),
    /// The client makes its own tokens with the servers' private key
    /// ([`Client::manual`]): tests and trusted setups only.
    Manual {
        server_address: String,
        client_id: u64,
        protocol_id: u64,
        key: Key,
    },
}

impl TokenSource {
    pub fn fetch(f: impl Fn() -> lightyear_conn::Result<ConnectToken> + Send + Sync + 'static) -> Self {
        TokenSource::Fetch(Arc::new(f))
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Token(t) => f.debug_tuple("Token").field(t).finish(),
            TokenSource::Fetch(_) => f.write_str("Fetch(..)"),
            // TokenFetchOptions' Debug leaves the credential out.
            TokenSource::Service(o) => f.debug_tuple("Service").field(o).finish(),
            // The key stays out of logs.
            TokenSource::Manual {
                server_address,
                client_id,
                protocol_id,
                ..
            } => f
                .debug_struct("Manual")
                .field("server_address", server_address)
                .field("client_id", client_id)
                .field("protocol_id", protocol_id)
                .finish_non_exhaustive(),
        }
    }
}

/// How a [`NetClient`] connects.
#[derive(Debug, Clone)]
pub enum ClientBackend {
    /// netcode.io over UDP.
    Netcode { token: TokenSource, config: ClientConfig },
    /// A local client of this app's [`ServerPlugin`] server (host-server mode, through
    /// memory), seen there as `ClientId::Local(id)`. Waits for the server to start.
    Local { id: u64 },
}

/// A client of the [`ClientPlugin`]: spawn an entity with it to connect.
#[derive(Component, Debug)]
pub struct NetClient {
    backend: ClientBackend,
    conditioner: Option<Conditioner>,
    client: Option<Client>,
    connect_requested: bool,
    last_state: Option<ClientState>,
    id: Option<ClientId>,
    payloads: PayloadBuffer,
    /// The token fetch of a [`TokenSource::Service`] connect in progress.
    fetching: Option<TokenRequest>,
    /// A failed fetch, for the ClientTokenFetchFailed message.
    fetch_failed: Option<Error>,
}

impl NetClient {
    pub fn new(backend: ClientBackend) -> Self {
        NetClient {
            backend,
            conditioner: None,
            client: None,
            connect_requested: true,
            last_state: None,
            id: None,
            payloads: PayloadBuffer::new(),
            fetching: None,
            fetch_failed: None,
        }
    }

    pub fn netcode(token: TokenSource, config: ClientConfig) -> Self {
        NetClient::new(ClientBackend::Netcode { token, config })
    }

    pub fn local(id: u64) -> Self {
        NetClient::new(ClientBackend::Local { id })
    }

    /// Netcode clients only (local clients have no datagrams to condition).
    pub fn with_conditioner(mut self, conditioner: Conditioner) -> Self {
        self.conditioner = Some(conditioner);
        self
    }

    pub fn backend(&self) -> &ClientBackend {
        &self.backend
    }

    /// The library's client, once connecting, for calls the messages do not cover.
    pub fn client(&self) -> Option<&Client> {
        self.client.as_ref()
    }

    /// The state seen in the last [`NetSystems::Receive`].
    pub fn state(&self) -> Option<ClientState> {
        self.last_state
    }

    /// The id the server knows this client by, while connected.
    pub fn id(&self) -> Option<ClientId> {
        self.id
    }

    /// True while a [`TokenSource::Service`] fetch for the next connect is in progress.
    pub fn is_fetching_token(&self) -> bool {
        self.fetching.is_some()
    }

    /// `Ok(None)`: not ready yet (the token is still being fetched, or the server has not
    /// started); the caller tries again next frame.
    fn make_client(&mut self, server: Option<&NetServer>) -> Result<Option<Client>, Error> {
        let client = match &self.backend {
            ClientBackend::Netcode { token, config } => {
                let mut client = match token {
                    TokenSource::Token(t) => Client::new(t, config)?,
                    TokenSource::Fetch(f) => Client::new(&f()?, config)?,
                    TokenSource::Service(options) => {
                        let request = match &self.fetching {
                            Some(r) => r,
                            None => match TokenRequest::start(options) {
                                Ok(r) => self.fetching.insert(r),
                                Err(error) => {
                                    self.fetch_failed = Some(error.clone());
                                    return Err(error);
                                }
                            },
                        };
                        // Never waits on the network.
                        let polled = request.poll();
                        match polled {
                            Ok(None) => return Ok(None),
                            Ok(Some(token)) => {
                                self.fetching = None;
                                Client::new(&token, config)?
                            }
                            Err(error) => {
                                self.fetching = None;
                                self.fetch_failed = Some(error.clone());
                                return Err(error);
                            }
                        }
                    }
                    TokenSource::Manual {
                        server_address,
                        client_id,
                        protocol_id,
                        key,
                    } => Client::manual(server_address, *client_id, *protocol_id, key, config)?,
                };
                if let Some(c) = &self.conditioner {
                    client.set_conditioner(c.send.as_ref(), c.recv.as_ref())?;
                }
                client.connect()?;
                client
            }
            ClientBackend::Local { id } => {
                let Some(net) = server else {
                    return Err(plugin_error(
                        ErrorCode::InvalidArgument,
                        "a local NetClient needs the ServerPlugin in the same app",
                    ));
                };
                if self.conditioner.is_some() {
                    return Err(plugin_error(
                        ErrorCode::InvalidArgument,
                        "a local NetClient takes no conditioner",
                    ));
                }
                match net.server() {
                    Some(server) => server.connect_local(*id)?,
                    None => return Ok(None), // not started yet: try again next frame
                }
            }
        };
        Ok(Some(client))
    }
}

/// Marks a [`NetClient`] entity while it is connected.
#[derive(Component, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Connected;

/// Connects the client of `entity` again (a new client, a new token from its source).
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectClient {
    pub entity: Entity,
}

/// Disconnects the client of `entity` (it stays, without a connection). Despawning the
/// entity also disconnects.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisconnectClient {
    pub entity: Entity,
}

/// The client of `entity` connected as `id`.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientConnected {
    pub entity: Entity,
    pub id: ClientId,
}

/// The connection of `entity`, or its attempt, ended.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientDisconnected {
    pub entity: Entity,
    /// The state it ended in (`Disconnected`, `ConnectionTimedOut`, `ConnectionDenied`, ...).
    pub state: ClientState,
    pub reason: DisconnectReason,
}

/// The token fetch of the client of `entity` ([`TokenSource::Service`]) failed; `error.code`
/// says why: `Unauthorized` (401/403: get a new credential), `RateLimited` (429: see
/// [`Error::retry_after`]), `NoServer` (503: no server has room), `Tls`, `Timeout`, `Http`,
/// `Socket` (unreachable). The client stays without a connection until [`ConnectClient`].
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ClientTokenFetchFailed {
    pub entity: Entity,
    pub error: Error,
}

/// A payload for the client of `entity`.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ClientPayload {
    pub entity: Entity,
    pub data: Bytes,
}

/// Sent by the client of `entity` in [`NetSystems::Send`].
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct ClientSend {
    pub entity: Entity,
    pub data: Bytes,
}

impl ClientSend {
    pub fn new(entity: Entity, data: impl Into<Bytes>) -> Self {
        ClientSend {
            entity,
            data: data.into(),
        }
    }
}

/// Adds the client systems and messages; optionally spawns one [`NetClient`] at startup.
#[derive(Debug, Default)]
pub struct ClientPlugin {
    /// Spawned (and so connected) in `Startup`.
    pub client: Option<ClientBackend>,
    pub conditioner: Option<Conditioner>,
    pub schedules: NetSchedules,
}

impl ClientPlugin {
    /// No client yet: spawn [`NetClient`] entities yourself.
    pub fn new() -> Self {
        ClientPlugin::default()
    }

    /// Spawns a client with this backend at startup.
    pub fn with_client(backend: ClientBackend) -> Self {
        ClientPlugin {
            client: Some(backend),
            ..ClientPlugin::default()
        }
    }

    pub fn conditioner(mut self, conditioner: Conditioner) -> Self {
        self.conditioner = Some(conditioner);
        self
    }

    pub fn schedules(mut self, schedules: NetSchedules) -> Self {
        self.schedules = schedules;
        self
    }
}

impl Plugin for ClientPlugin {
    fn build(&self, app: &mut App) {
        configure_sets(app, self.schedules);
        app.add_message::<ConnectClient>()
            .add_message::<DisconnectClient>()
            .add_message::<ClientConnected>()
            .add_message::<ClientDisconnected>()
            .add_message::<ClientPayload>()
            .add_message::<ClientSend>()
            .add_message::<ClientTokenFetchFailed>()
            .add_systems(self.schedules.receive(), client_receive.in_set(ReceiveOrder::Client))
            .add_systems(self.schedules.send(), client_send.in_set(NetSystems::Send));
        if let Some(backend) = &self.client {
            let mut client = NetClient::new(backend.clone());
            client.conditioner = self.conditioner;
            // A plugin is built once, so the component can move out of this Option.
            let mut once = Some(client);
            app.add_systems(bevy_app::Startup, move |mut commands: Commands| {
                if let Some(client) = once.take() {
                    commands.spawn(client);
                }
            });
        }
    }

    fn finish(&self, app: &mut App) {
        check_time(app, "ClientPlugin");
    }
}

/// The client's outgoing messages, grouped to keep `client_receive` readable.
#[derive(bevy_ecs::system::SystemParam)]
struct ClientMessages<'w> {
    connected: MessageWriter<'w, ClientConnected>,
    disconnected: MessageWriter<'w, ClientDisconnected>,
    payloads: MessageWriter<'w, ClientPayload>,
    token_failed: MessageWriter<'w, ClientTokenFetchFailed>,
    errors: MessageWriter<'w, NetError>,
}

fn client_receive(
    mut commands: Commands,
    time: Res<Time>,
    server: Option<Res<NetServer>>,
    mut clients: Query<(Entity, &mut NetClient)>,
    mut connect: MessageReader<ConnectClient>,
    mut disconnect: MessageReader<DisconnectClient>,
    mut out: ClientMessages,
) {
    for msg in connect.read() {
        match clients.get_mut(msg.entity) {
            Ok((_, mut net)) => net.connect_requested = true,
            Err(_) => no_client(&mut out.errors, msg.entity, "ConnectClient"),
        }
    }
    for msg in disconnect.read() {
        match clients.get_mut(msg.entity) {
            Ok((_, mut net)) => {
                net.connect_requested = false;
                net.fetching = None; // cancels a fetch in progress
                if let Some(client) = net.client.as_mut()
                    && let Err(error) = client.disconnect()
                {
                    report(&mut out.errors, NetSide::Client(msg.entity), error);
                }
            }
            Err(_) => no_client(&mut out.errors, msg.entity, "DisconnectClient"),
        }
    }
    let dt = time.delta_secs_f64();
    for (entity, mut net) in &mut clients {
        let net = &mut *net;
        let side = NetSide::Client(entity);
        if net.connect_requested {
            match net.make_client(server.as_deref()) {
                Ok(Some(client)) => {
                    // Dropping the old client disconnects it; that ending is not reported
                    // again, the new connection replaces it.
                    net.client = Some(client);
                    net.connect_requested = false;
                    net.last_state = None;
                    if net.id.take().is_some() {
                        commands.entity(entity).remove::<Connected>();
                    }
                }
                Ok(None) => {}
                Err(error) => {
                    net.connect_requested = false;
                    if let Some(error) = net.fetch_failed.take() {
                        out.token_failed.write(ClientTokenFetchFailed { entity, error });
                    }
                    report(&mut out.errors, side, error);
                }
            }
        }
        let Some(client) = net.client.as_mut() else { continue };
        if let Err(error) = client.update(dt) {
            report(&mut out.errors, side, error);
            continue;
        }
        match client.state() {
            Ok(state) if Some(state) != net.last_state => {
                let was_active = net.last_state.is_some_and(|s| s.is_connected() || s.is_connecting());
                if state.is_connected() {
                    match client.id() {
                        Ok(id) => {
                            net.id = Some(id);
                            commands.entity(entity).insert(Connected);
                            out.connected.write(ClientConnected { entity, id });
                        }
                        Err(error) => report(&mut out.errors, side, error),
                    }
                } else if was_active && !state.is_connecting() {
                    let reason = client.disconnect_reason().unwrap_or(DisconnectReason::None);
                    if net.id.take().is_some() {
                        commands.entity(entity).remove::<Connected>();
                    }
                    out.disconnected.write(ClientDisconnected { entity, state, reason });
                }
                net.last_state = Some(state);
            }
            Ok(_) => {}
            Err(error) => report(&mut out.errors, side, error),
        }
        loop {
            match client.receive_into(net.payloads.slot()) {
                Ok(Some(n)) => {
                    let data = net.payloads.take(n);
                    out.payloads.write(ClientPayload { entity, data });
                }
                Ok(None) => break,
                Err(error) => {
                    report(&mut out.errors, side, error);
                    break;
                }
            }
        }
    }
}

fn no_client(errors: &mut MessageWriter<NetError>, entity: Entity, what: &str) {
    let message = format!("{what}: {entity} has no NetClient");
    report(
        errors,
        NetSide::Client(entity),
        plugin_error(ErrorCode::InvalidHandle, &message),
    );
}

fn client_send(
    clients: Query<&NetClient>,
    mut outgoing: MessageReader<ClientSend>,
    mut errors: MessageWriter<NetError>,
) {
    for msg in outgoing.read() {
        match clients.get(msg.entity).map(|net| net.client.as_ref()) {
            Ok(Some(client)) => {
                if let Err(error) = client.send(&msg.data) {
                    report(&mut errors, NetSide::Client(msg.entity), error);
                }
            }
            Ok(None) => report(
                &mut errors,
                NetSide::Client(msg.entity),
                plugin_error(
                    ErrorCode::NotConnected,
                    "ClientSend: the client is not connecting or connected",
                ),
            ),
            Err(_) => no_client(&mut errors, msg.entity, "ClientSend"),
        }
    }
}
