//! Browser transports: the options and counters of a server's `ws://`, `wss://` and `wt://`
//! listeners (bind addresses with those schemes, see [`ServerConfig::bind`]).

use std::ffi::{CString, c_char};
use std::time::Duration;

use lightyear_conn_sys as sys;

use crate::error::{Error, ErrorCode, Result, check};
use crate::server::Server;
#[cfg(doc)]
use crate::server::ServerConfig;

/// A certificate hash is a SHA-256: 32 bytes, as a page's `serverCertificateHashes` takes it.
pub const WEB_CERT_HASH_SIZE: usize = sys::LY_WEB_CERT_HASH_SIZE;

/// Options of every browser listener of a server, for [`ServerConfig::web_options`] or
/// [`Server::set_web_options`]. Whatever is not set keeps the library's default.
///
/// ```no_run
/// # fn main() -> lightyear_conn::Result<()> {
/// use std::time::Duration;
/// use lightyear_conn::{Server, ServerConfig, WebOptions};
/// let key = lightyear_conn::generate_key()?;
/// let web = WebOptions::new()
///     .allowed_origins("https://game.example.com")
///     .path("/netcode")
///     .idle_timeout(Duration::from_secs(5));
/// let config = ServerConfig::new(0x1234, &key)
///     .bind("udp://0.0.0.0:40000?public=203.0.113.5:40000")
///     .bind("wt://0.0.0.0:4433?public=203.0.113.5:4433")
///     .web_options(web);
/// let mut server = Server::new(&config)?;
/// server.start()?;
/// let hashes = server.web_cert_hashes()?; // hand these to the page with its token
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebOptions {
    cert_validity: Option<Duration>,
    cert_file: Option<String>,
    key_file: Option<String>,
    allowed_origins: Option<String>,
    path: Option<String>,
    max_sessions: u32,
    max_sessions_per_ip: u32,
    recv_queue: u32,
    session_recv_queue: u32,
    send_queue: u32,
    handshake_timeout: Option<Duration>,
    idle_timeout: Option<Duration>,
    write_timeout: Option<Duration>,
}

impl WebOptions {
    /// The library's defaults for everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// `wt://` without a certificate file: how long each self-signed certificate is valid,
    /// 60 s to 14 days (the browsers' limit for `serverCertificateHashes`); default 13 days.
    /// The next one is made and its hash published before the current one's half-life.
    pub fn cert_validity(mut self, validity: Duration) -> Self {
        self.cert_validity = Some(validity);
        self
    }

    /// A CA-issued certificate chain and its key, PEM files: required by `wss://`, optional
    /// for `wt://`, ignored by `ws://`. Read when the options are set and at every start.
    pub fn cert(mut self, cert_file: impl Into<String>, key_file: impl Into<String>) -> Self {
        self.cert_file = Some(cert_file.into());
        self.key_file = Some(key_file.into());
        self
    }

    /// Page origins allowed to connect, separated by commas or spaces
    /// (`"https://game.example.com"`); `"*"`: any. Default: pages served from loopback only.
    /// Requests without an `Origin` (programs) always pass.
    pub fn allowed_origins(mut self, origins: impl Into<String>) -> Self {
        self.allowed_origins = Some(origins.into());
        self
    }

    /// The path of the upgrade or CONNECT request, starting with `/`; default: any path.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sessions open at once per listener (more get HTTP 503); default 1024.
    pub fn max_sessions(mut self, n: u32) -> Self {
        self.max_sessions = n;
        self
    }

    /// Sessions per IP per listener (more get HTTP 429); default 16.
    pub fn max_sessions_per_ip(mut self, n: u32) -> Self {
        self.max_sessions_per_ip = n;
        self
    }

    /// Messages waiting for [`Server::update`], all sessions together; default 4096.
    pub fn recv_queue(mut self, n: u32) -> Self {
        self.recv_queue = n;
        self
    }

    /// One session's share of the receive queue; default 256.
    pub fn session_recv_queue(mut self, n: u32) -> Self {
        self.session_recv_queue = n;
        self
    }

    /// Messages waiting to be written, per session; default 64.
    pub fn send_queue(mut self, n: u32) -> Self {
        self.send_queue = n;
        self
    }

    /// The TLS/QUIC handshake and the upgrade; default 5 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = Some(timeout);
        self
    }

    /// A session silent this long is closed; default 10 s.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = Some(timeout);
        self
    }

    /// A session whose write blocks this long is closed; default 5 s.
    pub fn write_timeout(mut self, timeout: Duration) -> Self {
        self.write_timeout = Some(timeout);
        self
    }
}

/// A `Duration` as the header's whole units. A set duration never becomes 0 (which the
/// library reads as "the default"): anything below one unit goes in as 1, for the library
/// to refuse or take.
fn units(d: Option<Duration>, unit_ms: u128, what: &str) -> Result<u32> {
    let Some(d) = d else { return Ok(0) };
    let n = d.as_millis().div_ceil(unit_ms).max(1);
    u32::try_from(n).map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{what} {d:?} is too long")))
}

fn c_string(s: &Option<String>, what: &str) -> Result<Option<CString>> {
    s.as_deref()
        .map(|s| {
            CString::new(s).map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{what} contains a NUL byte")))
        })
        .transpose()
}

fn ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Sets `options` on a server handle (shared by [`Server::new`] and
/// [`Server::set_web_options`]).
pub(crate) fn apply(server: *mut sys::ly_server, options: &WebOptions) -> Result<()> {
    let cert = c_string(&options.cert_file, "the certificate file")?;
    let key = c_string(&options.key_file, "the key file")?;
    let origins = c_string(&options.allowed_origins, "the allowed origins")?;
    let path = c_string(&options.path, "the path")?;
    let mut raw = sys::ly_web_options::default();
    // SAFETY: raw is a valid ly_web_options of the size passed.
    unsafe { sys::ly_web_options_defaults_sized(&mut raw, size_of::<sys::ly_web_options>() as u32) };
    raw.cert_validity_seconds = units(options.cert_validity, 1000, "the certificate validity")?;
    raw.cert_file = ptr(&cert);
    raw.key_file = ptr(&key);
    raw.allowed_origins = ptr(&origins);
    raw.path = ptr(&path);
    raw.max_sessions = options.max_sessions;
    raw.max_sessions_per_ip = options.max_sessions_per_ip;
    raw.recv_queue = options.recv_queue;
    raw.session_recv_queue = options.session_recv_queue;
    raw.send_queue = options.send_queue;
    raw.handshake_timeout_ms = units(options.handshake_timeout, 1, "the handshake timeout")?;
    raw.idle_timeout_ms = units(options.idle_timeout, 1, "the idle timeout")?;
    raw.write_timeout_ms = units(options.write_timeout, 1, "the write timeout")?;
    // SAFETY: raw's strings live until the call returns (the library copies them).
    check(unsafe { sys::ly_server_set_web_options(server, &raw) }).map(drop)
}

/// Counters of a server's browser listeners, added up, since the last start (kept after a
/// stop; zero before the first start and after [`Server::set_web_options`]). Every refused or
/// closed session and every dropped message is counted with its reason. Non-exhaustive:
/// `ly_web_stats` may gain counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebStats {
    /// Open now.
    pub sessions_active: u64,
    /// Completed their handshake.
    pub sessions_accepted: u64,
    /// `max_sessions` reached.
    pub refused_full: u64,
    /// `max_sessions_per_ip` reached.
    pub refused_per_ip: u64,
    /// Origin not allowed (HTTP 403).
    pub refused_origin: u64,
    /// The upgrade failed (bad request, TLS, timeout).
    pub refused_handshake: u64,
    /// Silent for the idle timeout.
    pub closed_idle: u64,
    /// A write blocked for the write timeout.
    pub closed_slow: u64,
    /// Closed or broken by the browser.
    pub closed_peer: u64,
    /// Closed by the server (stop, disconnect).
    pub closed_server: u64,
    /// Messages passed to netcode.
    pub received: u64,
    /// Messages over 1225 bytes, the largest netcode packet.
    pub recv_oversized: u64,
    /// WebSocket text messages: not netcode.
    pub recv_text: u64,
    /// The receive queue, or the session's share, was full.
    pub recv_queue_full: u64,
    /// Messages written to a session.
    pub sent: u64,
    /// Sent to an address whose session is gone.
    pub send_no_session: u64,
    /// Over what the session carries.
    pub send_oversized: u64,
    /// The session's send queue was full.
    pub send_queue_full: u64,
    /// Lost with a failing or closing session.
    pub send_failed: u64,
}

impl WebStats {
    fn from_raw(r: &sys::ly_web_stats) -> Self {
        WebStats {
            sessions_active: r.sessions_active,
            sessions_accepted: r.sessions_accepted,
            refused_full: r.refused_full,
            refused_per_ip: r.refused_per_ip,
            refused_origin: r.refused_origin,
            refused_handshake: r.refused_handshake,
            closed_idle: r.closed_idle,
            closed_slow: r.closed_slow,
            closed_peer: r.closed_peer,
            closed_server: r.closed_server,
            received: r.received,
            recv_oversized: r.recv_oversized,
            recv_text: r.recv_text,
            recv_queue_full: r.recv_queue_full,
            sent: r.sent,
            send_no_session: r.send_no_session,
            send_oversized: r.send_oversized,
            send_queue_full: r.send_queue_full,
            send_failed: r.send_failed,
        }
    }
}

impl Server {
    /// Sets the options of the server's browser listeners (the options are copied). The
    /// server must be stopped. Setting them again makes new self-signed `wt://` certificates
    /// (new hashes). On a server without browser binds they are checked, kept, and do
    /// nothing. Nothing changes when it fails.
    ///
    /// # Errors
    /// [`ErrorCode::InvalidArgument`] (a certificate validity outside 60 s..14 days, only one
    /// of the certificate and key files, a certificate or key that cannot be read, a count
    /// over 1048576, a path not starting with `/`, a `wss://` bind without a certificate, a
    /// string with a NUL byte, a duration over `u32::MAX` units; the message says which),
    /// [`ErrorCode::AlreadyActive`] (the server is running).
    pub fn set_web_options(&mut self, options: &WebOptions) -> Result<()> {
        apply(self.as_raw(), options)
    }

    /// The SHA-256 hashes of the self-signed certificates of the server's `wt://` listeners
    /// (those without a certificate file), newest first, in bind order. A page passes all of
    /// them as `serverCertificateHashes`. They change over time and with
    /// [`rotate_web_cert`](Self::rotate_web_cert): hand them to pages fresh, with the token.
    /// Empty without such listeners; works stopped or running.
    pub fn web_cert_hashes(&self) -> Result<Vec<[u8; WEB_CERT_HASH_SIZE]>> {
        let mut hashes: Vec<[u8; WEB_CERT_HASH_SIZE]> = vec![[0; WEB_CERT_HASH_SIZE]; 4];
        loop {
            let mut count = 0u32;
            // SAFETY: hashes has hashes.len() writable 32-byte elements, contiguous.
            let rc = unsafe {
                sys::ly_server_web_cert_hashes(
                    self.as_raw(),
                    hashes.as_mut_ptr().cast(),
                    hashes.len() as u32,
                    &mut count,
                )
            };
            if rc == sys::LY_ERR_BUFFER_TOO_SMALL && count as usize > hashes.len() {
                // A rotation between the calls may add one more: room for it.
                hashes.resize(count as usize + 1, [0; WEB_CERT_HASH_SIZE]);
                continue;
            }
            hashes.truncate(check(rc)? as usize);
            return Ok(hashes);
        }
    }

    /// Makes a new self-signed certificate for every `wt://` listener without a certificate
    /// file and presents it at once (as when a key may have leaked). Open sessions keep
    /// theirs; the old hash stays published until it expires.
    ///
    /// # Errors
    /// [`ErrorCode::InvalidArgument`] (no such listener), [`ErrorCode::Internal`] (making
    /// the certificate failed).
    pub fn rotate_web_cert(&self) -> Result<()> {
        // SAFETY: handles are validated by the library.
        check(unsafe { sys::ly_server_web_rotate_cert(self.as_raw()) }).map(drop)
    }

    /// The counters of the server's browser listeners, added up.
    pub fn web_stats(&self) -> Result<WebStats> {
        let mut raw = sys::ly_web_stats {
            struct_size: size_of::<sys::ly_web_stats>() as u32,
            ..Default::default()
        };
        // SAFETY: raw is a valid ly_web_stats with struct_size set.
        check(unsafe { sys::ly_server_web_stats(self.as_raw(), &mut raw) })?;
        Ok(WebStats::from_raw(&raw))
    }
}
