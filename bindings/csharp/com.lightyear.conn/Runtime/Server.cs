// Server.cs - a netcode.io server (plus local and Steam clients) polled from the game
// loop: Update, then drain events with PollEvent/PollEvents, Send replies.
using System;
using System.Runtime.InteropServices;

namespace Lightyear.Conn
{
    /// <summary>
    /// A server: netcode.io clients over UDP (and browsers over WebSocket or
    /// WebTransport, see <see cref="ServerConfig.BindAddresses"/>) on the bound addresses, plus local
    /// (in-process) clients from <see cref="ConnectLocal"/>, plus Steam clients
    /// once a Steam backend is added with <see cref="AddSteam"/>. Drive it from the
    /// game loop: <see cref="Update"/>, then <see cref="PollEvents(ServerEvent[], byte[])"/>
    /// until it returns 0. Nothing happens between Update calls.
    /// <para>
    /// Threads: every method may be called from any thread (calls are
    /// serialised natively), but the <see cref="PayloadBuffer"/> overloads of
    /// the poll methods share one buffer: poll one server from one thread.
    /// </para>
    /// <para>
    /// Garbage: Send, Broadcast, Update, PollEvent and PollEvents allocate
    /// nothing (payloads are copied into buffers you own or into
    /// <see cref="PayloadBuffer"/>). Only failures (exceptions) and the
    /// string/array-returning queries allocate.
    /// </para>
    /// </summary>
    public sealed unsafe class Server : IDisposable
    {
        /// <summary>Events per batch the internal <see cref="PayloadBuffer"/> holds payloads for without stopping a batch early.</summary>
        public const int PayloadBufferEvents = 64;

        readonly ServerHandle handle;
        readonly int epoch;
        readonly byte[] payloadBuffer = new byte[PayloadBufferEvents * Native.LY_MAX_PAYLOAD_SIZE];

        /// <summary>Makes a stopped server (ly_server_create); <see cref="Start"/> binds the sockets.</summary>
        /// <exception cref="ArgumentNullException">config is null.</exception>
        /// <exception cref="ArgumentException">PrivateKey is not 32 bytes; a string contains a NUL character.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative count or time, in the config or its <see cref="ServerConfig.WebOptions"/>.</exception>
        /// <exception cref="LightyearException">InvalidArgument (a malformed address, an unknown scheme, ws:// off loopback, MaxClients over 1048576, TokenHistorySize over 2^30, or web options the library refuses: see <see cref="SetWebOptions(WebOptions)"/>), Internal (the handle table is full).</exception>
        public Server(ServerConfig config)
        {
            if (config == null)
                throw new ArgumentNullException("config");
            Library.EnsureLoaded();
            epoch = Library.Epoch;
            handle = Create(config);
        }

        static ServerHandle Create(ServerConfig config)
        {
            Err.CheckKey(config.PrivateKey, "PrivateKey");
            if (config.MaxClients < 0)
                throw new ArgumentOutOfRangeException("MaxClients", config.MaxClients, "must not be negative");
            if (config.TokenHistorySize < 0)
                throw new ArgumentOutOfRangeException("TokenHistorySize", config.TokenHistorySize, "must not be negative");
            byte[] bind = Utf8.ToNative(config.BindAddresses, "BindAddresses");
            byte[] pub = Utf8.ToNative(config.PublicAddresses, "PublicAddresses");
            Native.ly_server_config c;
            Native.ly_server_config_defaults(&c);
            c.protocol_id = config.ProtocolId;
            for (int i = 0; i < Native.LY_KEY_SIZE; i++)
                c.private_key[i] = config.PrivateKey[i];
            c.max_clients = (uint)config.MaxClients;
            c.batch_sends = config.BatchSends ? 1u : 0u;
            c.max_token_lifetime_seconds = config.MaxTokenLifetimeSeconds;
            c.token_history_size = (uint)config.TokenHistorySize;
            ServerHandle h;
            int rc;
            fixed (byte* b = bind)
            fixed (byte* p = pub)
            {
                c.bind_addresses = b;
                c.public_addresses = p;
                rc = Native.ly_server_create(&c, out h);
            }
            if (rc < 0)
            {
                string detail = Utf8.FromNative(Native.ly_last_error());
                if (h != null)
                    h.Dispose();
                throw new LightyearException((ErrorCode)rc, "ly_server_create", detail);
            }
            if (config.WebOptions != null)
            {
                string detail = null;
                try
                {
                    rc = config.WebOptions.Apply(h.DangerousGetHandle());
                    if (rc < 0)
                        detail = Utf8.FromNative(Native.ly_last_error()); // before destroy can overwrite it
                }
                catch
                {
                    h.Dispose();
                    throw;
                }
                if (rc < 0)
                {
                    h.Dispose();
                    Err.Throw(rc, "ly_server_set_web_options", detail, 0);
                }
            }
            return h;
        }

        /// <summary>The raw handle for one native call; ObjectDisposedException if disposed.</summary>
        IntPtr Handle()
        {
            if (handle.IsClosed)
                Err.Disposed("Server");
            if (epoch != Library.Epoch)
                Err.DisposedByShutdown("Server");
            return handle.DangerousGetHandle();
        }

        // Every native call's result goes through one of these instance methods
        // (on the error path at least), so this object, and with it the
        // handle, stays reachable until the call has returned: the finalizer
        // cannot destroy the handle under a running call.

        int Check(int rc, string function)
        {
            if (rc < 0)
                Fail(rc, function, 0);
            return rc;
        }

        void Fail(int rc, string function, int requiredSize)
        {
            if (rc == (int)ErrorCode.InvalidHandle)
            {
                // Disposed (or shut down) by another thread during the call.
                if (handle.IsClosed)
                    Err.Disposed("Server");
                if (epoch != Library.Epoch)
                    Err.DisposedByShutdown("Server");
            }
            Err.Throw(rc, function, requiredSize);
        }

        /// <summary>True once Dispose ran (or Library.Shutdown destroyed the server).</summary>
        public bool IsDisposed { get { return handle.IsClosed || epoch != Library.Epoch; } }

        /// <summary>Stops the server if it runs (telling every client) and frees it. Safe to call twice.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        /// <summary>Binds the sockets; fresh challenge key and sequences each start.</summary>
        public void Start()
        {
            Check(Native.ly_server_start(Handle()), "ly_server_start");
        }

        /// <summary>Disconnects every client (a Disconnected event with ServerStopped each, still pollable) and closes the sockets.</summary>
        public void Stop()
        {
            Check(Native.ly_server_stop(Handle()), "ly_server_stop");
        }

        public bool IsRunning
        {
            get
            {
                return Check(Native.ly_server_running(Handle()), "ly_server_running") == 1;
            }
        }

        /// <summary>Advances the server's clock by dtSeconds (finite, >= 0), reads and handles what arrived, sends keep-alives, times clients out. Each socket is read until empty or max(4096, 16 * MaxClients) datagrams per update; the rest waits for the next update.</summary>
        public void Update(double dtSeconds)
        {
            int rc = Native.ly_server_update(Handle(), dtSeconds);
            if (rc < 0)
                Fail(rc, "ly_server_update", 0);
        }

        // ------------------------------------------------------------------
        // Sending

        /// <summary>Sends a whole array (1..1200 bytes) to a connected client.</summary>
        public void Send(ClientId client, byte[] data)
        {
            Send(client, data, 0, data == null ? 0 : data.Length);
        }

        /// <summary>
        /// Sends data[offset..offset+count) (1..1200 bytes) to a connected client. The bytes are copied before the call returns.
        /// A Steam client whose send buffer is full throws <see cref="SendBufferFullException"/> (not sent).
        /// </summary>
        public void Send(ClientId client, byte[] data, int offset, int count)
        {
            Err.CheckPayload(data, offset, count);
            int rc;
            fixed (byte* p = data)
                rc = Native.ly_server_send(Handle(), client, p + offset, (uint)count);
            if (rc < 0)
                Fail(rc, "ly_server_send", 0);
        }

        /// <summary>Sends 1..1200 bytes to a connected client, without a copy on the managed side.</summary>
        public void Send(ClientId client, ReadOnlySpan<byte> data)
        {
            Err.CheckPayloadSize(data.Length);
            int rc;
            fixed (byte* p = &MemoryMarshal.GetReference(data))
                rc = Native.ly_server_send(Handle(), client, p, (uint)data.Length);
            if (rc < 0)
                Fail(rc, "ly_server_send", 0);
        }

        /// <summary>
        /// Sends one payload (1..1200 bytes) to every connected client. <see cref="SendBufferFullException"/>:
        /// some Steam clients' send buffers were full and they did not get it; every other client did.
        /// </summary>
        public void Broadcast(byte[] data)
        {
            Broadcast(data, 0, data == null ? 0 : data.Length);
        }

        public void Broadcast(byte[] data, int offset, int count)
        {
            Err.CheckPayload(data, offset, count);
            int rc;
            fixed (byte* p = data)
                rc = Native.ly_server_broadcast(Handle(), p + offset, (uint)count);
            if (rc < 0)
                Fail(rc, "ly_server_broadcast", 0);
        }

        public void Broadcast(ReadOnlySpan<byte> data)
        {
            Err.CheckPayloadSize(data.Length);
            int rc;
            fixed (byte* p = &MemoryMarshal.GetReference(data))
                rc = Native.ly_server_broadcast(Handle(), p, (uint)data.Length);
            if (rc < 0)
                Fail(rc, "ly_server_broadcast", 0);
        }

        /// <summary>
        /// Writes what Send and Broadcast queued when <see cref="ServerConfig.BatchSends"/>
        /// is set (ly_server_flush); nothing is queued otherwise.
        /// </summary>
        public void Flush()
        {
            int rc = Native.ly_server_flush(Handle());
            if (rc < 0)
                Fail(rc, "ly_server_flush", 0);
        }

        // ------------------------------------------------------------------
        // Events

        /// <summary>
        /// The server's reusable payload buffer (64 x 1200 bytes), filled by
        /// the poll overloads without a buffer argument. Its contents stay
        /// valid until the next such poll call.
        /// </summary>
        public byte[] PayloadBuffer { get { return payloadBuffer; } }

        /// <summary>The payload of an event polled into <see cref="PayloadBuffer"/>. No copy.</summary>
        public ReadOnlySpan<byte> GetPayload(in ServerEvent ev)
        {
            return ev.GetPayload(payloadBuffer);
        }

        /// <summary>
        /// Takes the oldest event; a payload is copied into payloadBuffer at
        /// offset 0 (a 1200-byte buffer always fits). Returns false if no event
        /// is pending. A payload that does not fit throws LightyearException
        /// (BufferTooSmall, RequiredSize set) and stays queued.
        /// </summary>
        public bool PollEvent(out ServerEvent ev, byte[] payloadBuffer)
        {
            if (payloadBuffer == null)
                throw new ArgumentNullException("payloadBuffer");
            ServerEvent e;
            int rc;
            fixed (byte* b = payloadBuffer)
                rc = Native.ly_server_poll(Handle(), &e, b, (uint)payloadBuffer.Length);
            if (rc < 0)
                Fail(rc, "ly_server_poll", rc == (int)ErrorCode.BufferTooSmall ? e.PayloadLength : 0);
            ev = rc == 1 ? e : default(ServerEvent);
            return rc == 1;
        }

        /// <summary>PollEvent into <see cref="PayloadBuffer"/>: read a payload with <see cref="GetPayload"/> before the next poll.</summary>
        public bool PollEvent(out ServerEvent ev)
        {
            return PollEvent(out ev, payloadBuffer);
        }

        /// <summary>
        /// Takes up to events.Length events in one native call (ly_server_poll_batch).
        /// Payloads are packed into payloadBuffer one after another; each
        /// payload event gives its PayloadOffset and PayloadLength. Stops early
        /// when the next payload does not fit (it stays queued). Returns the
        /// number of events written, 0 if none is pending.
        /// </summary>
        public int PollEvents(ServerEvent[] events, byte[] payloadBuffer)
        {
            if (events == null)
                throw new ArgumentNullException("events");
            if (events.Length == 0)
                throw new ArgumentException("events must hold at least one event", "events");
            if (payloadBuffer == null)
                throw new ArgumentNullException("payloadBuffer");
            int rc;
            fixed (ServerEvent* e = events)
            fixed (byte* b = payloadBuffer)
                rc = Native.ly_server_poll_batch(Handle(), e, (uint)events.Length, b, (uint)payloadBuffer.Length);
            if (rc < 0)
                Fail(rc, "ly_server_poll_batch", rc == (int)ErrorCode.BufferTooSmall ? events[0].PayloadLength : 0);
            return rc;
        }

        /// <summary>PollEvents into <see cref="PayloadBuffer"/>: read payloads with <see cref="GetPayload"/> before the next poll.</summary>
        public int PollEvents(ServerEvent[] events)
        {
            return PollEvents(events, payloadBuffer);
        }

        // ------------------------------------------------------------------
        // Clients

        /// <summary>Disconnects one client, telling it; its Disconnected event carries DisconnectReason.Local.</summary>
        public void Disconnect(ClientId client)
        {
            Check(Native.ly_server_disconnect(Handle(), client), "ly_server_disconnect");
        }

        public void DisconnectAll()
        {
            Check(Native.ly_server_disconnect_all(Handle()), "ly_server_disconnect_all");
        }

        /// <summary>The number of connected clients (netcode and local).</summary>
        public int ConnectedCount
        {
            get
            {
                return Check(Native.ly_server_num_connected(Handle()), "ly_server_num_connected");
            }
        }

        public int MaxClients
        {
            get
            {
                return Check(Native.ly_server_max_clients(Handle()), "ly_server_max_clients");
            }
        }

        /// <summary>Writes up to ids.Length connected ids into ids; returns how many clients are connected (may be more than ids.Length).</summary>
        public int GetConnectedClients(ClientId[] ids)
        {
            if (ids == null)
                throw new ArgumentNullException("ids");
            fixed (ClientId* p = ids)
                return Check(Native.ly_server_connected_ids(Handle(), p, (uint)ids.Length), "ly_server_connected_ids");
        }

        /// <summary>The connected clients' ids (allocates an array).</summary>
        public ClientId[] ConnectedClients
        {
            get
            {
                var ids = new ClientId[Math.Max(ConnectedCount, 4)];
                for (;;)
                {
                    int n = GetConnectedClients(ids);
                    if (n <= ids.Length)
                    {
                        Array.Resize(ref ids, n);
                        return ids;
                    }
                    ids = new ClientId[n];
                }
            }
        }

        /// <summary>A connected client's address ("ip:port").</summary>
        public string GetClientAddress(ClientId client)
        {
            byte* buf = stackalloc byte[Native.LY_ADDRESS_STRING_SIZE];
            int n = Check(Native.ly_server_client_address(Handle(), client, buf, Native.LY_ADDRESS_STRING_SIZE), "ly_server_client_address");
            return Utf8.FromBuffer(buf, n);
        }

        /// <summary>The 256 bytes of user data the client's token carried.</summary>
        public byte[] GetClientUserData(ClientId client)
        {
            var data = new byte[Native.LY_USER_DATA_SIZE];
            GetClientUserData(client, data);
            return data;
        }

        /// <summary>Copies the 256 bytes of user data the client's token carried into userData (at least 256 bytes).</summary>
        public void GetClientUserData(ClientId client, byte[] userData)
        {
            if (userData == null)
                throw new ArgumentNullException("userData");
            if (userData.Length < Native.LY_USER_DATA_SIZE)
                throw new ArgumentException("userData must hold " + Native.LY_USER_DATA_SIZE + " bytes", "userData");
            fixed (byte* p = userData)
                Check(Native.ly_server_client_user_data(Handle(), client, p), "ly_server_client_user_data");
        }

        /// <summary>Bound address number index (0 for the first), with the real port after binding port 0.</summary>
        public string GetAddress(int index)
        {
            if (index < 0)
                throw new ArgumentOutOfRangeException("index", index, "index must not be negative");
            byte* buf = stackalloc byte[Native.LY_ADDRESS_STRING_SIZE];
            int n = Check(Native.ly_server_address(Handle(), (uint)index, buf, Native.LY_ADDRESS_STRING_SIZE), "ly_server_address");
            return Utf8.FromBuffer(buf, n);
        }

        /// <summary>Every bound address (empty for a server without netcode sockets). The server must be running.</summary>
        public string[] Addresses
        {
            get
            {
                var list = new System.Collections.Generic.List<string>();
                byte* buf = stackalloc byte[Native.LY_ADDRESS_STRING_SIZE];
                for (uint i = 0; ; i++)
                {
                    int n = Native.ly_server_address(Handle(), i, buf, Native.LY_ADDRESS_STRING_SIZE);
                    if (n == (int)ErrorCode.InvalidArgument)
                        break; // past the last bound address
                    if (n < 0)
                        Fail(n, "ly_server_address", 0);
                    list.Add(Utf8.FromBuffer(buf, n));
                }
                return list.ToArray();
            }
        }

        /// <summary>
        /// Connects a local client: a client in this process that exchanges
        /// payloads with the server through memory (no socket, no encryption),
        /// for host-server mode. On a running server it is connected at once;
        /// the server gets a Connected event for ClientId.Local(id). Before the
        /// server starts (or while it is stopped) it waits in
        /// SendingConnectionRequest and connects when the server starts, as
        /// lightyear's host client does. Dispose the returned client when done
        /// (its finalizer frees it otherwise).
        /// </summary>
        public Client ConnectLocal(ulong id)
        {
            ClientHandle h;
            int rc = Native.ly_server_connect_local(Handle(), id, out h);
            if (rc < 0)
            {
                if (h != null)
                    h.SetHandleAsInvalid(); // nothing was made: no release
                Fail(rc, "ly_server_connect_local", 0);
            }
            return new Client(h, ClientKind.Local);
        }

        /// <summary>
        /// Adds a Steam backend (ly_server_add_steam), started now if the
        /// server runs, else with <see cref="Start"/>. Its clients have ids of
        /// kind <see cref="ClientKind.Steam"/> (the peer's SteamID64; for IP
        /// peers of GameNetworkingSockets, which have none, an id derived from
        /// the address) and come through the same polls, sends and queries as
        /// netcode and local clients. Payloads go as unreliable, no-nagle
        /// Steam messages. Call <see cref="Steam.Open(SteamConfig)"/> first.
        /// Throws <see cref="LightyearException"/>: SteamUnavailable (Steam is
        /// not open), InvalidArgument (bad mode or address, P2P without
        /// Steamworks, a second Steam backend), Socket (the listen socket failed).
        /// </summary>
        public void AddSteam(SteamServerConfig config)
        {
            if (config == null)
                throw new ArgumentNullException("config");
            config.Validate();
            byte[] address = Utf8.ToNative(config.Address, "Address");
            Native.ly_steam_server_config c;
            Native.ly_steam_server_config_defaults(&c);
            c.mode = (uint)config.Mode;
            c.virtual_port = config.VirtualPort;
            c.max_clients = (uint)config.MaxClients;
            c.max_payload = (uint)config.MaxPayload;
            int rc;
            fixed (byte* a = address)
            {
                c.address = a;
                rc = Native.ly_server_add_steam(Handle(), &c);
            }
            Check(rc, "ly_server_add_steam");
        }

        // ------------------------------------------------------------------
        // Fleet registration

        /// <summary>
        /// Lists this running server in the fleet directory the token service
        /// reads (ly_server_fleet_register): its public addresses, MaxClients as
        /// capacity, its tags and its connected netcode clients, kept alive by a
        /// heartbeat every Ttl / 3 until <see cref="DeregisterFromFleet"/>,
        /// <see cref="Stop"/> or Dispose. Returns at once: Redis work runs on a
        /// library thread (see <see cref="FleetStatus"/>); Update only stores the
        /// connected count. The config is copied.
        /// </summary>
        /// <exception cref="ArgumentNullException">config is null.</exception>
        /// <exception cref="ArgumentException">A string contains a NUL character.</exception>
        /// <exception cref="ArgumentOutOfRangeException">Ttl is negative or too large.</exception>
        /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
        /// <exception cref="LightyearException">InvalidArgument (no or malformed RedisUrl, a malformed or unspecified public address, Ttl below 30 ms, a server without a netcode backend), NotRunning (call <see cref="Start"/> first), AlreadyActive (already registered).</exception>
        public void RegisterWithFleet(FleetConfig config)
        {
            if (config == null)
                throw new ArgumentNullException("config");
            double ms = config.Ttl.TotalMilliseconds;
            if (ms < 0 || ms > uint.MaxValue)
                throw new ArgumentOutOfRangeException("Ttl", config.Ttl, "must be between 0 and " + uint.MaxValue + " ms");
            byte[] redis = Utf8.ToNative(config.RedisUrl, "RedisUrl");
            byte[] prefix = Utf8.ToNative(config.KeyPrefix, "KeyPrefix");
            byte[] id = Utf8.ToNative(config.ServerId, "ServerId");
            byte[] tags = Utf8.ToNative(config.Tags, "Tags");
            byte[] pub = Utf8.ToNative(config.PublicAddresses, "PublicAddresses");
            Native.ly_fleet_config c;
            Native.ly_fleet_config_defaults(&c);
            c.ttl_ms = (uint)Math.Ceiling(ms);
            int rc;
            fixed (byte* r = redis)
            fixed (byte* p = prefix)
            fixed (byte* i = id)
            fixed (byte* t = tags)
            fixed (byte* a = pub)
            {
                c.redis_url = r;
                c.key_prefix = p;
                c.server_id = i;
                c.tags = t;
                c.public_addresses = a;
                rc = Native.ly_server_fleet_register(Handle(), &c);
            }
            Check(rc, "ly_server_fleet_register");
        }

        /// <summary>
        /// Removes the server from the fleet at once (ly_server_fleet_deregister):
        /// stops the heartbeat and deletes its entry, waiting up to about 2 s for
        /// Redis (the entry expires with its TTL if Redis does not answer). Does
        /// nothing if the server is not registered.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
        public void DeregisterFromFleet()
        {
            Check(Native.ly_server_fleet_deregister(Handle()), "ly_server_fleet_deregister");
        }

        /// <summary>
        /// What the fleet registration is doing (ly_server_fleet_status):
        /// <see cref="Conn.FleetStatus.Registered"/> if the last Redis round
        /// succeeded, <see cref="Conn.FleetStatus.Pending"/> until the first round
        /// finished, <see cref="Conn.FleetStatus.Failing"/> if the last round
        /// failed (the library keeps retrying every Ttl / 3; <see cref="FleetError"/>
        /// has Redis's error), <see cref="Conn.FleetStatus.NotRegistered"/> if the
        /// server is not registered.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
        public FleetStatus FleetStatus
        {
            get
            {
                int rc = Native.ly_server_fleet_status(Handle());
                switch (rc)
                {
                    case Native.LY_FLEET_REGISTERED: return Conn.FleetStatus.Registered;
                    case Native.LY_FLEET_PENDING: return Conn.FleetStatus.Pending;
                    case (int)ErrorCode.NotRunning: return Conn.FleetStatus.NotRegistered;
                    case (int)ErrorCode.Socket:
                        fleetError = Utf8.FromNative(Native.ly_last_error());
                        return Conn.FleetStatus.Failing;
                }
                Check(rc, "ly_server_fleet_status");
                throw new LightyearException((ErrorCode)rc, "ly_server_fleet_status", "unexpected result");
            }
        }

        string fleetError = "";

        /// <summary>Redis's error from the last <see cref="FleetStatus"/> read that returned <see cref="Conn.FleetStatus.Failing"/>; "" before.</summary>
        public string FleetError { get { return fleetError; } }

        // ------------------------------------------------------------------
        // Browser transports (ws://, wss://, wt:// in BindAddresses)

        /// <summary>
        /// Sets the options of the server's browser listeners (ly_server_set_web_options);
        /// they are copied. The server must be stopped. Setting them again makes new
        /// self-signed wt:// certificates (new hashes) and zeroes <see cref="WebStats"/>.
        /// On a server without browser binds they are checked, kept, and do nothing.
        /// Nothing changes when it throws. <see cref="ServerConfig.WebOptions"/> sets
        /// them when the server is made.
        /// </summary>
        /// <exception cref="ArgumentNullException">options is null.</exception>
        /// <exception cref="ArgumentException">A string contains a NUL character.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A negative count or time, or a time too long for the header's 32-bit field.</exception>
        /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
        /// <exception cref="LightyearException">InvalidArgument (CertValidity outside 60 s..14 days, only one of CertFile and KeyFile, a certificate or key that cannot be read, a count over 1048576, a Path not starting with "/", a wss:// bind without CertFile; the message says which), AlreadyActive (the server is running: <see cref="Stop"/> first).</exception>
        public void SetWebOptions(WebOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            Check(options.Apply(Handle()), "ly_server_set_web_options");
        }

        /// <summary>
        /// The SHA-256 hashes (<see cref="WebOptions.CertHashSize"/> bytes each, newest
        /// first) of the self-signed certificates of the server's wt:// listeners (those
        /// without <see cref="WebOptions.CertFile"/>), in bind order
        /// (ly_server_web_cert_hashes). A page passes all of them as
        /// serverCertificateHashes. They change over time and with
        /// <see cref="RotateWebCert"/>: hand them to pages fresh, with the token. Empty
        /// without such listeners; works stopped or running. Allocates.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
        public byte[][] WebCertHashes
        {
            get
            {
                int max = 4;
                for (;;)
                {
                    var flat = new byte[max * Native.LY_WEB_CERT_HASH_SIZE];
                    uint count = 0;
                    int rc;
                    fixed (byte* p = flat)
                        rc = Native.ly_server_web_cert_hashes(Handle(), p, (uint)max, &count);
                    if (rc == (int)ErrorCode.BufferTooSmall && count > max)
                    {
                        max = (int)count + 1; // room for a rotation between the calls
                        continue;
                    }
                    Check(rc, "ly_server_web_cert_hashes");
                    var hashes = new byte[rc][];
                    for (int i = 0; i < rc; i++)
                    {
                        hashes[i] = new byte[Native.LY_WEB_CERT_HASH_SIZE];
                        Buffer.BlockCopy(flat, i * Native.LY_WEB_CERT_HASH_SIZE, hashes[i], 0, Native.LY_WEB_CERT_HASH_SIZE);
                    }
                    return hashes;
                }
            }
        }

        /// <summary>
        /// Makes a new self-signed certificate for every wt:// listener without
        /// <see cref="WebOptions.CertFile"/> and presents it at once, as when a key may
        /// have leaked (ly_server_web_rotate_cert). Open sessions keep theirs; the old
        /// hash stays in <see cref="WebCertHashes"/> until it expires.
        /// </summary>
        /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
        /// <exception cref="LightyearException">InvalidArgument (no wt:// listener with a self-signed certificate), Internal (making the certificate failed).</exception>
        public void RotateWebCert()
        {
            Check(Native.ly_server_web_rotate_cert(Handle()), "ly_server_web_rotate_cert");
        }

        /// <summary>The counters of the server's browser listeners, added up (ly_server_web_stats).</summary>
        /// <exception cref="ObjectDisposedException">The server was disposed.</exception>
        public WebStats WebStats
        {
            get
            {
                var s = default(Native.ly_web_stats);
                s.struct_size = (uint)sizeof(Native.ly_web_stats);
                Check(Native.ly_server_web_stats(Handle(), &s), "ly_server_web_stats");
                return new WebStats(ref s);
            }
        }

        // ------------------------------------------------------------------
        // Link conditioner and stats

        /// <summary>Conditions what the server sends and receives on its netcode sockets from now on; null turns a direction off. Local clients are not conditioned.</summary>
        public void SetConditioner(ConditionerConfig? send, ConditionerConfig? recv)
        {
            Native.ly_conditioner_config s = default(Native.ly_conditioner_config), r = default(Native.ly_conditioner_config);
            if (send.HasValue)
                s = send.Value.ToNative();
            if (recv.HasValue)
                r = recv.Value.ToNative();
            Check(Native.ly_server_set_conditioner(Handle(), send.HasValue ? &s : null, recv.HasValue ? &r : null),
                      "ly_server_set_conditioner");
        }

        /// <summary>The whole server's counters, every backend added up.</summary>
        public ConnectionStats Stats
        {
            get
            {
                var s = default(Native.ly_stats);
                s.struct_size = (uint)sizeof(Native.ly_stats);
                Check(Native.ly_server_stats(Handle(), &s), "ly_server_stats");
                return new ConnectionStats(ref s);
            }
        }

        /// <summary>One connected client's counters as the server sees them.</summary>
        public ConnectionStats ClientStats(ClientId client)
        {
            var s = default(Native.ly_stats);
            s.struct_size = (uint)sizeof(Native.ly_stats);
            Check(Native.ly_server_client_stats(Handle(), client, &s), "ly_server_client_stats");
            return new ConnectionStats(ref s);
        }

        /// <summary>
        /// Steam's live view of a connected Steam client's connection
        /// (ly_server_connection_status). Throws LightyearException:
        /// InvalidArgument (a netcode or local client: only Steam connections
        /// have a status), UnknownClient (no such connected Steam client, or no
        /// Steam backend), NotConnected (Steam has no status for it yet).
        /// </summary>
        public ConnectionStatus ConnectionStatus(ClientId client)
        {
            var s = default(Native.ly_connection_status);
            s.struct_size = (uint)sizeof(Native.ly_connection_status);
            Check(Native.ly_server_connection_status(Handle(), client, &s), "ly_server_connection_status");
            return new ConnectionStatus(ref s);
        }
    }
}
