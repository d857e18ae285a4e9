//! Steam connections: Valve's ISteamNetworkingSockets, loaded by the library at run time.
//!
//! The library links nothing of Valve's: [`Steam::open`] loads `libsteam_api` (Steamworks:
//! IP and P2P over Valve's relays, SteamIDs; needs a running Steam client or a game-server
//! login) or the open-source `libGameNetworkingSockets` (IP only, no Steam client: dedicated
//! servers, LAN tests) with `dlopen`, and initialises Steam or attaches to the Steam your
//! game already initialised (steamworks-rs, Steamworks.NET). Then
//! [`Server::add_steam`] puts a Steam backend beside the netcode and local clients of a
//! server (its clients are [`ClientId::Steam`](crate::ClientId::Steam), polled with the
//! others) and [`Client::steam`] makes a [`Client`] that connects over Steam.
//!
//! ```no_run
//! use lightyear_conn::steam::{Steam, SteamClientConfig, SteamConfig, SteamServerConfig};
//! use lightyear_conn::{Client, Server, ServerConfig};
//!
//! # fn main() -> lightyear_conn::Result<()> {
//! // Keep the guard for as long as Steam is used: dropping it closes Steam.
//! let _steam = Steam::open(SteamConfig::new().app_id(480))?;
//!
//! let key = lightyear_conn::generate_key()?;
//! let mut server = Server::new(&ServerConfig::new(0x1234, &key).bind("0.0.0.0:40000"))?;
//! server.add_steam(SteamServerConfig::ip("0.0.0.0:27015"))?; // netcode and Steam at once
//! server.start()?;
//!
//! let mut client = Client::steam(SteamClientConfig::ip("127.0.0.1:27015"))?;
//! client.connect()?;
//! # Ok(()) }
//! ```
//!
//! With steamworks-rs, initialise Steam there and attach:
//! `Steam::open(SteamConfig::attach_client())` (or [`SteamConfig::attach_game_server`]).
//! The library then only fetches the networking interfaces and never initialises or shuts
//! Steam down. It does install Steam's process-wide connection-status callback (Steam has
//! one per process), replacing any your game set.

use std::ffi::CString;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use lightyear_conn_sys as sys;

use crate::MAX_PAYLOAD_SIZE;
use crate::client::Client;
use crate::error::{Error, ErrorCode, Result, check};
use crate::server::Server;
use crate::token::opt_ptr;

/// Which Steam networking library to load.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SteamFlavour {
    /// Steamworks if found, else GameNetworkingSockets. For a named
    /// [`library_path`](SteamConfig::library_path), the flavour is read from the symbols the
    /// file exports.
    #[default]
    Auto,
    /// Valve's `libsteam_api.so` / `steam_api64.dll` / `libsteam_api.dylib` (Steamworks SDK
    /// redistributables): IP and P2P connections, SteamIDs. Needs a running Steam client, or
    /// a game-server login.
    Steamworks,
    /// Valve's open-source `libGameNetworkingSockets`: IP connections only, no Steam client.
    GameNetworkingSockets,
}

impl SteamFlavour {
    fn raw(self) -> u32 {
        match self {
            Self::Auto => sys::LY_STEAM_AUTO,
            Self::Steamworks => sys::LY_STEAM_STEAMWORKS,
            Self::GameNetworkingSockets => sys::LY_STEAM_GNS,
        }
    }
}

/// Who initialises Steam.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SteamInit {
    /// The library initialises Steam as a game client (`SteamAPI_InitFlat`, with the
    /// [`app_id`](SteamConfig::app_id)), and shuts it down when the [`Steam`] guard drops.
    /// (GameNetworkingSockets: `GameNetworkingSockets_Init`.)
    #[default]
    Client,
    /// The library initialises a Steamworks game server (NoAuthentication, with the
    /// [`game_server_ip`](SteamConfig::game_server_ip), ports and version), and shuts it down
    /// when the guard drops. (GameNetworkingSockets has no game servers: same as `Client`.)
    GameServer,
    /// Your game already initialised Steam as a client (steamworks-rs' `Client::init`,
    /// Steamworks.NET): the library only fetches the networking interfaces, and never
    /// initialises or shuts Steam down.
    AttachClient,
    /// The same for a game server your game initialised (steamworks-rs' `Server::init`).
    AttachGameServer,
}

impl SteamInit {
    fn raw(self) -> u32 {
        match self {
            Self::Client => sys::LY_STEAM_INIT_CLIENT,
            Self::GameServer => sys::LY_STEAM_INIT_GAME_SERVER,
            Self::AttachClient => sys::LY_STEAM_ATTACH_CLIENT,
            Self::AttachGameServer => sys::LY_STEAM_ATTACH_GAME_SERVER,
        }
    }
}

/// How [`Steam::open`] loads and initialises Steam.
///
/// ```no_run
/// # fn main() -> lightyear_conn::Result<()> {
/// use lightyear_conn::steam::{Steam, SteamConfig, SteamFlavour, SteamInit};
/// // A dedicated server on Steamworks, initialised by the library:
/// let _steam = Steam::open(
///     SteamConfig::new()
///         .flavour(SteamFlavour::Steamworks)
///         .init(SteamInit::GameServer)
///         .game_server_ip(std::net::Ipv4Addr::UNSPECIFIED)
///         .game_port(27015)
///         .query_port(27016)
///         .game_server_version("1.0.0.0"),
/// )?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SteamConfig {
    flavour: SteamFlavour,
    init: SteamInit,
    app_id: u32,
    library_path: Option<PathBuf>,
    game_server_ip: Option<Ipv4Addr>,
    game_port: u16,
    query_port: u16,
    game_server_version: Option<String>,
    allow_ip_without_auth: bool,
    timeout_initial_ms: u32,
    timeout_connected_ms: u32,
    debug_output_level: u32,
    send_rate_min: u32,
    send_rate_max: u32,
    send_buffer_size: u32,
}

impl Default for SteamConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SteamConfig {
    /// The library's defaults: [`SteamFlavour::Auto`], [`SteamInit::Client`], app id 0 (the
    /// environment's `SteamAppId` or `steam_appid.txt`), the default library search, no
    /// game-server settings.
    pub fn new() -> Self {
        let mut raw = sys::ly_steam_config::default();
        // SAFETY: raw is a valid ly_steam_config.
        unsafe { sys::ly_steam_config_defaults_sized(&mut raw, std::mem::size_of::<sys::ly_steam_config>() as u32) };
        let flavour = match raw.flavour {
            sys::LY_STEAM_STEAMWORKS => SteamFlavour::Steamworks,
            sys::LY_STEAM_GNS => SteamFlavour::GameNetworkingSockets,
            _ => SteamFlavour::Auto,
        };
        let init = match raw.init {
            sys::LY_STEAM_INIT_GAME_SERVER => SteamInit::GameServer,
            sys::LY_STEAM_ATTACH_CLIENT => SteamInit::AttachClient,
            sys::LY_STEAM_ATTACH_GAME_SERVER => SteamInit::AttachGameServer,
            _ => SteamInit::Client,
        };
        SteamConfig {
            flavour,
            init,
            app_id: raw.app_id,
            library_path: None,
            game_server_ip: None,
            game_port: raw.game_port,
            query_port: raw.query_port,
            game_server_version: None,
            allow_ip_without_auth: raw.allow_ip_without_auth != 0,
            timeout_initial_ms: raw.timeout_initial_ms,
            timeout_connected_ms: raw.timeout_connected_ms,
            debug_output_level: raw.debug_output_level,
            send_rate_min: raw.send_rate_min,
            send_rate_max: raw.send_rate_max,
            send_buffer_size: raw.send_buffer_size,
        }
    }

    /// Attaches to the Steam client your game already initialised (for example with
    /// steamworks-rs' `Client::init`): `new().flavour(Steamworks).init(AttachClient)`.
    /// Initialise Steam there before calling [`Steam::open`], and shut it down there after
    /// dropping the guard.
    pub fn attach_client() -> Self {
        Self::new()
            .flavour(SteamFlavour::Steamworks)
            .init(SteamInit::AttachClient)
    }

    /// Attaches to the Steam game server your game already initialised (steamworks-rs'
    /// `Server::init`): `new().flavour(Steamworks).init(AttachGameServer)`.
    pub fn attach_game_server() -> Self {
        Self::new()
            .flavour(SteamFlavour::Steamworks)
            .init(SteamInit::AttachGameServer)
    }

    /// Which library to load (default [`SteamFlavour::Auto`]).
    pub fn flavour(mut self, flavour: SteamFlavour) -> Self {
        self.flavour = flavour;
        self
    }

    /// Who initialises Steam (default [`SteamInit::Client`]).
    pub fn init(mut self, init: SteamInit) -> Self {
        self.init = init;
        self
    }

    /// For [`SteamInit::Client`]: exported as `SteamAppId` (and `SteamGameId`) before the
    /// init, so no `steam_appid.txt` is needed (480, Spacewar, for tests). 0 (the default)
    /// leaves the environment alone.
    pub fn app_id(mut self, app_id: u32) -> Self {
        self.app_id = app_id;
        self
    }

    /// The library file to load; it is then the only file tried. Without it: the
    /// `LIGHTYEAR_STEAM_LIB` environment variable, then the flavour's file name through the
    /// system's search path, then the executable's directory. An error names every path
    /// tried.
    pub fn library_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.library_path = Some(path.into());
        self
    }

    /// For [`SteamInit::GameServer`]: the IPv4 address to bind (default: any).
    pub fn game_server_ip(mut self, ip: Ipv4Addr) -> Self {
        self.game_server_ip = Some(ip);
        self
    }

    /// For [`SteamInit::GameServer`]: the game port.
    pub fn game_port(mut self, port: u16) -> Self {
        self.game_port = port;
        self
    }

    /// For [`SteamInit::GameServer`]: the query port.
    pub fn query_port(mut self, port: u16) -> Self {
        self.query_port = port;
        self
    }

    /// For [`SteamInit::GameServer`]: the version string the Steam master server sees
    /// (default "1.0.0.0").
    pub fn game_server_version(mut self, version: impl Into<String>) -> Self {
        self.game_server_version = Some(version.into());
        self
    }

    // Connection options, for every Steam connection of the process. 0 (the default) keeps
    // Steam's own value; out-of-range values make [`Steam::open`] fail with
    // [`ErrorCode::InvalidArgument`].

    /// IP peers need no Steam certificate (Steamworks, which otherwise asks Valve for one;
    /// GameNetworkingSockets never asks). Default false.
    pub fn allow_ip_without_auth(mut self, allow: bool) -> Self {
        self.allow_ip_without_auth = allow;
        self
    }

    /// Connecting gives up after this many milliseconds (Steam: 10,000; at most 2^31-1).
    pub fn timeout_initial_ms(mut self, ms: u32) -> Self {
        self.timeout_initial_ms = ms;
        self
    }

    /// A connected peer silent this many milliseconds is dropped (Steam: 10,000; at most
    /// 2^31-1).
    pub fn timeout_connected_ms(mut self, ms: u32) -> Self {
        self.timeout_connected_ms = ms;
        self
    }

    /// 1..=8: Steam's messages up to that level go to stderr (4 warnings, 5 messages).
    pub fn debug_output_level(mut self, level: u32) -> Self {
        self.debug_output_level = level;
        self
    }

    /// The least send rate, in bytes per second (at most 2^31-1, and not over
    /// [`send_rate_max`](Self::send_rate_max) when both are set).
    pub fn send_rate_min(mut self, bytes_per_sec: u32) -> Self {
        self.send_rate_min = bytes_per_sec;
        self
    }

    /// The most send rate, in bytes per second (at most 2^31-1).
    pub fn send_rate_max(mut self, bytes_per_sec: u32) -> Self {
        self.send_rate_max = bytes_per_sec;
        self
    }

    /// Bytes queued per connection before a send fails with [`ErrorCode::SendBufferFull`]
    /// (Steam: 524,288, about 438 payloads of 1,200 bytes; at most 2^31-1).
    pub fn send_buffer_size(mut self, bytes: u32) -> Self {
        self.send_buffer_size = bytes;
        self
    }
}

fn c_string(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{what} contains a NUL byte")))
}

fn path_c_string(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        CString::new(path.as_os_str().as_bytes())
            .map_err(|_| Error::new(ErrorCode::InvalidArgument, "the library path contains a NUL byte"))
    }
    #[cfg(not(unix))]
    {
        let s = path.to_str().ok_or_else(|| {
            Error::new(
                ErrorCode::InvalidArgument,
                format!("the library path {} is not UTF-8", path.display()),
            )
        })?;
        c_string("the library path", s)
    }
}

/// The id of the [`Steam`] guard whose open is current (0: none). Guarded by the mutex so
/// that open, close and [`shutdown`](crate::shutdown) (which closes Steam too) are seen in
/// one order.
static OPEN: Mutex<u64> = Mutex::new(0);
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

fn lock_open() -> std::sync::MutexGuard<'static, u64> {
    // A panic while holding the lock leaves a plain integer: still meaningful.
    OPEN.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs `f` (which closes Steam, like `ly_shutdown`) and forgets the open guard, so that
/// the guard's drop does not close a later open.
pub(crate) fn closed_by(f: impl FnOnce()) {
    let mut open = lock_open();
    f();
    *open = 0;
}

/// The open Steam library of this process: a guard made by [`Steam::open`]. Dropping it
/// (or [`close`](Self::close)) closes Steam: every Steam server backend and Steam client is
/// closed, and Steam is shut down if [`Steam::open`] initialised it (never in the attach
/// modes).
///
/// After the close, a Steam [`Client`] is a dead handle (its calls return
/// [`ErrorCode::InvalidHandle`]; dropping it is fine), and every server loses its Steam
/// backend: it reports its Steam clients as disconnected
/// ([`ServerStopped`](crate::DisconnectReason::ServerStopped)) and goes on serving its netcode
/// and local clients.
///
/// **One per process.** Steam's connection-status callback is process-wide, so the library
/// holds one Steam library at a time: while a guard exists, another [`Steam::open`] returns
/// an [`Error`] with [`ErrorCode::AlreadyActive`]. After the guard is dropped, Steam can be
/// opened again. [`shutdown`](crate::shutdown) closes Steam as well; a guard from before it
/// then does nothing when dropped (it never closes a later open).
#[must_use = "dropping the guard closes Steam at once"]
pub struct Steam {
    id: u64,
}

impl fmt::Debug for Steam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Steam")
            .field("open", &(*lock_open() == self.id))
            .finish()
    }
}

impl Steam {
    /// Loads the Steam library and initialises Steam, or attaches to the Steam your game
    /// initialised ([`SteamConfig::attach_client`]).
    ///
    /// Errors: [`ErrorCode::AlreadyActive`] (Steam is already open in this process),
    /// [`ErrorCode::SteamUnavailable`] (no library found, or one without a needed function:
    /// the message names the paths tried or the symbol), [`ErrorCode::SteamInitFailed`]
    /// (with Steam's own message, for instance that no Steam client is running; or an init
    /// mode while Steam or GameNetworkingSockets is already initialised in the process, by
    /// steamworks-rs say, with a message naming the attach modes),
    /// [`ErrorCode::InvalidArgument`] (a NUL in a string, a connection option out of range:
    /// a timeout, rate or buffer size over 2^31-1, a debug level over 8, `send_rate_min` over
    /// `send_rate_max`).
    pub fn open(config: SteamConfig) -> Result<Steam> {
        crate::ensure_compatible()?;
        let path = config.library_path.as_deref().map(path_c_string).transpose()?;
        let ip = config
            .game_server_ip
            .map(|ip| c_string("the game server IP", &ip.to_string()))
            .transpose()?;
        let version = config
            .game_server_version
            .as_deref()
            .map(|v| c_string("the game server version", v))
            .transpose()?;
        let mut raw = sys::ly_steam_config::default();
        // SAFETY: raw is a valid ly_steam_config.
        unsafe { sys::ly_steam_config_defaults_sized(&mut raw, std::mem::size_of::<sys::ly_steam_config>() as u32) };
        raw.flavour = config.flavour.raw();
        raw.init = config.init.raw();
        raw.app_id = config.app_id;
        raw.library_path = opt_ptr(&path);
        raw.game_server_ip = opt_ptr(&ip);
        raw.game_port = config.game_port;
        raw.query_port = config.query_port;
        raw.game_server_version = opt_ptr(&version);
        raw.allow_ip_without_auth = config.allow_ip_without_auth as u32;
        raw.timeout_initial_ms = config.timeout_initial_ms;
        raw.timeout_connected_ms = config.timeout_connected_ms;
        raw.debug_output_level = config.debug_output_level;
        raw.send_rate_min = config.send_rate_min;
        raw.send_rate_max = config.send_rate_max;
        raw.send_buffer_size = config.send_buffer_size;

        let mut open = lock_open();
        // SAFETY: raw's strings live until the call returns (the library copies them). The
        // error message, if any, is read right after the call on this thread.
        check(unsafe { sys::ly_steam_open(&raw) })?;
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        *open = id;
        Ok(Steam { id })
    }

    /// Closes Steam now (what dropping the guard does), returning the library's error if
    /// closing failed.
    pub fn close(mut self) -> Result<()> {
        self.close_inner()
    }

    fn close_inner(&mut self) -> Result<()> {
        let mut open = lock_open();
        if self.id == 0 || *open != self.id {
            // Already closed, or closed by shutdown(): whatever is open now is not ours.
            self.id = 0;
            return Ok(());
        }
        self.id = 0;
        *open = 0;
        // SAFETY: ly_steam_close takes nothing and may be called from any thread.
        check(unsafe { sys::ly_steam_close() }).map(drop)
    }
}

impl Drop for Steam {
    fn drop(&mut self) {
        let _ = self.close_inner();
    }
}

#[derive(Clone, Debug)]
enum Endpoint {
    Ip(String),
    P2p { steam_id: u64, virtual_port: i32 },
}

impl Endpoint {
    /// (mode, address string, steam id, virtual port)
    fn to_raw(&self) -> Result<(u32, Option<CString>, u64, i32)> {
        Ok(match self {
            Endpoint::Ip(a) => (sys::LY_STEAM_MODE_IP, Some(c_string("the address", a)?), 0, 0),
            &Endpoint::P2p { steam_id, virtual_port } => (sys::LY_STEAM_MODE_P2P, None, steam_id, virtual_port),
        })
    }
}

fn check_max_payload(n: u32) -> Result<()> {
    if n as usize > MAX_PAYLOAD_SIZE {
        return Err(Error::new(
            ErrorCode::InvalidArgument,
            format!(
                "max payload {n}: these bindings carry payloads of at most {MAX_PAYLOAD_SIZE} bytes \
                 (their receive buffers and the library's held event are that size)"
            ),
        ));
    }
    Ok(())
}

/// A server's Steam backend ([`Server::add_steam`]): an IP address and port, or a P2P
/// virtual port (Steamworks only).
#[derive(Clone, Debug)]
pub struct SteamServerConfig {
    endpoint: Endpoint,
    max_clients: u32,
    max_payload: u32,
}

impl SteamServerConfig {
    fn with(endpoint: Endpoint) -> Self {
        let mut raw = sys::ly_steam_server_config::default();
        // SAFETY: raw is a valid ly_steam_server_config.
        unsafe { sys::ly_steam_server_config_defaults(&mut raw) };
        SteamServerConfig {
            endpoint,
            max_clients: raw.max_clients,
            max_payload: raw.max_payload,
        }
    }

    /// Listens on `"ip:port"` (the port is required; `"0.0.0.0:27015"` or `"[::]:27015"`
    /// listens on every interface). Both flavours.
    pub fn ip(address: impl Into<String>) -> Self {
        Self::with(Endpoint::Ip(address.into()))
    }

    /// Listens on a virtual port of this process's SteamID, over Valve's relay network
    /// (Steamworks only; clients connect with [`SteamClientConfig::p2p`]).
    pub fn p2p(virtual_port: i32) -> Self {
        Self::with(Endpoint::P2p {
            steam_id: 0,
            virtual_port,
        })
    }

    /// Steam clients connected (or connecting) at once; more are refused (0: the default,
    /// 256).
    pub fn max_clients(mut self, n: u32) -> Self {
        self.max_clients = n;
        self
    }

    /// The largest payload sent or received, 1 to [`MAX_PAYLOAD_SIZE`] (0: the default,
    /// 1200); larger received messages are dropped and counted. These bindings refuse more
    /// than 1200 with [`ErrorCode::InvalidArgument`].
    pub fn max_payload(mut self, n: u32) -> Self {
        self.max_payload = n;
        self
    }
}

/// A Steam client ([`Client::steam`]): the server's IP address and port, or the SteamID
/// hosting it and a virtual port (Steamworks only).
#[derive(Clone, Debug)]
pub struct SteamClientConfig {
    endpoint: Endpoint,
    max_payload: u32,
}

impl SteamClientConfig {
    fn with(endpoint: Endpoint) -> Self {
        let mut raw = sys::ly_steam_client_config::default();
        // SAFETY: raw is a valid ly_steam_client_config.
        unsafe { sys::ly_steam_client_config_defaults(&mut raw) };
        SteamClientConfig {
            endpoint,
            max_payload: raw.max_payload,
        }
    }

    /// Connects to the server's `"ip:port"`. Both flavours.
    pub fn ip(address: impl Into<String>) -> Self {
        Self::with(Endpoint::Ip(address.into()))
    }

    /// Connects to `virtual_port` of the Steam user or game server `server_steam_id`
    /// (SteamID64) over Valve's relay network (Steamworks only).
    pub fn p2p(server_steam_id: u64, virtual_port: i32) -> Self {
        Self::with(Endpoint::P2p {
            steam_id: server_steam_id,
            virtual_port,
        })
    }

    /// The largest payload sent or received, 1 to [`MAX_PAYLOAD_SIZE`] (0: the default,
    /// 1200). These bindings refuse more than 1200 with [`ErrorCode::InvalidArgument`].
    pub fn max_payload(mut self, n: u32) -> Self {
        self.max_payload = n;
        self
    }
}

impl Server {
    /// Adds a Steam backend to this server (started at once if the server runs, else by
    /// [`start`](Self::start)): Steam clients then come through the same
    /// [`poll`](Self::poll) as netcode and local clients, as
    /// [`ClientId::Steam`](crate::ClientId::Steam) (the peer's SteamID64), and
    /// [`send`](Self::send), [`disconnect`](Self::disconnect), stats, ... route to them by
    /// id. Messages are sent unreliable, no-nagle. Needs [`Steam::open`] first.
    ///
    /// Errors: [`ErrorCode::SteamUnavailable`] (Steam is not open),
    /// [`ErrorCode::InvalidArgument`] (a malformed address, P2P without Steamworks, a second
    /// Steam backend, a max payload over 1200), [`ErrorCode::Socket`] (the listen socket
    /// failed).
    pub fn add_steam(&mut self, config: SteamServerConfig) -> Result<()> {
        check_max_payload(config.max_payload)?;
        let (mode, address, _, virtual_port) = config.endpoint.to_raw()?;
        let mut raw = sys::ly_steam_server_config::default();
        // SAFETY: raw is a valid ly_steam_server_config.
        unsafe { sys::ly_steam_server_config_defaults(&mut raw) };
        raw.mode = mode;
        raw.address = opt_ptr(&address);
        raw.virtual_port = virtual_port;
        raw.max_clients = config.max_clients;
        raw.max_payload = config.max_payload;
        // SAFETY: the handle is validated by the library; raw's string lives until the call
        // returns (it is copied).
        check(unsafe { sys::ly_server_add_steam(self.as_raw(), &raw) }).map(drop)
    }
}

impl Client {
    /// An idle client that connects over Steam: call [`connect`](Self::connect) next, then
    /// use it like any client ([`update`](Self::update), [`send`](Self::send),
    /// [`receive`](Self::receive), ...). Steam keeps its own clock for handshakes and
    /// timeouts; `update`'s dt drives the statistics. [`set_token`](Self::set_token) and
    /// [`set_conditioner`](Self::set_conditioner) do not apply
    /// ([`ErrorCode::InvalidArgument`]). Needs [`Steam::open`] first; dropping the
    /// [`Steam`] guard closes the connection and makes the client a dead handle
    /// ([`ErrorCode::InvalidHandle`]).
    ///
    /// Errors: [`ErrorCode::SteamUnavailable`] (Steam is not open),
    /// [`ErrorCode::InvalidArgument`] (a malformed address, P2P without Steamworks, a max
    /// payload over 1200), [`ErrorCode::Internal`] (the handle table is full: 1,048,576 live
    /// handles).
    pub fn steam(config: SteamClientConfig) -> Result<Client> {
        crate::ensure_compatible()?;
        check_max_payload(config.max_payload)?;
        let (mode, address, steam_id, virtual_port) = config.endpoint.to_raw()?;
        let mut raw = sys::ly_steam_client_config::default();
        // SAFETY: raw is a valid ly_steam_client_config.
        unsafe { sys::ly_steam_client_config_defaults(&mut raw) };
        raw.mode = mode;
        raw.address = opt_ptr(&address);
        raw.server_steam_id = steam_id;
        raw.virtual_port = virtual_port;
        raw.max_payload = config.max_payload;
        let mut handle = std::ptr::null_mut();
        // SAFETY: raw's string lives until the call returns (it is copied); handle is a
        // valid out pointer.
        check(unsafe { sys::ly_client_create_steam(&raw, &mut handle) })?;
        Ok(Client::from_handle(handle))
    }
}

/// Steam's live view of one Steam connection (`SteamNetConnectionRealTimeStatus_t`), from
/// [`Server::connection_status`] and [`Client::connection_status`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ConnectionStatus {
    /// Steam's connection state: 1 connecting, 2 finding a route, 3 connected.
    pub state: i32,
    /// Round trip in milliseconds, as Steam measures it.
    pub ping_ms: i32,
    /// Share of packets delivered, 0..=1, as seen here; -1 while unknown.
    pub quality_local: f32,
    /// The same, as the peer sees it.
    pub quality_remote: f32,
    pub out_packets_per_sec: f32,
    pub out_bytes_per_sec: f32,
    pub in_packets_per_sec: f32,
    pub in_bytes_per_sec: f32,
    /// The rate Steam thinks the path can carry, bytes per second.
    pub send_rate_bytes_per_sec: i32,
    /// Bytes queued and not yet sent (payloads are sent unreliable).
    pub pending_unreliable: i32,
    pub pending_reliable: i32,
    pub sent_unacked_reliable: i32,
    /// How long a payload sent now waits before it goes out, in microseconds.
    pub queue_time_us: i64,
}

impl ConnectionStatus {
    /// True when Steam reports the connection as connected (state 3).
    pub fn is_connected(&self) -> bool {
        self.state == 3
    }

    fn raw_empty() -> sys::ly_connection_status {
        sys::ly_connection_status {
            struct_size: std::mem::size_of::<sys::ly_connection_status>() as u32,
            ..Default::default()
        }
    }

    fn from_raw(r: &sys::ly_connection_status) -> Self {
        ConnectionStatus {
            state: r.state,
            ping_ms: r.ping_ms,
            quality_local: r.quality_local,
            quality_remote: r.quality_remote,
            out_packets_per_sec: r.out_packets_per_sec,
            out_bytes_per_sec: r.out_bytes_per_sec,
            in_packets_per_sec: r.in_packets_per_sec,
            in_bytes_per_sec: r.in_bytes_per_sec,
            send_rate_bytes_per_sec: r.send_rate_bytes_per_sec,
            pending_unreliable: r.pending_unreliable,
            pending_reliable: r.pending_reliable,
            sent_unacked_reliable: r.sent_unacked_reliable,
            queue_time_us: r.queue_time_us,
        }
    }
}

impl Server {
    /// Steam's live view of a connected Steam client's connection.
    ///
    /// Errors: [`ErrorCode::InvalidArgument`] (a netcode or local client: only Steam
    /// connections have a status), [`ErrorCode::UnknownClient`] (no such connected Steam
    /// client, or no Steam backend), [`ErrorCode::NotConnected`] (Steam has no status for
    /// it yet), [`ErrorCode::InvalidHandle`].
    pub fn connection_status(&self, client: crate::ClientId) -> Result<ConnectionStatus> {
        let mut raw = ConnectionStatus::raw_empty();
        // SAFETY: the handle is validated by the library; raw is a valid out struct whose
        // struct_size is its size.
        check(unsafe { sys::ly_server_connection_status(self.as_raw(), client.to_raw(), &mut raw) })?;
        Ok(ConnectionStatus::from_raw(&raw))
    }
}

impl Client {
    /// Steam's live view of this Steam client's connection.
    ///
    /// Errors: [`ErrorCode::InvalidArgument`] (not a Steam client),
    /// [`ErrorCode::NotConnected`] (not connecting or connected),
    /// [`ErrorCode::InvalidHandle`] (also after the [`Steam`] guard was dropped).
    pub fn connection_status(&self) -> Result<ConnectionStatus> {
        let mut raw = ConnectionStatus::raw_empty();
        // SAFETY: the handle is validated by the library; raw is a valid out struct whose
        // struct_size is its size.
        check(unsafe { sys::ly_client_connection_status(self.as_raw(), &mut raw) })?;
        Ok(ConnectionStatus::from_raw(&raw))
    }
}
