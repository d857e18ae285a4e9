// Types.cs - the small value types and enums of the API. Enum values are
// the header's (LY_KIND_*, LY_STATE_*, LY_REASON_*, LY_EVENT_*, LY_ERR_*,
// LY_CONDITIONER_*, LY_STEAM_*).
using System;
using System.Runtime.InteropServices;

namespace Lightyear.Conn
{
    /// <summary>The backend a client id belongs to (ly_kind).</summary>
    public enum ClientKind : uint
    {
        Netcode = 1,
        Steam = 2,
        Local = 3,
    }

    /// <summary>Client states (ly_client_state): netcode.io's codes; negative states are how a connection or an attempt ended.</summary>
    public enum ClientState
    {
        ConnectTokenExpired = -6,
        InvalidConnectToken = -5,
        ConnectionTimedOut = -4,
        ConnectionResponseTimedOut = -3,
        ConnectionRequestTimedOut = -2,
        ConnectionDenied = -1,
        Disconnected = 0,
        SendingConnectionRequest = 1,
        SendingConnectionResponse = 2,
        Connected = 3,
    }

    /// <summary>Why a connection ended, on either side (ly_disconnect_reason).</summary>
    public enum DisconnectReason
    {
        None = 0,
        /// <summary>This side disconnected.</summary>
        Local = 1,
        /// <summary>The peer sent a disconnect.</summary>
        Remote = 2,
        /// <summary>Nothing received within the timeout.</summary>
        TimedOut = 3,
        ServerStopped = 4,
        /// <summary>The server refused the connection.</summary>
        Denied = 5,
        RequestTimedOut = 6,
        ResponseTimedOut = 7,
        TokenExpired = 8,
        InvalidToken = 9,
        /// <summary>The socket failed.</summary>
        TransportError = 10,
    }

    /// <summary>Server event types (ly_event_type). More may be added: skip the ones you do not know.</summary>
    public enum ServerEventType : uint
    {
        None = 0,
        Connected = 1,
        Disconnected = 2,
        Payload = 3,
        /// <summary>
        /// The server refused work it should have done: <see cref="ServerEvent.Warning"/>
        /// says what, <see cref="ServerEvent.ClientId"/> names the client concerned. At
        /// most one a second per warning (the stats count every occurrence).
        /// </summary>
        Warning = 4,
    }

    /// <summary>What a <see cref="ServerEventType.Warning"/> event reports (ly_warning). More may be added.</summary>
    public enum ServerWarning : uint
    {
        None = 0,
        /// <summary>
        /// A connection request with a new, valid token was refused: the token history
        /// is full of unexpired tokens (see <see cref="ServerConfig.TokenHistorySize"/>).
        /// Counted in <see cref="ConnectionStats.DroppedTableFull"/>.
        /// </summary>
        TokenHistoryFull = 1,
        /// <summary>
        /// A connection request was refused: the table of handshakes in progress
        /// (16384, or 2 x MaxClients if more) is full. Counted in
        /// <see cref="ConnectionStats.DroppedTableFull"/>.
        /// </summary>
        PendingFull = 2,
    }

    /// <summary>The library's error codes (LY_OK, LY_ERR_*).</summary>
    public enum ErrorCode
    {
        Ok = 0,
        InvalidHandle = -1,
        InvalidArgument = -2,
        BufferTooSmall = -3,
        PayloadSize = -4,
        NotConnected = -5,
        UnknownClient = -6,
        InvalidToken = -7,
        InvalidKey = -8,
        NotRunning = -9,
        AlreadyActive = -10,
        Socket = -11,
        /// <summary>A failure inside the library (a bug; the handle stays usable), or, when making a server or client, the handle table is full (1,048,576 live handles).</summary>
        Internal = -12,
        /// <summary>No Steam networking library could be loaded, one lacks a needed function, or <see cref="Steam.Open(SteamConfig)"/> was not called; the message names every path tried (or the symbol).</summary>
        SteamUnavailable = -13,
        /// <summary>Steam could not be initialised (no Steam client running, no app id, ...) or, when attaching, nobody initialised it; the message carries Steam's own.</summary>
        SteamInitFailed = -14,
        /// <summary>
        /// Steam's send buffer for the connection is full (Steam clients and
        /// Steam backends only): this payload was not sent, nothing else was
        /// lost. Thrown as <see cref="SendBufferFullException"/>. Send less per
        /// tick, drop or resend the payload later, or raise
        /// <see cref="SteamConfig.SendBufferSize"/> or <see cref="SteamConfig.SendRateMax"/>.
        /// </summary>
        SendBufferFull = -15,
        /// <summary>The token service refused the credential (HTTP 401 or 403).</summary>
        Unauthorized = -16,
        /// <summary>The token service's rate limit (HTTP 429); the message carries Retry-After.</summary>
        RateLimited = -17,
        /// <summary>No game server has room, or none matches the tag (HTTP 503).</summary>
        NoServer = -18,
        /// <summary>TLS failed: the certificate does not match the pin or the CA file, or the handshake broke.</summary>
        Tls = -19,
        /// <summary>No answer within the fetch's timeout.</summary>
        Timeout = -20,
        /// <summary>Another HTTP status, a redirect, or an answer that is not a connect token.</summary>
        Http = -21,
    }

    /// <summary>What a server's fleet registration is doing (<see cref="Server.FleetStatus"/>).</summary>
    public enum FleetStatus
    {
        /// <summary>Not registered (never, or deregistered, or stopped).</summary>
        NotRegistered = -1,
        /// <summary>LY_FLEET_PENDING: the first Redis round has not finished.</summary>
        Pending = 0,
        /// <summary>LY_FLEET_REGISTERED: the last Redis round succeeded; the entry is listed with a fresh TTL.</summary>
        Registered = 1,
        /// <summary>The last Redis round failed (LY_ERR_SOCKET); the library keeps retrying.</summary>
        Failing = 2,
    }

    /// <summary>Link conditioner presets (ly_conditioner_preset).</summary>
    public enum ConditionerPreset
    {
        /// <summary>A perfect link: all zeros.</summary>
        Off = 0,
        /// <summary>40 ms, 6 ms jitter, 0.2 % loss.</summary>
        Good = 1,
        /// <summary>100 ms, 15 ms jitter, 2 % loss.</summary>
        Average = 2,
        /// <summary>200 ms, 30 ms jitter, 10 % loss.</summary>
        Poor = 3,
    }

    /// <summary>
    /// Burst loss models (ly_burst_model): a two-state chain (good, bad)
    /// stepped once per datagram. The datagram is lost by the current
    /// state's loss probability, then the chain moves good to bad with
    /// probability <see cref="ConditionerConfig.BurstP"/> or bad to good
    /// with <see cref="ConditionerConfig.BurstR"/>.
    /// </summary>
    public enum BurstModel
    {
        /// <summary>No burst loss; every Burst field must be 0.</summary>
        None = 0,
        /// <summary>Simple Gilbert: every datagram in bad is lost, none in good. Loss rate p/(p+r); bursts last 1/r datagrams on average.</summary>
        Gilbert = 1,
        /// <summary>Gilbert-Elliott: lost with BurstLossGood in good (1-k) and BurstLossBad in bad (1-h). Loss rate (r*lossGood + p*lossBad)/(p+r).</summary>
        GilbertElliott = 2,
    }

    /// <summary>Which Steam networking library <see cref="Steam.Open(SteamConfig)"/> loads (ly_steam_flavour).</summary>
    public enum SteamFlavour : uint
    {
        /// <summary>Steamworks (libsteam_api) if found, else GameNetworkingSockets.</summary>
        Auto = 0,
        /// <summary>Valve's libsteam_api from the Steamworks SDK: IP and P2P over Valve's relays, SteamIDs; needs a Steam client or a game-server login.</summary>
        Steamworks = 1,
        /// <summary>Valve's open-source libGameNetworkingSockets: IP only, no Steam client needed (dedicated servers, LAN tests).</summary>
        GameNetworkingSockets = 2,
    }

    /// <summary>
    /// Whether <see cref="Steam.Open(SteamConfig)"/> initialises Steam itself
    /// or uses the Steam the game already initialised (ly_steam_init).
    /// </summary>
    public enum SteamInitMode : uint
    {
        /// <summary>Initialise Steam as a Steam client (<see cref="SteamConfig.AppId"/>). GameNetworkingSockets: initialises it.</summary>
        Client = 0,
        /// <summary>Initialise Steam as a game server (NoAuthentication) with the SteamConfig's GameServer* fields.</summary>
        GameServer = 1,
        /// <summary>Use the Steam client API the game already initialised (Steamworks.NET's SteamAPI.Init); never initialise or shut it down.</summary>
        AttachClient = 2,
        /// <summary>Use the game-server API the game already initialised (Steamworks.NET's GameServer.Init); never initialise or shut it down.</summary>
        AttachGameServer = 3,
    }

    /// <summary>How a Steam server listens and a Steam client connects (ly_steam_mode).</summary>
    public enum SteamMode : uint
    {
        /// <summary>An address and port ("ip:port").</summary>
        IP = 0,
        /// <summary>A SteamID and a virtual port, through Valve's relays (Steamworks only).</summary>
        P2P = 1,
    }

    /// <summary>
    /// A client id as a server knows it: the backend's 64-bit id tagged with
    /// the backend, so netcode 1 and steam 1 are different clients. Same
    /// layout as ly_client_id (16 bytes).
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public readonly struct ClientId : IEquatable<ClientId>
    {
        readonly ulong id;
        readonly uint kind;
        readonly uint reserved; // zero

        public ClientId(ClientKind kind, ulong id)
        {
            this.id = id;
            this.kind = (uint)kind;
            reserved = 0;
        }

        /// <summary>The backend's id: the netcode client id from the token, a SteamID, or a local id.</summary>
        public ulong Id { get { return id; } }

        public ClientKind Kind { get { return (ClientKind)kind; } }

        public static ClientId Netcode(ulong id) { return new ClientId(ClientKind.Netcode, id); }
        public static ClientId Steam(ulong steamId) { return new ClientId(ClientKind.Steam, steamId); }
        public static ClientId Local(ulong id) { return new ClientId(ClientKind.Local, id); }

        public bool Equals(ClientId other) { return id == other.id && kind == other.kind; }
        public override bool Equals(object obj) { return obj is ClientId && Equals((ClientId)obj); }
        public override int GetHashCode() { return id.GetHashCode() * 31 + (int)kind; }
        public static bool operator ==(ClientId a, ClientId b) { return a.Equals(b); }
        public static bool operator !=(ClientId a, ClientId b) { return !a.Equals(b); }

        public override string ToString()
        {
            switch (Kind)
            {
                case ClientKind.Netcode: return "netcode:" + id;
                case ClientKind.Steam: return "steam:" + id;
                case ClientKind.Local: return "local:" + id;
                default: return "kind" + kind + ":" + id;
            }
        }
    }

    /// <summary>
    /// One server event: a client connected, disconnected (with a reason), or
    /// sent a payload. Same layout as ly_event (32 bytes), so arrays of it are
    /// filled by the library directly. A payload is not in the event: it is
    /// <see cref="PayloadLength"/> bytes at <see cref="PayloadOffset"/> in the
    /// buffer given to the poll call (or the server's
    /// <see cref="Server.PayloadBuffer"/>); read it with
    /// <see cref="GetPayload(byte[])"/>.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    public readonly struct ServerEvent
    {
        readonly uint type;
        readonly uint reason;
        readonly ClientId client;
        readonly uint payloadSize;
        readonly uint payloadOffset;

        public ServerEventType Type { get { return (ServerEventType)type; } }

        /// <summary>For Disconnected events: why.</summary>
        public DisconnectReason Reason { get { return (DisconnectReason)reason; } }

        /// <summary>For Warning events: what happened (None for other events).</summary>
        public ServerWarning Warning { get { return Type == ServerEventType.Warning ? (ServerWarning)reason : ServerWarning.None; } }

        public ClientId ClientId { get { return client; } }

        /// <summary>For Payload events: the payload's size in bytes (1..1200); 0 otherwise.</summary>
        public int PayloadLength { get { return (int)payloadSize; } }

        /// <summary>For Payload events: where the payload starts in the poll call's buffer.</summary>
        public int PayloadOffset { get { return (int)payloadOffset; } }

        /// <summary>The payload inside the buffer the event was polled with (empty for other events). No copy.</summary>
        public ReadOnlySpan<byte> GetPayload(byte[] buffer)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            return new ReadOnlySpan<byte>(buffer, (int)payloadOffset, (int)payloadSize);
        }

        /// <summary>The payload inside the buffer the event was polled with, as an ArraySegment (a struct: no garbage).</summary>
        public ArraySegment<byte> GetPayloadSegment(byte[] buffer)
        {
            if (buffer == null) throw new ArgumentNullException("buffer");
            return new ArraySegment<byte>(buffer, (int)payloadOffset, (int)payloadSize);
        }

        public override string ToString()
        {
            switch (Type)
            {
                case ServerEventType.Connected: return "Connected " + client;
                case ServerEventType.Disconnected: return "Disconnected " + client + " (" + Reason + ")";
                case ServerEventType.Payload: return "Payload " + client + " " + payloadSize + " bytes at " + payloadOffset;
                case ServerEventType.Warning: return "Warning " + Warning + " (" + client + ")";
                case ServerEventType.None: return "None";
                default: return "Unknown event " + type;
            }
        }
    }

    /// <summary>Traffic counters of a server, a client, or one connection (ly_stats).</summary>
    /// <summary>
    /// Counters of a server's browser listeners, added up (ly_web_stats), since the
    /// last start (kept after a stop; zero before the first start and after
    /// <see cref="Server.SetWebOptions(WebOptions)"/>). Every refused or closed
    /// session and every dropped message is counted with its reason.
    /// </summary>
    public readonly struct WebStats
    {
        /// <summary>Sessions open now.</summary>
        public readonly ulong SessionsActive;
        /// <summary>Sessions that completed their handshake.</summary>
        public readonly ulong SessionsAccepted;
        /// <summary>Refused: MaxSessions reached (HTTP 503).</summary>
        public readonly ulong RefusedFull;
        /// <summary>Refused: MaxSessionsPerIp reached (HTTP 429).</summary>
        public readonly ulong RefusedPerIp;
        /// <summary>Refused: Origin not allowed (HTTP 403).</summary>
        public readonly ulong RefusedOrigin;
        /// <summary>Refused: the upgrade failed (bad request, TLS, timeout).</summary>
        public readonly ulong RefusedHandshake;
        /// <summary>Closed: silent for IdleTimeout.</summary>
        public readonly ulong ClosedIdle;
        /// <summary>Closed: a write blocked for WriteTimeout.</summary>
        public readonly ulong ClosedSlow;
        /// <summary>Closed or broken by the browser.</summary>
        public readonly ulong ClosedPeer;
        /// <summary>Closed by the server (stop, disconnect).</summary>
        public readonly ulong ClosedServer;
        /// <summary>Messages passed to netcode.</summary>
        public readonly ulong Received;
        /// <summary>Messages over 1225 bytes, the largest netcode packet.</summary>
        public readonly ulong RecvOversized;
        /// <summary>WebSocket text messages: not netcode.</summary>
        public readonly ulong RecvText;
        /// <summary>The receive queue, or the session's share, was full.</summary>
        public readonly ulong RecvQueueFull;
        /// <summary>Messages written to a session.</summary>
        public readonly ulong Sent;
        /// <summary>Sent to an address whose session is gone.</summary>
        public readonly ulong SendNoSession;
        /// <summary>Over what the session carries.</summary>
        public readonly ulong SendOversized;
        /// <summary>The session's send queue was full.</summary>
        public readonly ulong SendQueueFull;
        /// <summary>Lost with a failing or closing session.</summary>
        public readonly ulong SendFailed;

        internal WebStats(ref Native.ly_web_stats s)
        {
            SessionsActive = s.sessions_active;
            SessionsAccepted = s.sessions_accepted;
            RefusedFull = s.refused_full;
            RefusedPerIp = s.refused_per_ip;
            RefusedOrigin = s.refused_origin;
            RefusedHandshake = s.refused_handshake;
            ClosedIdle = s.closed_idle;
            ClosedSlow = s.closed_slow;
            ClosedPeer = s.closed_peer;
            ClosedServer = s.closed_server;
            Received = s.received;
            RecvOversized = s.recv_oversized;
            RecvText = s.recv_text;
            RecvQueueFull = s.recv_queue_full;
            Sent = s.sent;
            SendNoSession = s.send_no_session;
            SendOversized = s.send_oversized;
            SendQueueFull = s.send_queue_full;
            SendFailed = s.send_failed;
        }

        public override string ToString()
        {
            return "sessions active " + SessionsActive + " accepted " + SessionsAccepted +
                   ", refused full " + RefusedFull + " per-ip " + RefusedPerIp + " origin " + RefusedOrigin + " handshake " + RefusedHandshake +
                   ", closed idle " + ClosedIdle + " slow " + ClosedSlow + " peer " + ClosedPeer + " server " + ClosedServer +
                   ", received " + Received + " (oversized " + RecvOversized + " text " + RecvText + " queue-full " + RecvQueueFull +
                   "), sent " + Sent + " (no-session " + SendNoSession + " oversized " + SendOversized + " queue-full " + SendQueueFull +
                   " failed " + SendFailed + ")";
        }
    }

    public readonly struct ConnectionStats
    {
        public readonly ulong PacketsSent;
        public readonly ulong PacketsReceived;
        public readonly ulong BytesSent;
        public readonly ulong BytesReceived;
        /// <summary>Wrong size, version, type or body.</summary>
        public readonly ulong DroppedMalformed;
        /// <summary>Sequence already seen or too old.</summary>
        public readonly ulong DroppedReplayed;
        /// <summary>The AEAD refused a packet or token.</summary>
        public readonly ulong DroppedDecryptFailed;
        /// <summary>Encrypted packet from an address with no key.</summary>
        public readonly ulong DroppedUnknownAddress;
        /// <summary>Payload arrived with the receive queue full.</summary>
        public readonly ulong DroppedQueueFull;
        /// <summary>Well formed but refused (expired or reused token, ...).</summary>
        public readonly ulong DroppedRejected;
        /// <summary>Seconds since the last packet was accepted (per connection only).</summary>
        public readonly double SecondsSinceLastReceive;
        /// <summary>Datagram over the biggest netcode packet (1225 bytes).</summary>
        public readonly ulong DroppedOversized;
        /// <summary>Connection request refused: the token history or the pending-handshake table was full.</summary>
        public readonly ulong DroppedTableFull;

        internal ConnectionStats(ref Native.ly_stats s)
        {
            PacketsSent = s.packets_sent;
            PacketsReceived = s.packets_received;
            BytesSent = s.bytes_sent;
            BytesReceived = s.bytes_received;
            DroppedMalformed = s.dropped_malformed;
            DroppedReplayed = s.dropped_replayed;
            DroppedDecryptFailed = s.dropped_decrypt_failed;
            DroppedUnknownAddress = s.dropped_unknown_address;
            DroppedQueueFull = s.dropped_queue_full;
            DroppedRejected = s.dropped_rejected;
            SecondsSinceLastReceive = s.seconds_since_last_receive;
            DroppedOversized = s.dropped_oversized;
            DroppedTableFull = s.dropped_table_full;
        }

        public override string ToString()
        {
            return "sent " + PacketsSent + " packets / " + BytesSent + " bytes, received " + PacketsReceived + " / " + BytesReceived +
                   ", dropped malformed " + DroppedMalformed + " replayed " + DroppedReplayed + " decrypt " + DroppedDecryptFailed +
                   " unknown-address " + DroppedUnknownAddress + " queue-full " + DroppedQueueFull + " rejected " + DroppedRejected +
                   " oversized " + DroppedOversized + " table-full " + DroppedTableFull;
        }
    }

    /// <summary>
    /// Steam's live view of one Steam connection (ly_connection_status,
    /// SteamNetConnectionRealTimeStatus_t): <see cref="Server.ConnectionStatus"/>
    /// and <see cref="Client.ConnectionStatus"/>.
    /// </summary>
    public readonly struct ConnectionStatus
    {
        /// <summary>Steam's connection state: 1 connecting, 2 finding a route, 3 connected.</summary>
        public readonly int State;
        /// <summary>Round trip in milliseconds, as Steam measures it.</summary>
        public readonly int PingMs;
        /// <summary>Share of packets delivered, 0..1, as seen here; -1 while unknown.</summary>
        public readonly float QualityLocal;
        /// <summary>The same, as the peer sees it.</summary>
        public readonly float QualityRemote;
        public readonly float OutPacketsPerSec;
        public readonly float OutBytesPerSec;
        public readonly float InPacketsPerSec;
        public readonly float InBytesPerSec;
        /// <summary>The rate Steam thinks the path can carry, in bytes per second.</summary>
        public readonly int SendRateBytesPerSec;
        /// <summary>Bytes queued and not yet sent (payloads are sent unreliable).</summary>
        public readonly int PendingUnreliable;
        public readonly int PendingReliable;
        public readonly int SentUnackedReliable;
        /// <summary>How long, in microseconds, a payload sent now waits before it goes out.</summary>
        public readonly long QueueTimeMicroseconds;

        internal ConnectionStatus(ref Native.ly_connection_status s)
        {
            State = s.state;
            PingMs = s.ping_ms;
            QualityLocal = s.quality_local;
            QualityRemote = s.quality_remote;
            OutPacketsPerSec = s.out_packets_per_sec;
            OutBytesPerSec = s.out_bytes_per_sec;
            InPacketsPerSec = s.in_packets_per_sec;
            InBytesPerSec = s.in_bytes_per_sec;
            SendRateBytesPerSec = s.send_rate_bytes_per_sec;
            PendingUnreliable = s.pending_unreliable;
            PendingReliable = s.pending_reliable;
            SentUnackedReliable = s.sent_unacked_reliable;
            QueueTimeMicroseconds = s.queue_time_us;
        }

        /// <summary>True when Steam reports the connection as connected (state 3).</summary>
        public bool IsConnected { get { return State == 3; } }

        public override string ToString()
        {
            return "state " + State + ", ping " + PingMs + " ms, quality " + QualityLocal + "/" + QualityRemote +
                   ", out " + OutBytesPerSec + " B/s, in " + InBytesPerSec + " B/s, rate " + SendRateBytesPerSec +
                   " B/s, pending " + PendingUnreliable + " bytes, queue " + QueueTimeMicroseconds + " us";
        }
    }
}
