use std::ffi::{CStr, c_int};
use std::fmt;

use lightyear_conn_sys as sys;

/// What went wrong: the library's `LY_ERR_*` codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// A destroyed handle, or one made before [`shutdown`](crate::shutdown).
    InvalidHandle,
    /// A bad argument: a malformed address, a negative time, out-of-range settings, ...
    InvalidArgument,
    /// An output buffer is too small; nothing was lost (the event or payload stays queued).
    BufferTooSmall,
    /// A payload of 0 bytes or more than [`MAX_PAYLOAD_SIZE`](crate::MAX_PAYLOAD_SIZE).
    PayloadSize,
    /// The client is not connected.
    NotConnected,
    /// No connected client has that id.
    UnknownClient,
    /// Connect-token bytes that do not parse, or parameters that cannot make a token.
    InvalidToken,
    /// A key of the wrong length or a failed key generation.
    InvalidKey,
    /// The server is not running.
    NotRunning,
    /// The server is already running, the client already connecting or connected, or Steam
    /// already open ([`Steam::open`](crate::Steam::open)).
    AlreadyActive,
    /// A socket could not be opened or failed.
    Socket,
    /// A failure inside the library (a bug; the handle stays usable), or, when making a
    /// server or client, the handle table is full (1,048,576 live handles).
    Internal,
    /// No Steam networking library could be loaded, or it lacks a needed function (the
    /// message names every path tried, or the symbol); also: Steam is not open (call
    /// [`Steam::open`](crate::Steam::open) first).
    SteamUnavailable,
    /// Steam could not be initialised (no Steam client running, no app id, ...) or, when
    /// attaching, nobody initialised it. The message carries Steam's own.
    SteamInitFailed,
    /// Steam's send buffer for the connection is full (Steam sends only): this payload was
    /// not sent, and nothing else was lost. Send less per tick, drop or resend it later, or
    /// raise [`send_buffer_size`](crate::SteamConfig::send_buffer_size) or
    /// [`send_rate_max`](crate::SteamConfig::send_rate_max).
    SendBufferFull,
    /// The token service refused the credential (HTTP 401 or 403).
    Unauthorized,
    /// The token service's rate limit (HTTP 429); the message carries Retry-After.
    RateLimited,
    /// No game server has room, or none matches the tag (HTTP 503).
    NoServer,
    /// TLS failed: the certificate does not match the pin or the CA file, or the handshake
    /// broke.
    Tls,
    /// No answer within the fetch's timeout.
    Timeout,
    /// Another HTTP status, a redirect, or an answer that is not a connect token.
    Http,
    /// A code this binding does not know (a newer library).
    Unknown(i32),
}

impl ErrorCode {
    /// The code for a negative `LY_ERR_*` value.
    pub fn from_raw(code: c_int) -> Self {
        match code {
            sys::LY_ERR_INVALID_HANDLE => Self::InvalidHandle,
            sys::LY_ERR_INVALID_ARGUMENT => Self::InvalidArgument,
            sys::LY_ERR_BUFFER_TOO_SMALL => Self::BufferTooSmall,
            sys::LY_ERR_PAYLOAD_SIZE => Self::PayloadSize,
            sys::LY_ERR_NOT_CONNECTED => Self::NotConnected,
            sys::LY_ERR_UNKNOWN_CLIENT => Self::UnknownClient,
            sys::LY_ERR_INVALID_TOKEN => Self::InvalidToken,
            sys::LY_ERR_INVALID_KEY => Self::InvalidKey,
            sys::LY_ERR_NOT_RUNNING => Self::NotRunning,
            sys::LY_ERR_ALREADY_ACTIVE => Self::AlreadyActive,
            sys::LY_ERR_SOCKET => Self::Socket,
            sys::LY_ERR_INTERNAL => Self::Internal,
            sys::LY_ERR_STEAM_UNAVAILABLE => Self::SteamUnavailable,
            sys::LY_ERR_STEAM_INIT_FAILED => Self::SteamInitFailed,
            sys::LY_ERR_SEND_BUFFER_FULL => Self::SendBufferFull,
            sys::LY_ERR_UNAUTHORIZED => Self::Unauthorized,
            sys::LY_ERR_RATE_LIMITED => Self::RateLimited,
            sys::LY_ERR_NO_SERVER => Self::NoServer,
            sys::LY_ERR_TLS => Self::Tls,
            sys::LY_ERR_TIMEOUT => Self::Timeout,
            sys::LY_ERR_HTTP => Self::Http,
            other => Self::Unknown(other),
        }
    }

    /// The `LY_ERR_*` value.
    pub fn raw(self) -> c_int {
        match self {
            Self::InvalidHandle => sys::LY_ERR_INVALID_HANDLE,
            Self::InvalidArgument => sys::LY_ERR_INVALID_ARGUMENT,
            Self::BufferTooSmall => sys::LY_ERR_BUFFER_TOO_SMALL,
            Self::PayloadSize => sys::LY_ERR_PAYLOAD_SIZE,
            Self::NotConnected => sys::LY_ERR_NOT_CONNECTED,
            Self::UnknownClient => sys::LY_ERR_UNKNOWN_CLIENT,
            Self::InvalidToken => sys::LY_ERR_INVALID_TOKEN,
            Self::InvalidKey => sys::LY_ERR_INVALID_KEY,
            Self::NotRunning => sys::LY_ERR_NOT_RUNNING,
            Self::AlreadyActive => sys::LY_ERR_ALREADY_ACTIVE,
            Self::Socket => sys::LY_ERR_SOCKET,
            Self::Internal => sys::LY_ERR_INTERNAL,
            Self::SteamUnavailable => sys::LY_ERR_STEAM_UNAVAILABLE,
            Self::SteamInitFailed => sys::LY_ERR_STEAM_INIT_FAILED,
            Self::SendBufferFull => sys::LY_ERR_SEND_BUFFER_FULL,
            Self::Unauthorized => sys::LY_ERR_UNAUTHORIZED,
            Self::RateLimited => sys::LY_ERR_RATE_LIMITED,
            Self::NoServer => sys::LY_ERR_NO_SERVER,
            Self::Tls => sys::LY_ERR_TLS,
            Self::Timeout => sys::LY_ERR_TIMEOUT,
            Self::Http => sys::LY_ERR_HTTP,
            Self::Unknown(c) => c,
        }
    }

    /// The library's static English description (`ly_error_string`).
    pub fn description(self) -> &'static str {
        // SAFETY: ly_error_string accepts any int and returns a static, NUL-terminated
        // string (never NULL).
        unsafe { static_str(sys::ly_error_string(self.raw())) }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A failed call: the code, and the message `ly_last_error()` gave right after the failing
/// call on the same thread (or a description of the check this binding made itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub code: ErrorCode,
    pub message: String,
}

/// `Result<T, lightyear_conn::Error>`.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error found by this binding before calling the library.
    pub(crate) fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }

    /// Builds the error for a negative return code. Must be called right after the
    /// failing call, on the same thread, before any other call into the library (which
    /// could overwrite the per-thread message).
    pub(crate) fn last(rc: c_int) -> Self {
        // SAFETY: ly_last_error returns a NUL-terminated string owned by the library,
        // valid until the next failing call on this thread; it is copied at once.
        let message = unsafe { CStr::from_ptr(sys::ly_last_error()) }
            .to_string_lossy()
            .into_owned();
        let code = ErrorCode::from_raw(rc);
        let message = if message.is_empty() {
            code.description().to_string()
        } else {
            message
        };
        Error { code, message }
    }
}

impl Error {
    /// The HTTP status a token service answered (401, 429, 503, ...), read from the
    /// message of a token-fetch error; `None` if there was none (TLS, timeout) or for other
    /// errors.
    pub fn http_status(&self) -> Option<u16> {
        let rest = &self.message[self.message.find("HTTP ")? + 5..];
        let digits = rest.get(..3)?;
        if rest[3..].starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    }

    /// For [`ErrorCode::RateLimited`]: how long the service asked to wait (its
    /// Retry-After), if it said.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        if self.code != ErrorCode::RateLimited {
            return None;
        }
        let rest = &self.message[self.message.find("(retry after ")? + 13..];
        let secs = rest
            .strip_suffix(" s)")
            .or_else(|| rest.split_once(" s)").map(|(n, _)| n))?;
        secs.parse().ok().map(std::time::Duration::from_secs)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.description())
    }
}

impl std::error::Error for Error {}

/// Turns a library return value into a `Result`, reading the message on failure.
#[inline]
pub(crate) fn check(rc: c_int) -> Result<c_int> {
    if rc >= 0 { Ok(rc) } else { Err(Error::last(rc)) }
}

/// # Safety
/// `p` must be a non-NULL, NUL-terminated string that lives for the rest of the program.
pub(crate) unsafe fn static_str(p: *const std::ffi::c_char) -> &'static str {
    // SAFETY: guaranteed by the caller; the library's static strings are ASCII.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("?")
}
