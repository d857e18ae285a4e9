use std::ffi::{CString, c_char};
use std::fmt;
use std::time::Duration;

use lightyear_conn_sys as sys;

use crate::error::{Error, ErrorCode, Result, check};
use crate::{CONNECT_TOKEN_SIZE, KEY_SIZE};

/// A 32-byte private key, shared by a game's token backend and its servers.
pub type Key = [u8; KEY_SIZE];

/// Makes a private key from the operating system's CSPRNG.
pub fn generate_key() -> Result<Key> {
    let mut key = [0u8; KEY_SIZE];
    // SAFETY: key is LY_KEY_SIZE writable bytes.
    check(unsafe { sys::ly_key_generate(key.as_mut_ptr()) })?;
    Ok(key)
}

/// Joins addresses into the C API's list form ("a b c"); `None` for an empty list.
pub(crate) fn address_list(addrs: &[String]) -> Result<Option<CString>> {
    if addrs.is_empty() {
        return Ok(None);
    }
    let joined = addrs.join(" ");
    CString::new(joined)
        .map(Some)
        .map_err(|_| Error::new(ErrorCode::InvalidArgument, "an address contains a NUL byte"))
}

pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Reads a string the library writes into a caller buffer (an address). `f(buf, size)`
/// makes the call and returns its result code (the length on success).
pub(crate) fn read_string(mut f: impl FnMut(*mut c_char, u32) -> std::ffi::c_int) -> Result<String> {
    let mut buf = [0u8; sys::LY_ADDRESS_STRING_SIZE];
    let n = check(f(buf.as_mut_ptr().cast(), buf.len() as u32))? as usize;
    Ok(String::from_utf8_lossy(&buf[..n.min(buf.len())]).into_owned())
}

/// What goes into a connect token. Made by a game's backend (never by a client: it needs
/// the private key).
///
/// ```no_run
/// # fn main() -> lightyear_conn::Result<()> {
/// let key = lightyear_conn::generate_key()?;
/// let token = lightyear_conn::TokenParams::new(0x1234, 42, &key)
///     .public_address("127.0.0.1:40000")
///     .expire_seconds(30)
///     .timeout_seconds(5)
///     .user_data(b"level 3")
///     .generate()?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenParams {
    protocol_id: u64,
    client_id: u64,
    private_key: Key,
    public_addresses: Vec<String>,
    internal_addresses: Vec<String>,
    expire_seconds: i64,
    timeout_seconds: i32,
    user_data: Vec<u8>,
}

impl fmt::Debug for TokenParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenParams")
            .field("protocol_id", &self.protocol_id)
            .field("client_id", &self.client_id)
            .field("private_key", &"<redacted>")
            .field("public_addresses", &self.public_addresses)
            .field("internal_addresses", &self.internal_addresses)
            .field("expire_seconds", &self.expire_seconds)
            .field("timeout_seconds", &self.timeout_seconds)
            .field("user_data_len", &self.user_data.len())
            .finish()
    }
}

impl TokenParams {
    /// Parameters with the library's defaults: expires in 30 s, 5 s timeout, no user data.
    /// Add at least one public address.
    pub fn new(protocol_id: u64, client_id: u64, private_key: &Key) -> Self {
        let mut raw = sys::ly_token_params::default();
        // SAFETY: raw is a valid ly_token_params.
        unsafe { sys::ly_token_params_defaults(&mut raw) };
        TokenParams {
            protocol_id,
            client_id,
            private_key: *private_key,
            public_addresses: Vec::new(),
            internal_addresses: Vec::new(),
            expire_seconds: raw.expire_seconds,
            timeout_seconds: raw.timeout_seconds,
            user_data: Vec::new(),
        }
    }

    /// Adds an address clients connect to (`"1.2.3.4:40000"`, `"[::1]:40000"`); they are
    /// tried in order. 1 to 32 in all.
    pub fn public_address(mut self, addr: impl Into<String>) -> Self {
        self.public_addresses.push(addr.into());
        self
    }

    /// Adds several public addresses.
    pub fn public_addresses<I: IntoIterator<Item = S>, S: Into<String>>(mut self, addrs: I) -> Self {
        self.public_addresses.extend(addrs.into_iter().map(Into::into));
        self
    }

    /// Adds an address as the servers know themselves (written in the private part; by
    /// default the same as the public addresses).
    pub fn internal_address(mut self, addr: impl Into<String>) -> Self {
        self.internal_addresses.push(addr.into());
        self
    }

    /// Seconds until servers refuse the token (default 30).
    pub fn expire_seconds(mut self, seconds: i64) -> Self {
        self.expire_seconds = seconds;
        self
    }

    /// A token that never expires (for development).
    pub fn never_expires(self) -> Self {
        self.expire_seconds(-1)
    }

    /// Seconds without a packet before the connection times out (default 5). Zero or
    /// negative means never for this library; prefer -1, see the README's interop notes:
    /// other implementations' servers treat 0 differently.
    pub fn timeout_seconds(mut self, seconds: i32) -> Self {
        self.timeout_seconds = seconds;
        self
    }

    /// Up to 256 bytes the server sees for this client (the rest is zero).
    pub fn user_data(mut self, data: &[u8]) -> Self {
        self.user_data = data.to_vec();
        self
    }

    /// Makes and seals the token.
    pub fn generate(&self) -> Result<ConnectToken> {
        ConnectToken::generate(self)
    }
}

/// A sealed 2048-byte netcode.io connect token, for one client and one connection. Anyone
/// who reads it can connect as its client: hand it over a secure channel. `Debug` shows
/// only the public info.
#[derive(Clone)]
pub struct ConnectToken {
    bytes: Box<[u8; CONNECT_TOKEN_SIZE]>,
}

impl fmt::Debug for ConnectToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectToken")
            .field("info", &self.info().ok())
            .finish_non_exhaustive()
    }
}

impl ConnectToken {
    /// Makes and seals a token.
    pub fn generate(params: &TokenParams) -> Result<ConnectToken> {
        crate::ensure_compatible()?;
        // An empty list goes to the library as "": it decides (and explains) what is wrong.
        let public = address_list(&params.public_addresses)?.unwrap_or_default();
        let internal = address_list(&params.internal_addresses)?;
        let mut raw = sys::ly_token_params::default();
        // SAFETY: raw is a valid ly_token_params.
        unsafe { sys::ly_token_params_defaults(&mut raw) };
        raw.protocol_id = params.protocol_id;
        raw.client_id = params.client_id;
        raw.private_key = params.private_key.as_ptr();
        raw.public_addresses = public.as_ptr();
        raw.internal_addresses = opt_ptr(&internal);
        raw.expire_seconds = params.expire_seconds;
        raw.timeout_seconds = params.timeout_seconds;
        raw.user_data = if params.user_data.is_empty() {
            std::ptr::null()
        } else {
            params.user_data.as_ptr()
        };
        raw.user_data_size = params.user_data.len() as u32;
        let mut bytes = Box::new([0u8; CONNECT_TOKEN_SIZE]);
        // SAFETY: every pointer in raw points into params, public or internal, alive for
        // the call; out is CONNECT_TOKEN_SIZE writable bytes.
        check(unsafe { sys::ly_token_generate(&raw, bytes.as_mut_ptr(), CONNECT_TOKEN_SIZE as u32) })?;
        Ok(ConnectToken { bytes })
    }

    /// Takes token bytes (from your backend, or from another netcode.io implementation);
    /// checks that the public part parses.
    pub fn from_bytes(bytes: &[u8]) -> Result<ConnectToken> {
        let bytes: [u8; CONNECT_TOKEN_SIZE] = bytes.try_into().map_err(|_| {
            Error::new(
                ErrorCode::InvalidToken,
                format!("a connect token is {CONNECT_TOKEN_SIZE} bytes, not {}", bytes.len()),
            )
        })?;
        let token = ConnectToken { bytes: Box::new(bytes) };
        token.info()?;
        Ok(token)
    }

    /// The 2048 bytes.
    pub fn as_bytes(&self) -> &[u8; CONNECT_TOKEN_SIZE] {
        &self.bytes
    }

    /// The public part: protocol id, timestamps, timeout, number of addresses.
    pub fn info(&self) -> Result<TokenInfo> {
        read_info(&self.bytes[..])
    }

    /// The server addresses, in the order a client tries them.
    pub fn addresses(&self) -> Result<Vec<String>> {
        let info = self.info()?;
        (0..info.num_addresses)
            .map(|i| {
                read_string(|buf, size| {
                    // SAFETY: the token is CONNECT_TOKEN_SIZE readable bytes; buf is size
                    // writable bytes.
                    unsafe { sys::ly_token_address(self.bytes.as_ptr(), CONNECT_TOKEN_SIZE as u32, i, buf, size) }
                })
            })
            .collect()
    }
}

impl AsRef<[u8]> for ConnectToken {
    fn as_ref(&self) -> &[u8] {
        &self.bytes[..]
    }
}

fn read_info(bytes: &[u8]) -> Result<TokenInfo> {
    let mut raw = sys::ly_token_info {
        struct_size: std::mem::size_of::<sys::ly_token_info>() as u32,
        ..Default::default()
    };
    // SAFETY: bytes is bytes.len() readable bytes; raw is a valid ly_token_info.
    check(unsafe { sys::ly_token_read(bytes.as_ptr(), bytes.len() as u32, &mut raw) })?;
    Ok(TokenInfo {
        protocol_id: raw.protocol_id,
        create_timestamp: raw.create_timestamp,
        expire_timestamp: raw.expire_timestamp,
        timeout_seconds: raw.timeout_seconds,
        num_addresses: raw.num_addresses,
    })
}

/// The public part of a connect token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    pub protocol_id: u64,
    /// Unix seconds.
    pub create_timestamp: u64,
    /// Unix seconds, or `u64::MAX` ([`never_expires`](Self::never_expires)).
    pub expire_timestamp: u64,
    /// <= 0: no timeout.
    pub timeout_seconds: i32,
    /// 1..=32
    pub num_addresses: u32,
}

impl TokenInfo {
    pub fn never_expires(&self) -> bool {
        self.expire_timestamp == sys::LY_NEVER_EXPIRES
    }

    /// The connection timeout, or `None` if connections never time out.
    pub fn timeout(&self) -> Option<Duration> {
        (self.timeout_seconds > 0).then(|| Duration::from_secs(self.timeout_seconds as u64))
    }
}
