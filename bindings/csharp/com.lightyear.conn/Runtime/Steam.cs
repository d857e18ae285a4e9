// Steam.cs - Steam connections through Valve's ISteamNetworkingSockets:
// the static Steam class (ly_steam_open / ly_steam_close) and the configs of
// Steam.Open, Server.AddSteam and Client.CreateSteam (ly_steam_config,
// ly_steam_server_config, ly_steam_client_config). Each config starts from
// the library's *_defaults() filler, as the header asks.
using System;
using System.Threading;

namespace Lightyear.Conn
{
    /// <summary>
    /// The process's Steam networking library. The native library loads
    /// Valve's flat API at run time (libsteam_api from the Steamworks SDK, or
    /// the open-source libGameNetworkingSockets) and links nothing of Valve's;
    /// one Steam library is open per process.
    /// <code>
    /// Steam.Open(new SteamConfig { AppId = 480 });                    // Steamworks, initialised here
    /// server.AddSteam(SteamServerConfig.P2P(0));                      // Steam clients beside netcode ones
    /// var client = Client.CreateSteam(SteamClientConfig.P2P(hostSteamId, 0));
    /// client.Connect();                                               // then Update / Send / Receive as usual
    /// ...
    /// Steam.Close();                                                  // Library.Shutdown() does it too
    /// </code>
    /// </summary>
    public static class Steam
    {
        // Bumped by Close: Steam clients made before it are dead.
        static int epoch;

        internal static int Epoch { get { return Volatile.Read(ref epoch); } }

        /// <summary>
        /// Loads the Steam library and initialises Steam, or attaches to the
        /// Steam the game already initialised (ly_steam_open). Throws
        /// <see cref="LightyearException"/>: <see cref="ErrorCode.SteamUnavailable"/>
        /// (no library, or one without a needed function: the message names
        /// the paths tried or the symbol), <see cref="ErrorCode.SteamInitFailed"/>
        /// (Steam's own message, for instance that no Steam client is running;
        /// or an Init mode while Steam or GameNetworkingSockets is already
        /// initialised in the process, by Steamworks.NET say: use an Attach
        /// mode then),
        /// <see cref="ErrorCode.AlreadyActive"/> (already open: close it first),
        /// <see cref="ErrorCode.InvalidArgument"/> (a bad enum value or game-server IP,
        /// a timeout, rate or buffer size over 2^31-1, a debug level over 8,
        /// SendRateMin over SendRateMax).
        /// </summary>
        public static unsafe void Open(SteamConfig config)
        {
            if (config == null)
                throw new ArgumentNullException("config");
            Library.EnsureLoaded();
            byte[] path = Utf8.ToNative(config.LibraryPath, "LibraryPath");
            byte[] ip = Utf8.ToNative(config.GameServerIP, "GameServerIP");
            byte[] version = Utf8.ToNative(config.GameServerVersion, "GameServerVersion");
            Native.ly_steam_config c;
            Native.ly_steam_config_defaults_sized(&c, (uint)sizeof(Native.ly_steam_config));
            c.flavour = (uint)config.Flavour;
            c.init = (uint)config.Init;
            c.app_id = config.AppId;
            c.game_port = config.GamePort;
            c.query_port = config.QueryPort;
            c.allow_ip_without_auth = config.AllowIPWithoutAuth ? 1u : 0u;
            c.timeout_initial_ms = config.TimeoutInitialMs;
            c.timeout_connected_ms = config.TimeoutConnectedMs;
            c.debug_output_level = config.DebugOutputLevel;
            c.send_rate_min = config.SendRateMin;
            c.send_rate_max = config.SendRateMax;
            c.send_buffer_size = config.SendBufferSize;
            int rc;
            fixed (byte* p = path)
            fixed (byte* i = ip)
            fixed (byte* v = version)
            {
                c.library_path = p;
                c.game_server_ip = i;
                c.game_server_version = v;
                rc = Native.ly_steam_open(&c);
            }
            Err.Check(rc, "ly_steam_open");
        }

        /// <summary>
        /// Closes every Steam server backend and Steam client, and shuts Steam
        /// down if <see cref="Open"/> initialised it (ly_steam_close); an
        /// attached Steam stays up. Closing when nothing is open does nothing.
        /// <see cref="Library.Shutdown"/> closes Steam too.
        /// <para>
        /// Every Steam <see cref="Client"/> made before becomes disposed
        /// (<see cref="Client.IsDisposed"/>; its methods throw
        /// ObjectDisposedException saying Steam.Close did it). A
        /// <see cref="Server"/> loses its Steam backend: its Steam clients
        /// are reported Disconnected (ServerStopped) and it goes on serving
        /// its other clients.
        /// </para>
        /// </summary>
        public static void Close()
        {
            Library.EnsureLoaded();
            Interlocked.Increment(ref epoch);
            Err.Check(Native.ly_steam_close(), "ly_steam_close");
        }
    }

    /// <summary>How <see cref="Steam.Open(SteamConfig)"/> loads and initialises Steam (ly_steam_config).</summary>
    public sealed class SteamConfig
    {
        /// <summary>Which library: Auto (Steamworks if found, else GameNetworkingSockets) by default.</summary>
        public SteamFlavour Flavour;

        /// <summary>Initialise Steam as a client (the default) or a game server, or attach to the Steam the game initialised (Steamworks.NET).</summary>
        public SteamInitMode Init;

        /// <summary>
        /// <see cref="SteamInitMode.Client"/>: set as the SteamAppId environment
        /// variable before initialising (480, Spacewar, for tests); 0 leaves the
        /// environment alone (then steam_appid.txt next to the executable, or
        /// the Steam launch, tells Steam).
        /// </summary>
        public uint AppId;

        /// <summary>
        /// The library file. A named file is the only one tried. Null or "":
        /// $LIGHTYEAR_STEAM_LIB, then the loader's search path, then the
        /// executable's directory (libsteam_api.so / .dylib, or
        /// libGameNetworkingSockets.so / .dylib).
        /// </summary>
        public string LibraryPath;

        /// <summary><see cref="SteamInitMode.GameServer"/>: the IPv4 address to bind; null or "" for any.</summary>
        public string GameServerIP;

        /// <summary><see cref="SteamInitMode.GameServer"/>: the game port.</summary>
        public ushort GamePort;

        /// <summary><see cref="SteamInitMode.GameServer"/>: the query port.</summary>
        public ushort QueryPort;

        /// <summary><see cref="SteamInitMode.GameServer"/>: the version string the Steam master server sees.</summary>
        public string GameServerVersion;

        // Connection options for every Steam connection of the process; 0
        // keeps Steam's own value.

        /// <summary>IP peers need no Steam certificate (Steamworks; GameNetworkingSockets never asks). Needed for IP connections on Steamworks without Valve's authentication.</summary>
        public bool AllowIPWithoutAuth;

        /// <summary>Connecting gives up after this many milliseconds (Steam: 10,000); 0 keeps Steam's.</summary>
        public uint TimeoutInitialMs;

        /// <summary>A connected peer silent this many milliseconds is dropped (Steam: 10,000); 0 keeps Steam's.</summary>
        public uint TimeoutConnectedMs;

        /// <summary>1..8: Steam's messages up to that level go to stderr (4 warnings, 5 messages); 0: none.</summary>
        public uint DebugOutputLevel;

        /// <summary>The least send rate, bytes per second; 0 keeps Steam's.</summary>
        public uint SendRateMin;

        /// <summary>The most send rate, bytes per second; 0 keeps Steam's.</summary>
        public uint SendRateMax;

        /// <summary>Bytes queued per connection before sends throw <see cref="SendBufferFullException"/> (Steam: 524,288); 0 keeps Steam's.</summary>
        public uint SendBufferSize;

        public unsafe SteamConfig()
        {
            Library.EnsureLoaded();
            Native.ly_steam_config c;
            Native.ly_steam_config_defaults_sized(&c, (uint)sizeof(Native.ly_steam_config));
            Flavour = (SteamFlavour)c.flavour;
            Init = (SteamInitMode)c.init;
            AppId = c.app_id;
            GamePort = c.game_port;
            QueryPort = c.query_port;
            AllowIPWithoutAuth = c.allow_ip_without_auth != 0;
            TimeoutInitialMs = c.timeout_initial_ms;
            TimeoutConnectedMs = c.timeout_connected_ms;
            DebugOutputLevel = c.debug_output_level;
            SendRateMin = c.send_rate_min;
            SendRateMax = c.send_rate_max;
            SendBufferSize = c.send_buffer_size;
        }
    }

    /// <summary>
    /// A Steam backend of a <see cref="Server"/> (ly_steam_server_config), added
    /// with <see cref="Server.AddSteam"/>. Start from <see cref="IP"/> or
    /// <see cref="P2P"/>.
    /// </summary>
    public sealed class SteamServerConfig
    {
        /// <summary>IP (the default): listen on <see cref="Address"/>; P2P: on <see cref="VirtualPort"/> of the local SteamID (Steamworks only).</summary>
        public SteamMode Mode;

        /// <summary><see cref="SteamMode.IP"/>: "ip:port" to listen on (port required), for example "0.0.0.0:27015".</summary>
        public string Address;

        /// <summary><see cref="SteamMode.P2P"/>: the virtual port clients connect to.</summary>
        public int VirtualPort;

        /// <summary>Steam clients connected at once; 0 means the library's default (256).</summary>
        public int MaxClients;

        /// <summary>The largest payload sent or received, 1..1200; 0 means 1200 (<see cref="Library.MaxPayloadSize"/>).</summary>
        public int MaxPayload;

        public unsafe SteamServerConfig()
        {
            Library.EnsureLoaded();
            Native.ly_steam_server_config c;
            Native.ly_steam_server_config_defaults(&c);
            Mode = (SteamMode)c.mode;
            VirtualPort = c.virtual_port;
            MaxClients = (int)c.max_clients;
            MaxPayload = (int)c.max_payload;
        }

        /// <summary>Listen on an address and port ("0.0.0.0:27015").</summary>
        public static SteamServerConfig IP(string address)
        {
            return new SteamServerConfig { Mode = SteamMode.IP, Address = address };
        }

        /// <summary>Listen on a virtual port of this process's SteamID, through Valve's relays (Steamworks only).</summary>
        public static SteamServerConfig P2P(int virtualPort)
        {
            return new SteamServerConfig { Mode = SteamMode.P2P, VirtualPort = virtualPort };
        }

        internal void Validate()
        {
            if (MaxClients < 0)
                throw new ArgumentOutOfRangeException("MaxClients", MaxClients, "must not be negative");
            SteamLimits.CheckMaxPayload(MaxPayload);
        }
    }

    /// <summary>
    /// A Steam client (ly_steam_client_config), made with
    /// <see cref="Client.CreateSteam"/>. Start from <see cref="IP"/> or
    /// <see cref="P2P"/>.
    /// </summary>
    public sealed class SteamClientConfig
    {
        /// <summary>IP (the default): connect to <see cref="Address"/>; P2P: to <see cref="ServerSteamId"/> on <see cref="VirtualPort"/> (Steamworks only).</summary>
        public SteamMode Mode;

        /// <summary><see cref="SteamMode.IP"/>: the server's "ip:port".</summary>
        public string Address;

        /// <summary><see cref="SteamMode.P2P"/>: the SteamID64 hosting the server.</summary>
        public ulong ServerSteamId;

        /// <summary><see cref="SteamMode.P2P"/>: the server's virtual port.</summary>
        public int VirtualPort;

        /// <summary>The largest payload sent or received, 1..1200; 0 means 1200 (<see cref="Library.MaxPayloadSize"/>).</summary>
        public int MaxPayload;

        public unsafe SteamClientConfig()
        {
            Library.EnsureLoaded();
            Native.ly_steam_client_config c;
            Native.ly_steam_client_config_defaults(&c);
            Mode = (SteamMode)c.mode;
            ServerSteamId = c.server_steam_id;
            VirtualPort = c.virtual_port;
            MaxPayload = (int)c.max_payload;
        }

        /// <summary>Connect to a server's address and port ("203.0.113.5:27015").</summary>
        public static SteamClientConfig IP(string address)
        {
            return new SteamClientConfig { Mode = SteamMode.IP, Address = address };
        }

        /// <summary>Connect to the server hosted by a SteamID on a virtual port, through Valve's relays (Steamworks only).</summary>
        public static SteamClientConfig P2P(ulong serverSteamId, int virtualPort)
        {
            return new SteamClientConfig { Mode = SteamMode.P2P, ServerSteamId = serverSteamId, VirtualPort = virtualPort };
        }

        internal void Validate()
        {
            SteamLimits.CheckMaxPayload(MaxPayload);
        }
    }

    static class SteamLimits
    {
        // The native Steam backend accepts larger limits, but every send,
        // receive and poll of the header (and of this binding) is 1..1200
        // bytes, and a 1200-byte buffer must always fit.
        internal static void CheckMaxPayload(int maxPayload)
        {
            if (maxPayload < 0 || maxPayload > Native.LY_MAX_PAYLOAD_SIZE)
                throw new ArgumentOutOfRangeException("MaxPayload", maxPayload,
                    "must be 1.." + Native.LY_MAX_PAYLOAD_SIZE + ", or 0 for " + Native.LY_MAX_PAYLOAD_SIZE);
        }
    }
}
