//! Fetching a connect token from the token service (`cmd/lytokens`): a blocking
//! [`fetch_token`] and a polled [`TokenRequest`] for game loops.

use std::ffi::{CString, c_char};
use std::fmt;
use std::time::Duration;

use lightyear_conn_sys as sys;

use crate::CONNECT_TOKEN_SIZE;
use crate::error::{Error, ErrorCode, Result, check};
use crate::token::ConnectToken;

/// What a client sends to the token service: its URL, the bearer credential, how to trust
/// its certificate (a pinned SHA-256 fingerprint, a CA file, or the system's roots), a tag
/// and a timeout. Only `https://` is accepted: whoever reads a token can connect with it.
///
/// ```no_run
/// # fn main() -> lightyear_conn::Result<()> {
/// use lightyear_conn::{TokenFetchOptions, fetch_token};
/// let opts = TokenFetchOptions::new("https://tokens.example.com", "<a JWT>")
///     .pin_sha256("5e:1f:...")
///     .tag("eu")
///     .timeout(std::time::Duration::from_secs(5));
/// let token = fetch_token(&opts)?;
/// # Ok(()) }
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct TokenFetchOptions {
    url: String,
    credential: String,
    pin_sha256: Option<String>,
    ca_file: Option<String>,
    tag: Option<String>,
    timeout: Option<Duration>,
}

impl fmt::Debug for TokenFetchOptions {
    // The credential is a secret: never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenFetchOptions")
            .field("url", &self.url)
            .field("credential", &"<redacted>")
            .field("pin_sha256", &self.pin_sha256)
            .field("ca_file", &self.ca_file)
            .field("tag", &self.tag)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl TokenFetchOptions {
    /// `url` is `"https://host:port"` or `"https://host:port/path"` (no path:
    /// `/v1/token`); `credential` is sent as `Authorization: Bearer <credential>`.
    pub fn new(url: impl Into<String>, credential: impl Into<String>) -> Self {
        TokenFetchOptions {
            url: url.into(),
            credential: credential.into(),
            pin_sha256: None,
            ca_file: None,
            tag: None,
            timeout: None,
        }
    }

    /// Trust only a certificate with this SHA-256 fingerprint (hex, colons allowed;
    /// `lytokens -dev` prints it). Not together with [`ca_file`](Self::ca_file).
    pub fn pin_sha256(mut self, pin: impl Into<String>) -> Self {
        self.pin_sha256 = Some(pin.into());
        self
    }

    /// Trust the CAs of this PEM file instead of the system's.
    pub fn ca_file(mut self, path: impl Into<String>) -> Self {
        self.ca_file = Some(path.into());
        self
    }

    /// Ask for a server with this tag (region, mode).
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// The whole fetch (connect, TLS, answer); the library's default is 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The service URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Calls `f` with the raw options; the strings live until `f` returns.
    fn with_raw<T>(&self, f: impl FnOnce(&sys::ly_token_fetch_options) -> T) -> Result<T> {
        fn c(s: &str, what: &str) -> Result<CString> {
            CString::new(s).map_err(|_| Error::new(ErrorCode::InvalidArgument, format!("{what} contains a NUL byte")))
        }
        fn opt(s: &Option<String>, what: &str) -> Result<Option<CString>> {
            s.as_deref().map(|s| c(s, what)).transpose()
        }
        fn ptr(s: &Option<CString>) -> *const c_char {
            s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
        }
        let url = c(&self.url, "the url")?;
        let credential = c(&self.credential, "the credential")?;
        let pin = opt(&self.pin_sha256, "the pin")?;
        let ca = opt(&self.ca_file, "the CA file path")?;
        let tag = opt(&self.tag, "the tag")?;
        let timeout_ms = match self.timeout {
            None => 0,
            // 0 would mean the default: a zero timeout becomes the shortest one.
            Some(d) => u32::try_from(d.as_millis().max(1)).map_err(|_| {
                Error::new(
                    ErrorCode::InvalidArgument,
                    format!("timeout {d:?} is over {} ms", u32::MAX),
                )
            })?,
        };
        let mut raw = sys::ly_token_fetch_options::default();
        // SAFETY: raw is a valid ly_token_fetch_options.
        unsafe { sys::ly_token_fetch_options_defaults(&mut raw) };
        raw.url = url.as_ptr();
        raw.credential = credential.as_ptr();
        raw.pin_sha256 = ptr(&pin);
        raw.ca_file = ptr(&ca);
        raw.tag = ptr(&tag);
        if timeout_ms > 0 {
            raw.timeout_ms = timeout_ms;
        }
        Ok(f(&raw))
    }
}

/// Fetches a connect token, blocking the calling thread until the answer or the timeout
/// (never from a game loop's frame: use [`TokenRequest`]).
///
/// # Errors
/// [`ErrorCode::Unauthorized`] (HTTP 401/403), [`ErrorCode::RateLimited`] (HTTP 429; see
/// [`Error::retry_after`]), [`ErrorCode::NoServer`] (HTTP 503: no server has room or the
/// tag), [`ErrorCode::Tls`] (pin or CA mismatch, broken handshake), [`ErrorCode::Timeout`],
/// [`ErrorCode::Http`] (another status, or not a token), [`ErrorCode::Socket`] (the service
/// cannot be reached), [`ErrorCode::InvalidArgument`] (no url or credential, not
/// `https://`, a malformed pin, pin and CA file both set, an unreadable CA file).
pub fn fetch_token(options: &TokenFetchOptions) -> Result<ConnectToken> {
    crate::ensure_compatible()?;
    let mut out = [0u8; CONNECT_TOKEN_SIZE];
    // SAFETY: the options' strings live for the call; out is CONNECT_TOKEN_SIZE bytes.
    let rc = options.with_raw(|raw| unsafe { sys::ly_token_fetch(raw, out.as_mut_ptr(), out.len() as u32) })?;
    check(rc)?;
    ConnectToken::from_bytes(&out)
}

/// A token fetch running on a thread of the library, polled from the game loop: [`poll`]
/// never waits on the network. Dropping it cancels a fetch still going on.
///
/// ```no_run
/// # fn main() -> lightyear_conn::Result<()> {
/// # let opts = lightyear_conn::TokenFetchOptions::new("https://127.0.0.1:8443", "jwt");
/// let request = lightyear_conn::TokenRequest::start(&opts)?;
/// loop {
///     // ... one frame ...
///     if let Some(token) = request.poll()? {
///         let client = lightyear_conn::Client::new(&token, &lightyear_conn::ClientConfig::new())?;
///         break;
///     }
/// }
/// # Ok(()) }
/// ```
///
/// [`poll`]: TokenRequest::poll
pub struct TokenRequest {
    raw: *mut sys::ly_token_request,
}

// SAFETY: the handle is an opaque integer the library validates on every call and
// serialises calls on; it is never dereferenced, so it may move between and be shared by
// threads (Bevy resources and components need Send + Sync).
unsafe impl Send for TokenRequest {}
// SAFETY: as above; `poll` takes `&self` and only touches the handle and its own buffer.
unsafe impl Sync for TokenRequest {}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest").field("handle", &self.raw).finish()
    }
}

impl Drop for TokenRequest {
    fn drop(&mut self) {
        // SAFETY: any handle value is accepted; after shutdown() this returns
        // LY_ERR_INVALID_HANDLE, which is fine to ignore.
        unsafe { sys::ly_token_request_free(self.raw) };
    }
}

impl TokenRequest {
    /// Starts a fetch and returns at once; the options are copied (the CA file is read now).
    ///
    /// # Errors
    /// [`ErrorCode::InvalidArgument`] as [`fetch_token`], [`ErrorCode::Internal`] (the
    /// handle table is full). The fetch's own failures come from [`poll`](Self::poll).
    pub fn start(options: &TokenFetchOptions) -> Result<TokenRequest> {
        crate::ensure_compatible()?;
        let mut raw = std::ptr::null_mut();
        // SAFETY: the options' strings live for the call; raw is a valid out pointer.
        let rc = options.with_raw(|o| unsafe { sys::ly_token_request_start(o, &mut raw) })?;
        check(rc)?;
        Ok(TokenRequest { raw })
    }

    /// `Ok(None)` while the fetch goes on, `Ok(Some(token))` once it is there (every later
    /// poll returns it again), or the fetch's error (the codes of [`fetch_token`]; every
    /// later poll returns it again). Never waits on the network.
    pub fn poll(&self) -> Result<Option<ConnectToken>> {
        let mut out = [0u8; CONNECT_TOKEN_SIZE];
        // SAFETY: the handle is validated by the library; out is CONNECT_TOKEN_SIZE bytes.
        let rc = check(unsafe { sys::ly_token_request_poll(self.raw, out.as_mut_ptr(), out.len() as u32) })?;
        if rc == sys::LY_TOKEN_PENDING {
            return Ok(None);
        }
        ConnectToken::from_bytes(&out).map(Some)
    }
}
