// Config.cs - ServerConfig, ClientConfig, ConditionerConfig, FleetConfig and
// WebOptions: managed mirrors of ly_server_config, ly_client_config,
// ly_conditioner_config, ly_fleet_config and ly_web_options.
// Each constructor starts from the library's *_defaults() filler, as the
// header asks, so a default the library changes is picked up here.
using System;

namespace Lightyear.Conn
{
    /// <summary>How a <see cref="Server"/> is made (ly_server_config). Copied when the server is created.</summary>
    public sealed class ServerConfig
    {
        /// <summary>Must match the protocol id in the clients' tokens.</summary>
        public ulong ProtocolId;

        /// <summary>The private key shared with the token backend: exactly 32 bytes (see <see cref="Keys.Generate()"/>).</summary>
        public byte[] PrivateKey;

        /// <summary>
        /// Addresses to bind for netcode clients, separated by spaces or commas
        /// ("127.0.0.1:40000 [::1]:40000"; "[::]:port" is dual-stack, or IPv4
        /// alone on a host without IPv6; port 0
        /// picks a free port, see <see cref="Server.GetAddress"/>). Null or "":
        /// no netcode backend and no socket, a server for local clients only.
        /// <para>
        /// An entry may carry a scheme: "udp://ip:port" (the same as a bare
        /// "ip:port"), or a browser transport carrying the same netcode:
        /// "ws://ip:port" (WebSocket, loopback only), "wss://ip:port" (WebSocket
        /// over TLS: needs <see cref="WebOptions.CertFile"/> and
        /// <see cref="WebOptions.KeyFile"/>) or "wt://ip:port" (WebTransport;
        /// self-signed certificates unless CertFile is set, see
        /// <see cref="Server.WebCertHashes"/>). A wildcard bind names the address
        /// tokens carry for it with "?public=ip:port", e.g.
        /// "wt://0.0.0.0:4433?public=203.0.113.5:4433".
        /// </para>
        /// </summary>
        public string BindAddresses;

        /// <summary>
        /// The addresses the token backend writes into tokens (one must match).
        /// Null or "": the bound addresses, which must then be specific. An
        /// address with port 0 takes the port of the first bound socket.
        /// </summary>
        public string PublicAddresses;

        /// <summary>Netcode clients connected at once; 0 means the library's default (256). Local clients have their own limit of 16.</summary>
        public int MaxClients;

        /// <summary>
        /// Queue netcode sends and write them together (one sendmmsg per 64
        /// on Linux) at <see cref="Server.Flush"/>, at the next Update, or when
        /// 64 wait: call Flush after a tick's sends to save a system call per
        /// packet. False (the default): every Send is written at once.
        /// </summary>
        public bool BatchSends;

        /// <summary>
        /// The restart rule (netcode 1.4.5): the longest lifetime (expire - create,
        /// seconds) your token backend issues. The server refuses tokens that expire
        /// before its first Start plus this, as they may have been made before it
        /// started and used on an earlier run. 0: the default, 30; negative: off.
        /// Set it to your tokens' lifetime: shorter tokens are refused until the
        /// server has run for the difference.
        /// </summary>
        public int MaxTokenLifetimeSeconds;

        /// <summary>
        /// The most tokens the server remembers for netcode 1.4.5's reuse rule (a
        /// token is consumed once, then refused while it is valid): each until it
        /// expires, one that never expires for the life of the server (Stop and
        /// Start keep them). Up to about 120 bytes each, taken as tokens arrive.
        /// 0: the default, 524288 (at most about 60 MiB: 17,000 joins a second with
        /// 30 s tokens, or half a million joins with tokens that never expire), or
        /// 4 x MaxClients if more; at most 2^30 (1073741824: more is
        /// LightyearException InvalidArgument). When it is full of unexpired
        /// tokens new tokens are refused: counted in <see cref="ConnectionStats.DroppedTableFull"/>,
        /// with a <see cref="ServerEventType.Warning"/> event at most once a second.
        /// </summary>
        public int TokenHistorySize;

        /// <summary>
        /// Options of the browser listeners (ws://, wss://, wt:// entries of
        /// <see cref="BindAddresses"/>), set when the server is made: the
        /// <see cref="Server(ServerConfig)"/> constructor throws what
        /// <see cref="Server.SetWebOptions(WebOptions)"/> throws. Null: the
        /// library's defaults (a wss:// bind then cannot start).
        /// </summary>
        public WebOptions WebOptions;

        // Steam is not a field here: the header adds a Steam backend to a made
        // server (ly_server_add_steam), so it is Server.AddSteam(SteamServerConfig)
        // after Steam.Open (Steam.cs).

        public unsafe ServerConfig()
        {
            Library.EnsureLoaded();
            Native.ly_server_config c;
            Native.ly_server_config_defaults(&c);
            ProtocolId = c.protocol_id;
            MaxClients = (int)c.max_clients;
        }
    }

    /// <summary>How a <see cref="Client"/> is made (ly_client_config).</summary>
    public sealed class ClientConfig
    {
        /// <summary>What <see cref="Client.Id"/> reports for a token client: the public part of a token does not carry the client id.</summary>
        public ulong ClientId;

        /// <summary>Payloads kept for <see cref="Client.Receive(byte[], out int)"/>; more are dropped and counted. 0 means the library's default (256).</summary>
        public int ReceiveQueueSize;

        public unsafe ClientConfig()
        {
            Library.EnsureLoaded();
            Native.ly_client_config c;
            Native.ly_client_config_defaults(&c);
            ClientId = c.client_id;
            ReceiveQueueSize = (int)c.receive_queue_size;
        }

        internal unsafe Native.ly_client_config ToNative()
        {
            if (ReceiveQueueSize < 0)
                throw new ArgumentOutOfRangeException("ReceiveQueueSize", ReceiveQueueSize, "must not be negative");
            Native.ly_client_config c;
            Native.ly_client_config_defaults(&c);
            c.client_id = ClientId;
            c.receive_queue_size = (uint)ReceiveQueueSize;
            return c;
        }
    }

    /// <summary>
    /// Link conditioner settings (ly_conditioner_config): simulates a bad
    /// network on what a server's or a client's netcode sockets send and
    /// receive. Delays run on the clock you drive with Update, so a seeded run
    /// is reproducible. Start from a preset and change what you need:
    /// <code>var c = ConditionerConfig.Poor; c.Seed = 42; server.SetConditioner(c, c);</code>
    /// </summary>
    public struct ConditionerConfig
    {
        /// <summary>One-way base delay in milliseconds.</summary>
        public double LatencyMs;
        /// <summary>Each delay is latency +- uniform jitter (never below 0), milliseconds.</summary>
        public double JitterMs;
        /// <summary>Probability 0..1 a datagram is dropped, independently (on top of burst loss).</summary>
        public double Loss;
        /// <summary>Probability 0..1 a datagram arrives twice.</summary>
        public double Duplicate;
        /// <summary>Probability 0..1 a datagram is held back so later ones overtake it.</summary>
        public double Reorder;
        /// <summary>How long a reordered datagram is held; 0: twice the jitter, at least 1 ms.</summary>
        public double ReorderDelayMs;
        /// <summary>Same seed, same traffic, same Update steps: same result.</summary>
        public ulong Seed;
        /// <summary>Burst loss model; None by default (and in every preset).</summary>
        public BurstModel Burst;
        /// <summary>Probability 0..1 of moving from good to bad, per datagram.</summary>
        public double BurstP;
        /// <summary>Probability 0..1 of moving from bad to good, per datagram.</summary>
        public double BurstR;
        /// <summary>GilbertElliott: loss probability 0..1 in good.</summary>
        public double BurstLossGood;
        /// <summary>GilbertElliott: loss probability 0..1 in bad.</summary>
        public double BurstLossBad;

        /// <summary>The library's preset (ly_conditioner_preset_config), seed 0.</summary>
        public static unsafe ConditionerConfig FromPreset(ConditionerPreset preset)
        {
            Library.EnsureLoaded();
            Native.ly_conditioner_config c;
            Err.Check(Native.ly_conditioner_preset_config_sized((int)preset, &c, (uint)sizeof(Native.ly_conditioner_config)),
                      "ly_conditioner_preset_config_sized");
            return new ConditionerConfig
            {
                LatencyMs = c.latency_ms,
                JitterMs = c.jitter_ms,
                Loss = c.loss,
                Duplicate = c.duplicate,
                Reorder = c.reorder,
                ReorderDelayMs = c.reorder_delay_ms,
                Seed = c.seed,
                Burst = (BurstModel)c.burst_model,
                BurstP = c.burst_p,
                BurstR = c.burst_r,
                BurstLossGood = c.burst_loss_good,
                BurstLossBad = c.burst_loss_bad,
            };
        }

        /// <summary>A perfect link: all zeros.</summary>
        public static ConditionerConfig Off { get { return FromPreset(ConditionerPreset.Off); } }
        /// <summary>40 ms, 6 ms jitter, 0.2 % loss.</summary>
        public static ConditionerConfig Good { get { return FromPreset(ConditionerPreset.Good); } }
        /// <summary>100 ms, 15 ms jitter, 2 % loss.</summary>
        public static ConditionerConfig Average { get { return FromPreset(ConditionerPreset.Average); } }
        /// <summary>200 ms, 30 ms jitter, 10 % loss.</summary>
        public static ConditionerConfig Poor { get { return FromPreset(ConditionerPreset.Poor); } }

        internal unsafe Native.ly_conditioner_config ToNative()
        {
            Native.ly_conditioner_config c;
            c.struct_size = (uint)sizeof(Native.ly_conditioner_config);
            c.reserved = 0;
            c.latency_ms = LatencyMs;
            c.jitter_ms = JitterMs;
            c.loss = Loss;
            c.duplicate = Duplicate;
            c.reorder = Reorder;
            c.reorder_delay_ms = ReorderDelayMs;
            c.seed = Seed;
            c.burst_model = (uint)Burst;
            c.reserved2 = 0;
            c.burst_p = BurstP;
            c.burst_r = BurstR;
            c.burst_loss_good = BurstLossGood;
            c.burst_loss_bad = BurstLossBad;
            return c;
        }

        public override string ToString()
        {
            return LatencyMs + " ms +- " + JitterMs + " ms, loss " + Loss + ", duplicate " + Duplicate + ", reorder " + Reorder +
                   " (" + ReorderDelayMs + " ms), burst " + Burst + " p " + BurstP + " r " + BurstR + " loss good " + BurstLossGood +
                   " bad " + BurstLossBad + ", seed " + Seed;
        }
    }

    /// <summary>
    /// A server's entry in the token service's Redis fleet directory
    /// (ly_fleet_config), for <see cref="Server.RegisterWithFleet(FleetConfig)"/>.
    /// Copied when the server registers.
    /// </summary>
    public sealed class FleetConfig
    {
        /// <summary>"host:port", or "redis://[:password@]host:port[/db]" ("rediss://" for TLS). Required.</summary>
        public string RedisUrl;

        /// <summary>Key prefix shared with the token service (lytokens -fleet-prefix). Null or "": "lyfleet:".</summary>
        public string KeyPrefix;

        /// <summary>The server's id in the fleet, unique. Null or "": 16 random hex digits.</summary>
        public string ServerId;

        /// <summary>Tags separated by spaces or commas: a token request for tag T only gets servers tagged T. Null or "": none.</summary>
        public string Tags;

        /// <summary>The addresses written into tokens, in order. Null or "": the server's public addresses (or the bound ones with their actual ports).</summary>
        public string PublicAddresses;

        /// <summary>How long the entry lives after its last heartbeat (at least 30 ms); the library's default (10 s) unless set.</summary>
        public TimeSpan Ttl;

        /// <summary>A config with the library's defaults (ly_fleet_config_defaults); set RedisUrl.</summary>
        public unsafe FleetConfig()
        {
            Library.EnsureLoaded();
            Native.ly_fleet_config c;
            Native.ly_fleet_config_defaults(&c);
            Ttl = TimeSpan.FromMilliseconds(c.ttl_ms);
        }

        /// <summary>A config for redisUrl, defaults otherwise.</summary>
        public FleetConfig(string redisUrl) : this()
        {
            RedisUrl = redisUrl;
        }
    }

    /// <summary>
    /// Options of every browser listener of a <see cref="Server"/> (ly_web_options),
    /// for <see cref="ServerConfig.WebOptions"/> or <see cref="Server.SetWebOptions(WebOptions)"/>.
    /// Zero, <see cref="TimeSpan.Zero"/> and null mean the library's default. Copied when set.
    /// <code>
    /// var config = new ServerConfig
    /// {
    ///     ProtocolId = protocol, PrivateKey = key,
    ///     BindAddresses = "udp://0.0.0.0:40000?public=203.0.113.5:40000, wt://0.0.0.0:4433?public=203.0.113.5:4433",
    ///     WebOptions = new WebOptions { AllowedOrigins = "https://game.example.com", Path = "/netcode" },
    /// };
    /// </code>
    /// </summary>
    public sealed class WebOptions
    {
        /// <summary>The size of one certificate hash (SHA-256) in <see cref="Server.WebCertHashes"/>: 32 bytes.</summary>
        public const int CertHashSize = Native.LY_WEB_CERT_HASH_SIZE;

        /// <summary>
        /// wt:// without <see cref="CertFile"/>: how long each self-signed certificate is
        /// valid, 60 s to 14 days (the browsers' limit for serverCertificateHashes);
        /// Zero: 13 days. The next one is made and its hash published before the
        /// current one's half-life. Rounded up to whole seconds.
        /// </summary>
        public TimeSpan CertValidity { get; set; }

        /// <summary>A CA-issued certificate chain (PEM file), with <see cref="KeyFile"/>: both or neither. Required by wss://, optional for wt://, ignored by ws://. Read when the options are set and at every start.</summary>
        public string CertFile { get; set; }

        /// <summary>The key of <see cref="CertFile"/> (PEM file).</summary>
        public string KeyFile { get; set; }

        /// <summary>Page origins allowed to connect, separated by commas or spaces ("https://game.example.com"); "*": any. Null or "": pages served from loopback only. Requests without an Origin (programs) pass.</summary>
        public string AllowedOrigins { get; set; }

        /// <summary>Path of the upgrade or CONNECT request, starting with "/" ("/netcode"). Null or "": every path.</summary>
        public string Path { get; set; }

        /// <summary>Sessions open at once per listener (more get HTTP 503); 0: 1024.</summary>
        public int MaxSessions { get; set; }

        /// <summary>Sessions per IP per listener (more get HTTP 429); 0: 16.</summary>
        public int MaxSessionsPerIp { get; set; }

        /// <summary>Messages waiting for <see cref="Server.Update"/>, all sessions together; 0: 4096.</summary>
        public int RecvQueue { get; set; }

        /// <summary>One session's share of <see cref="RecvQueue"/>; 0: 256.</summary>
        public int SessionRecvQueue { get; set; }

        /// <summary>Messages waiting to be written, per session; 0: 64.</summary>
        public int SendQueue { get; set; }

        /// <summary>The TLS/QUIC handshake and the upgrade; Zero: 5 s. Rounded up to whole milliseconds.</summary>
        public TimeSpan HandshakeTimeout { get; set; }

        /// <summary>A session silent this long is closed; Zero: 10 s.</summary>
        public TimeSpan IdleTimeout { get; set; }

        /// <summary>A session whose write blocks this long is closed; Zero: 5 s.</summary>
        public TimeSpan WriteTimeout { get; set; }

        /// <summary>Options with the library's defaults (ly_web_options_defaults).</summary>
        public unsafe WebOptions()
        {
            Library.EnsureLoaded();
            Native.ly_web_options c;
            Native.ly_web_options_defaults_sized(&c, (uint)sizeof(Native.ly_web_options));
            CertValidity = TimeSpan.FromSeconds(c.cert_validity_seconds);
            MaxSessions = (int)c.max_sessions;
            MaxSessionsPerIp = (int)c.max_sessions_per_ip;
            RecvQueue = (int)c.recv_queue;
            SessionRecvQueue = (int)c.session_recv_queue;
            SendQueue = (int)c.send_queue;
            HandshakeTimeout = TimeSpan.FromMilliseconds(c.handshake_timeout_ms);
            IdleTimeout = TimeSpan.FromMilliseconds(c.idle_timeout_ms);
            WriteTimeout = TimeSpan.FromMilliseconds(c.write_timeout_ms);
        }

        static uint Count(int n, string name)
        {
            if (n < 0)
                throw new ArgumentOutOfRangeException(name, n, "must not be negative");
            return (uint)n;
        }

        // A set duration never becomes 0, which the library reads as "the
        // default": anything below one unit goes in as 1, for the library to
        // refuse or take.
        static uint Units(TimeSpan t, double unitMs, string name)
        {
            if (t < TimeSpan.Zero)
                throw new ArgumentOutOfRangeException(name, t, "must not be negative");
            if (t == TimeSpan.Zero)
                return 0;
            double n = Math.Max(1, Math.Ceiling(t.TotalMilliseconds / unitMs));
            if (n > uint.MaxValue)
                throw new ArgumentOutOfRangeException(name, t, "too long");
            return (uint)n;
        }

        /// <summary>Calls ly_server_set_web_options on server with these options; returns its result.</summary>
        internal unsafe int Apply(IntPtr server)
        {
            byte[] cert = Utf8.ToNative(CertFile, "CertFile");
            byte[] key = Utf8.ToNative(KeyFile, "KeyFile");
            byte[] origins = Utf8.ToNative(AllowedOrigins, "AllowedOrigins");
            byte[] path = Utf8.ToNative(Path, "Path");
            Native.ly_web_options c;
            Native.ly_web_options_defaults_sized(&c, (uint)sizeof(Native.ly_web_options));
            c.cert_validity_seconds = Units(CertValidity, 1000, "CertValidity");
            c.max_sessions = Count(MaxSessions, "MaxSessions");
            c.max_sessions_per_ip = Count(MaxSessionsPerIp, "MaxSessionsPerIp");
            c.recv_queue = Count(RecvQueue, "RecvQueue");
            c.session_recv_queue = Count(SessionRecvQueue, "SessionRecvQueue");
            c.send_queue = Count(SendQueue, "SendQueue");
            c.handshake_timeout_ms = Units(HandshakeTimeout, 1, "HandshakeTimeout");
            c.idle_timeout_ms = Units(IdleTimeout, 1, "IdleTimeout");
            c.write_timeout_ms = Units(WriteTimeout, 1, "WriteTimeout");
            fixed (byte* pc = cert)
            fixed (byte* pk = key)
            fixed (byte* po = origins)
            fixed (byte* pp = path)
            {
                c.cert_file = pc;
                c.key_file = pk;
                c.allowed_origins = po;
                c.path = pp;
                return Native.ly_server_set_web_options(server, &c);
            }
        }
    }
}
