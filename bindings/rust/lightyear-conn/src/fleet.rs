//! Listing a server in the token service's Redis fleet directory.

use std::ffi::{CString, c_char};
use std::time::Duration;

use lightyear_conn_sys as sys;

use crate::error::{Error, ErrorCode, Result, check};
use crate::server::Server;

/// A server's entry in the fleet directory the token service reads (`lytokens -redis`),
/// for [`Server::register_with_fleet`].
///
/// ```no_run
/// # fn main() -> lightyear_conn::Result<()> {
/// # let server: lightyear_conn::Server = unimplemented!();
/// use lightyear_conn::FleetConfig;
/// server.register_with_fleet(&FleetConfig::new("127.0.0.1:6379").tags("eu"))?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetConfig {
    redis_url: String,
    key_prefix: Option<String>,
    server_id: Option<String>,
    tags: Option<String>,
    public_addresses: Option<String>,
    ttl: Option<Duration>,
}

impl FleetConfig {
    /// `redis_url` is `"host:port"` or `"redis://[:password@]host:port[/db]"`
    /// (`"rediss://"` for TLS).
    pub fn new(redis_url: impl Into<String>) -> Self {
        FleetConfig {
            redis_url: redis_url.into(),
            key_prefix: None,
            server_id: None,
            tags: None,
            public_addresses: None,
            ttl: None,
        }
    }

    /// The key prefix shared with the token service (`lytokens -fleet-prefix`); default
    /// `"lyfleet:"`.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = Some(prefix.into());
        self
    }

    /// The server's unique id in the fleet; default 16 random hex digits.
    pub fn server_id(mut self, id: impl Into<String>) -> Self {
        self.server_id = Some(id.into());
        self
    }

    /// Tags separated by spaces or commas: a token request for tag T only gets servers
    /// tagged T.
    pub fn tags(mut self, tags: impl Into<String>) -> Self {
        self.tags = Some(tags.into());
        self
    }

    /// The addresses written into tokens, in order; default the server's public addresses
    /// (or the bound ones with their actual ports).
    pub fn public_addresses(mut self, addrs: impl Into<String>) -> Self {
        self.public_addresses = Some(addrs.into());
        self
    }

    /// How long the entry lives after its last heartbeat (a heartbeat goes every ttl / 3);
    /// default 10 s, at least 30 ms.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }
}

/// What a server's fleet registration is doing ([`Server::fleet_status`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FleetStatus {
    /// Not registered (never, or deregistered, or stopped).
    NotRegistered,
    /// The first Redis round has not finished.
    Pending,
    /// The last Redis round succeeded: listed, with a fresh TTL.
    Registered,
    /// The last Redis round failed with this error (the library keeps retrying every
    /// ttl / 3).
    Failing(Error),
}

impl Server {
    /// Lists this running server in the fleet directory: its public addresses, its
    /// `max_clients` as capacity, its tags and its connected netcode clients, kept alive by
    /// a heartbeat until [`deregister_from_fleet`](Self::deregister_from_fleet),
    /// [`stop`](Self::stop) or drop. Returns at once: the Redis work runs on a library
    /// thread (see [`fleet_status`](Self::fleet_status)), and [`update`](Self::update) only
    /// stores the connected count.
    ///
    /// # Errors
    /// [`ErrorCode::InvalidArgument`] (no or a malformed Redis URL, a malformed or
    /// unspecified public address, a ttl below 30 ms, a server without a netcode backend),
    /// [`ErrorCode::NotRunning`] (start the server first), [`ErrorCode::AlreadyActive`]
    /// (already registered).
    pub fn register_with_fleet(&self, config: &FleetConfig) -> Result<()> {
        fn c(s: &str, what: &str) -> Result<CString> {
            CString::new(s).map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{what} contains a NUL byte")))
        }
        fn opt(s: &Option<String>, what: &str) -> Result<Option<CString>> {
            s.as_deref().map(|s| c(s, what)).transpose()
        }
        fn ptr(s: &Option<CString>) -> *const c_char {
            s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
        }
        let redis = c(&config.redis_url, "the Redis URL")?;
        let prefix = opt(&config.key_prefix, "the key prefix")?;
        let id = opt(&config.server_id, "the server id")?;
        let tags = opt(&config.tags, "the tags")?;
        let public = opt(&config.public_addresses, "the public addresses")?;
        let mut raw = sys::ly_fleet_config::default();
        // SAFETY: raw is a valid ly_fleet_config.
        unsafe { sys::ly_fleet_config_defaults(&mut raw) };
        raw.redis_url = redis.as_ptr();
        raw.key_prefix = ptr(&prefix);
        raw.server_id = ptr(&id);
        raw.tags = ptr(&tags);
        raw.public_addresses = ptr(&public);
        if let Some(ttl) = config.ttl {
            // A zero would mean the default; below 30 ms the library explains the refusal.
            raw.ttl_ms = u32::try_from(ttl.as_millis().max(1)).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidArgument,
                    format!("ttl {ttl:?} is over {} ms", u32::MAX),
                )
            })?;
        }
        // SAFETY: raw's strings live until the call returns (the library copies them).
        check(unsafe { sys::ly_server_fleet_register(self.as_raw(), &raw) }).map(drop)
    }

    /// Removes the server from the fleet at once: stops the heartbeat and deletes its
    /// entry, waiting up to about 2 s for Redis (the entry expires with its TTL if Redis
    /// does not answer). `Ok` if it was not registered.
    pub fn deregister_from_fleet(&self) -> Result<()> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_server_fleet_deregister(self.as_raw()) }).map(drop)
    }

    /// What the fleet registration is doing.
    ///
    /// # Errors
    /// [`ErrorCode::InvalidHandle`] (after [`shutdown`](crate::shutdown)).
    pub fn fleet_status(&self) -> Result<FleetStatus> {
        // SAFETY: handles are validated by the library.
        let rc = unsafe { sys::ly_server_fleet_status(self.as_raw()) };
        match rc {
            sys::LY_FLEET_REGISTERED => Ok(FleetStatus::Registered),
            sys::LY_FLEET_PENDING => Ok(FleetStatus::Pending),
            sys::LY_ERR_NOT_RUNNING => Ok(FleetStatus::NotRegistered),
            sys::LY_ERR_SOCKET => Ok(FleetStatus::Failing(Error::last(rc))),
            _ => Err(Error::last(rc.min(-1))),
        }
    }
}
