use std::ffi::c_int;
use std::fmt;

use lightyear_conn_sys as sys;

use crate::error::{Error, ErrorCode, Result, static_str};

/// A client as a server knows it: the backend's 64-bit id tagged with the backend, so
/// that netcode client 1 and local client 1 are different clients.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ClientId {
    /// A netcode.io client: the client id from its connect token.
    Netcode(u64),
    /// A Steam client ([`Server::add_steam`](crate::Server::add_steam)): the peer's
    /// SteamID64, or for IP peers of GameNetworkingSockets (which have none) an id derived
    /// from the address, with the top byte zero.
    Steam(u64),
    /// A local (host-server) client: the id given to [`Server::connect_local`](crate::Server::connect_local).
    Local(u64),
}

impl ClientId {
    /// The backend's 64-bit id.
    pub fn id(self) -> u64 {
        match self {
            ClientId::Netcode(id) | ClientId::Steam(id) | ClientId::Local(id) => id,
        }
    }

    pub(crate) fn to_raw(self) -> sys::ly_client_id {
        let (id, kind) = match self {
            ClientId::Netcode(id) => (id, sys::LY_KIND_NETCODE),
            ClientId::Steam(id) => (id, sys::LY_KIND_STEAM),
            ClientId::Local(id) => (id, sys::LY_KIND_LOCAL),
        };
        sys::ly_client_id { id, kind, reserved: 0 }
    }

    /// `None` for a kind this crate does not know (from a newer library): callers skip
    /// such a client, as the header asks of event types.
    pub(crate) fn from_raw(raw: sys::ly_client_id) -> Option<Self> {
        match raw.kind {
            sys::LY_KIND_NETCODE => Some(ClientId::Netcode(raw.id)),
            sys::LY_KIND_STEAM => Some(ClientId::Steam(raw.id)),
            sys::LY_KIND_LOCAL => Some(ClientId::Local(raw.id)),
            _ => None,
        }
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientId::Netcode(id) => write!(f, "netcode:{id}"),
            ClientId::Steam(id) => write!(f, "steam:{id}"),
            ClientId::Local(id) => write!(f, "local:{id}"),
        }
    }
}

/// netcode.io's client states. The negative ones (`is_error`) say how a connection or a
/// connection attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum ClientState {
    ConnectTokenExpired = sys::LY_STATE_CONNECT_TOKEN_EXPIRED,
    InvalidConnectToken = sys::LY_STATE_INVALID_CONNECT_TOKEN,
    ConnectionTimedOut = sys::LY_STATE_CONNECTION_TIMED_OUT,
    ConnectionResponseTimedOut = sys::LY_STATE_CONNECTION_RESPONSE_TIMED_OUT,
    ConnectionRequestTimedOut = sys::LY_STATE_CONNECTION_REQUEST_TIMED_OUT,
    ConnectionDenied = sys::LY_STATE_CONNECTION_DENIED,
    Disconnected = sys::LY_STATE_DISCONNECTED,
    SendingConnectionRequest = sys::LY_STATE_SENDING_CONNECTION_REQUEST,
    SendingConnectionResponse = sys::LY_STATE_SENDING_CONNECTION_RESPONSE,
    Connected = sys::LY_STATE_CONNECTED,
}

impl ClientState {
    pub(crate) fn from_raw(state: c_int) -> Result<Self> {
        Ok(match state {
            sys::LY_STATE_CONNECT_TOKEN_EXPIRED => Self::ConnectTokenExpired,
            sys::LY_STATE_INVALID_CONNECT_TOKEN => Self::InvalidConnectToken,
            sys::LY_STATE_CONNECTION_TIMED_OUT => Self::ConnectionTimedOut,
            sys::LY_STATE_CONNECTION_RESPONSE_TIMED_OUT => Self::ConnectionResponseTimedOut,
            sys::LY_STATE_CONNECTION_REQUEST_TIMED_OUT => Self::ConnectionRequestTimedOut,
            sys::LY_STATE_CONNECTION_DENIED => Self::ConnectionDenied,
            sys::LY_STATE_DISCONNECTED => Self::Disconnected,
            sys::LY_STATE_SENDING_CONNECTION_REQUEST => Self::SendingConnectionRequest,
            sys::LY_STATE_SENDING_CONNECTION_RESPONSE => Self::SendingConnectionResponse,
            sys::LY_STATE_CONNECTED => Self::Connected,
            s => return Err(Error::new(ErrorCode::Internal, format!("unknown client state {s}"))),
        })
    }

    /// The netcode.io numeric code.
    pub fn raw(self) -> i32 {
        self as i32
    }

    /// Connected: payloads can be sent.
    pub fn is_connected(self) -> bool {
        self == Self::Connected
    }

    /// Sending a connection request or response.
    pub fn is_connecting(self) -> bool {
        matches!(self, Self::SendingConnectionRequest | Self::SendingConnectionResponse)
    }

    /// A negative state: how the last connection or attempt failed.
    pub fn is_error(self) -> bool {
        self.raw() < 0
    }
}

impl fmt::Display for ClientState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: ly_state_string accepts any int and returns a static string.
        f.write_str(unsafe { static_str(sys::ly_state_string(self.raw())) })
    }
}

/// Why a connection ended, on either side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DisconnectReason {
    None,
    /// This side disconnected.
    Local,
    /// The peer sent a disconnect.
    Remote,
    /// Nothing was received within the timeout.
    TimedOut,
    /// The server stopped.
    ServerStopped,
    /// The server refused the connection.
    Denied,
    RequestTimedOut,
    ResponseTimedOut,
    TokenExpired,
    InvalidToken,
    /// The socket failed.
    TransportError,
    /// A reason this binding does not know (a newer library).
    Unknown(u32),
}

impl DisconnectReason {
    pub(crate) fn from_raw(reason: u32) -> Self {
        match reason {
            sys::LY_REASON_NONE => Self::None,
            sys::LY_REASON_LOCAL => Self::Local,
            sys::LY_REASON_REMOTE => Self::Remote,
            sys::LY_REASON_TIMED_OUT => Self::TimedOut,
            sys::LY_REASON_SERVER_STOPPED => Self::ServerStopped,
            sys::LY_REASON_DENIED => Self::Denied,
            sys::LY_REASON_REQUEST_TIMED_OUT => Self::RequestTimedOut,
            sys::LY_REASON_RESPONSE_TIMED_OUT => Self::ResponseTimedOut,
            sys::LY_REASON_TOKEN_EXPIRED => Self::TokenExpired,
            sys::LY_REASON_INVALID_TOKEN => Self::InvalidToken,
            sys::LY_REASON_TRANSPORT_ERROR => Self::TransportError,
            other => Self::Unknown(other),
        }
    }

    /// The `LY_REASON_*` value.
    pub fn raw(self) -> u32 {
        match self {
            Self::None => sys::LY_REASON_NONE,
            Self::Local => sys::LY_REASON_LOCAL,
            Self::Remote => sys::LY_REASON_REMOTE,
            Self::TimedOut => sys::LY_REASON_TIMED_OUT,
            Self::ServerStopped => sys::LY_REASON_SERVER_STOPPED,
            Self::Denied => sys::LY_REASON_DENIED,
            Self::RequestTimedOut => sys::LY_REASON_REQUEST_TIMED_OUT,
            Self::ResponseTimedOut => sys::LY_REASON_RESPONSE_TIMED_OUT,
            Self::TokenExpired => sys::LY_REASON_TOKEN_EXPIRED,
            Self::InvalidToken => sys::LY_REASON_INVALID_TOKEN,
            Self::TransportError => sys::LY_REASON_TRANSPORT_ERROR,
            Self::Unknown(r) => r,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // SAFETY: ly_reason_string accepts any int and returns a static string.
        f.write_str(unsafe { static_str(sys::ly_reason_string(self.raw() as c_int)) })
    }
}

/// What an [`Event::Warning`] reports (`ly_warning`). The library may add warnings: a
/// newer one's arrive as [`Unknown`](Self::Unknown), and later versions of this crate may
/// name them, so match with a `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Warning {
    /// A connection request with a new, valid token was refused: the token history is full
    /// of unexpired tokens (see
    /// [`ServerConfig::token_history_size`](crate::ServerConfig::token_history_size)).
    /// Counted in [`Stats::dropped_table_full`](crate::Stats::dropped_table_full).
    TokenHistoryFull,
    /// A connection request was refused: the table of handshakes in progress (16384, or
    /// 2 × max clients if more) is full. Counted in
    /// [`Stats::dropped_table_full`](crate::Stats::dropped_table_full).
    PendingFull,
    /// A warning this version of the crate does not know (from a newer library).
    Unknown(u32),
}

impl Warning {
    pub(crate) fn from_raw(w: u32) -> Self {
        match w {
            sys::LY_WARNING_TOKEN_HISTORY_FULL => Self::TokenHistoryFull,
            sys::LY_WARNING_PENDING_FULL => Self::PendingFull,
            other => Self::Unknown(other),
        }
    }

    /// The `LY_WARNING_*` value.
    pub fn raw(self) -> u32 {
        match self {
            Self::TokenHistoryFull => sys::LY_WARNING_TOKEN_HISTORY_FULL,
            Self::PendingFull => sys::LY_WARNING_PENDING_FULL,
            Self::Unknown(w) => w,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TokenHistoryFull => f.write_str("token history full"),
            Self::PendingFull => f.write_str("pending handshake table full"),
            Self::Unknown(w) => write!(f, "warning {w}"),
        }
    }
}

/// A server event. A payload borrows the buffer it was copied into: the server's own
/// ([`Server::poll`](crate::Server::poll)), yours ([`Server::poll_into`](crate::Server::poll_into)),
/// or an [`EventBuffer`](crate::EventBuffer) ([`Server::poll_batch`](crate::Server::poll_batch)).
/// Copy `data` (`to_vec()`) to keep it past the next poll.
///
/// The library may add event types; the polls skip the ones this crate does not know (as
/// the header asks), and later versions of the crate may add variants, so match with a
/// `_` arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A client connected.
    Connected { client: ClientId },
    /// A client's connection ended.
    Disconnected { client: ClientId, reason: DisconnectReason },
    /// A client sent a payload (1 to 1200 bytes).
    Payload { client: ClientId, data: &'a [u8] },
    /// The server refused work it should have done, here a connection request from
    /// `client`. At most one a second per kind of warning, so a flood cannot fill the
    /// queue; [`Stats`](crate::Stats) counts every occurrence.
    Warning { client: ClientId, warning: Warning },
}

impl<'a> Event<'a> {
    /// The client the event is about.
    pub fn client(&self) -> ClientId {
        match *self {
            Event::Connected { client }
            | Event::Disconnected { client, .. }
            | Event::Payload { client, .. }
            | Event::Warning { client, .. } => client,
        }
    }

    /// Converts a raw event whose payload (if any) is `payload`; `None` for an event type
    /// or client kind this crate does not know (from a newer library), which the polls
    /// skip.
    #[inline]
    pub(crate) fn from_raw(ev: &sys::ly_event, payload: &'a [u8]) -> Option<Self> {
        let client = ClientId::from_raw(ev.client)?;
        match ev.r#type {
            sys::LY_EVENT_CONNECTED => Some(Event::Connected { client }),
            sys::LY_EVENT_DISCONNECTED => Some(Event::Disconnected {
                client,
                reason: DisconnectReason::from_raw(ev.reason),
            }),
            sys::LY_EVENT_PAYLOAD => Some(Event::Payload { client, data: payload }),
            sys::LY_EVENT_WARNING => Some(Event::Warning {
                client,
                warning: Warning::from_raw(ev.reason),
            }),
            _ => None,
        }
    }
}
