// Client.cs - a netcode.io client (or a local client of a Server, or a
// Steam client), polled from the game loop: Update, then Receive until it
// returns false.
using System;
using System.Runtime.InteropServices;

namespace Lightyear.Conn
{
    /// <summary>
    /// A client: a netcode.io client made from a connect token (or with
    /// <see cref="CreateManual"/>), a local client from
    /// <see cref="Server.ConnectLocal"/>, or a Steam client from
    /// <see cref="CreateSteam"/>. Drive it from the game loop:
    /// <see cref="Update"/>, then <see cref="Receive(byte[], out int)"/> until it
    /// returns false. Send, Receive and Update allocate nothing.
    /// </summary>
    public sealed unsafe class Client : IDisposable
    {
        readonly ClientHandle handle;
        readonly int epoch;
        readonly ClientKind kind;
        readonly int steamEpoch; // Steam clients: Steam.Epoch when made

        /// <summary>
        /// Makes an idle client for a connect token (the bytes are copied; the
        /// token is checked by <see cref="Connect"/>). config may be null for
        /// the defaults.
        /// </summary>
        public Client(byte[] connectToken, ClientConfig config = null)
        {
            if (connectToken == null)
                throw new ArgumentNullException("connectToken");
            Library.EnsureLoaded();
            epoch = Library.Epoch;
            Native.ly_client_config c = config != null ? config.ToNative() : default(Native.ly_client_config);
            ClientHandle h;
            int rc;
            fixed (byte* t = connectToken)
                rc = Native.ly_client_create(t, (uint)connectToken.Length, config != null ? &c : null, out h);
            handle = Checked(rc, h, "ly_client_create");
            kind = ClientKind.Netcode;
        }

        internal Client(ClientHandle handle, ClientKind kind, int steamEpoch = 0)
        {
            epoch = Library.Epoch;
            this.handle = handle;
            this.kind = kind;
            this.steamEpoch = steamEpoch;
        }

        /// <summary>
        /// Makes an idle client that generates its own token (lightyear's
        /// Authentication::Manual): for tests and trusted setups only, since
        /// the client then holds the servers' private key. The token expires
        /// in 30 s with a 5 s timeout and zero user data. A key that is not 32
        /// bytes is LightyearException InvalidKey; a full handle table
        /// (1,048,576 live handles) is Internal.
        /// </summary>
        public static Client CreateManual(string serverAddress, ulong clientId, ulong protocolId, byte[] privateKey,
                                          ClientConfig config = null)
        {
            if (serverAddress == null)
                throw new ArgumentNullException("serverAddress");
            if (privateKey == null)
                throw new ArgumentNullException("privateKey");
            Library.EnsureLoaded();
            byte[] address = Utf8.ToNative(serverAddress, "serverAddress");
            Native.ly_client_config c = config != null ? config.ToNative() : default(Native.ly_client_config);
            ClientHandle h;
            int rc;
            fixed (byte* a = address)
            fixed (byte* k = privateKey)
                rc = Native.ly_client_create_manual(a, clientId, protocolId, k, (uint)privateKey.Length,
                                                    config != null ? &c : null, out h);
            return new Client(Checked(rc, h, "ly_client_create_manual"), ClientKind.Netcode);
        }

        /// <summary>
        /// Makes an idle Steam client (ly_client_create_steam): <see cref="Connect"/>
        /// it, then use it like any client (Update, Send, Receive, State,
        /// Disconnect, Stats). <see cref="SetToken"/> and
        /// <see cref="SetConditioner"/> do not apply (InvalidArgument). Steam
        /// keeps its own clock for handshakes and timeouts; Update's dt only
        /// drives the statistics. Call <see cref="Steam.Open(SteamConfig)"/>
        /// first (else LightyearException SteamUnavailable); a malformed
        /// address is InvalidArgument; a full handle table (1,048,576 live
        /// handles) is Internal.
        /// </summary>
        public static Client CreateSteam(SteamClientConfig config)
        {
            if (config == null)
                throw new ArgumentNullException("config");
            config.Validate();
            Library.EnsureLoaded();
            byte[] address = Utf8.ToNative(config.Address, "Address");
            Native.ly_steam_client_config c;
            Native.ly_steam_client_config_defaults(&c);
            c.mode = (uint)config.Mode;
            c.server_steam_id = config.ServerSteamId;
            c.virtual_port = config.VirtualPort;
            c.max_payload = (uint)config.MaxPayload;
            ClientHandle h;
            int rc;
            // Read before the native call: a Steam.Close racing with it then
            // leaves this client disposed, never alive over a closed Steam.
            int steam = Steam.Epoch;
            fixed (byte* a = address)
            {
                c.address = a;
                rc = Native.ly_client_create_steam(&c, out h);
            }
            return new Client(Checked(rc, h, "ly_client_create_steam"), ClientKind.Steam, steam);
        }

        static ClientHandle Checked(int rc, ClientHandle h, string function)
        {
            if (rc >= 0)
                return h;
            string detail = Utf8.FromNative(Native.ly_last_error());
            if (h != null)
                h.Dispose();
            throw new LightyearException((ErrorCode)rc, function, detail);
        }

        /// <summary>The raw handle for one native call; ObjectDisposedException if disposed.</summary>
        IntPtr Handle()
        {
            if (handle.IsClosed)
                Err.Disposed("Client");
            if (epoch != Library.Epoch)
                Err.DisposedByShutdown("Client");
            if (kind == ClientKind.Steam && steamEpoch != Steam.Epoch)
                Err.DisposedBySteamClose();
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
                    Err.Disposed("Client");
                if (epoch != Library.Epoch)
                    Err.DisposedByShutdown("Client");
                if (kind == ClientKind.Steam && steamEpoch != Steam.Epoch)
                    Err.DisposedBySteamClose();
            }
            Err.Throw(rc, function, requiredSize);
        }

        /// <summary>True for a local client made by <see cref="Server.ConnectLocal"/>.</summary>
        public bool IsLocal { get { return kind == ClientKind.Local; } }

        /// <summary>True for a Steam client made by <see cref="CreateSteam"/>.</summary>
        public bool IsSteam { get { return kind == ClientKind.Steam; } }

        /// <summary>True once Dispose ran (or Library.Shutdown destroyed the client, or Steam.Close closed a Steam client).</summary>
        public bool IsDisposed
        {
            get { return handle.IsClosed || epoch != Library.Epoch || (kind == ClientKind.Steam && steamEpoch != Steam.Epoch); }
        }

        /// <summary>Disconnects (telling the server) and frees the client. Safe to call twice.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        /// <summary>Starts connecting with the token's first server address whose socket opens (an address of a family the host lacks, such as IPv6, is skipped; a local client reconnects).</summary>
        public void Connect()
        {
            Check(Native.ly_client_connect(Handle()), "ly_client_connect");
        }

        /// <summary>Replaces the token for the next Connect: a completed handshake consumes a token, so reconnecting needs a fresh one.</summary>
        public void SetToken(byte[] connectToken)
        {
            if (connectToken == null)
                throw new ArgumentNullException("connectToken");
            fixed (byte* t = connectToken)
                Check(Native.ly_client_set_token(Handle(), t, (uint)connectToken.Length), "ly_client_set_token");
        }

        /// <summary>Advances the client's clock by dtSeconds (finite, >= 0), reads what arrived (until the socket is empty, at most 4096 datagrams per update), sends what is due.</summary>
        public void Update(double dtSeconds)
        {
            int rc = Native.ly_client_update(Handle(), dtSeconds);
            if (rc < 0)
                Fail(rc, "ly_client_update", 0);
        }

        /// <summary>Disconnects, telling the server. A no-op for an idle client.</summary>
        public void Disconnect()
        {
            Check(Native.ly_client_disconnect(Handle()), "ly_client_disconnect");
        }

        public ClientState State
        {
            get
            {
                int state;
                Check(Native.ly_client_get_state(Handle(), &state), "ly_client_get_state");
                return (ClientState)state;
            }
        }

        public bool IsConnected { get { return State == ClientState.Connected; } }

        /// <summary>Why the last connection or attempt ended, or None while it goes on.</summary>
        public DisconnectReason DisconnectReason
        {
            get
            {
                return (DisconnectReason)Check(Native.ly_client_disconnect_reason(Handle()), "ly_client_disconnect_reason");
            }
        }

        /// <summary>The client's id: for a token client, ClientConfig.ClientId (tokens do not tell it); for a local client, ClientId.Local(id).</summary>
        public ClientId Id
        {
            get
            {
                ClientId id;
                Check(Native.ly_client_id_of(Handle(), &id), "ly_client_id_of");
                return id;
            }
        }

        /// <summary>The client's socket address, or "" if no socket is open yet (or a local client).</summary>
        public string LocalAddress
        {
            get
            {
                byte* buf = stackalloc byte[Native.LY_ADDRESS_STRING_SIZE];
                int n = Check(Native.ly_client_local_address(Handle(), buf, Native.LY_ADDRESS_STRING_SIZE), "ly_client_local_address");
                return Utf8.FromBuffer(buf, n);
            }
        }

        // ------------------------------------------------------------------
        // Payloads

        /// <summary>Sends a whole array (1..1200 bytes) to the server.</summary>
        public void Send(byte[] data)
        {
            Send(data, 0, data == null ? 0 : data.Length);
        }

        /// <summary>
        /// Sends data[offset..offset+count) (1..1200 bytes); copied before the call returns. Needs State Connected.
        /// A Steam client whose send buffer is full throws <see cref="SendBufferFullException"/> (not sent).
        /// </summary>
        public void Send(byte[] data, int offset, int count)
        {
            Err.CheckPayload(data, offset, count);
            int rc;
            fixed (byte* p = data)
                rc = Native.ly_client_send(Handle(), p + offset, (uint)count);
            if (rc < 0)
                Fail(rc, "ly_client_send", 0);
        }

        /// <summary>Sends 1..1200 bytes without a copy on the managed side.</summary>
        public void Send(ReadOnlySpan<byte> data)
        {
            Err.CheckPayloadSize(data.Length);
            int rc;
            fixed (byte* p = &MemoryMarshal.GetReference(data))
                rc = Native.ly_client_send(Handle(), p, (uint)data.Length);
            if (rc < 0)
                Fail(rc, "ly_client_send", 0);
        }

        /// <summary>
        /// Takes the next received payload into buffer (at offset 0) and
        /// returns true, with its size in length; false if none is waiting. A
        /// 1200-byte buffer always fits; a payload that does not fit throws
        /// LightyearException (BufferTooSmall, RequiredSize set) and stays queued.
        /// </summary>
        public bool Receive(byte[] buffer, out int length)
        {
            if (buffer == null)
                throw new ArgumentNullException("buffer");
            fixed (byte* b = buffer)
                return Receive(b, buffer.Length, out length);
        }

        /// <summary>Receive into a span (for example a slice of a larger buffer or stackalloc memory).</summary>
        public bool Receive(Span<byte> buffer, out int length)
        {
            fixed (byte* b = &MemoryMarshal.GetReference(buffer))
                return Receive(b, buffer.Length, out length);
        }

        bool Receive(byte* buf, int size, out int length)
        {
            uint needed = 0;
            int rc = Native.ly_client_receive(Handle(), buf, (uint)size, &needed);
            if (rc < 0)
                Fail(rc, "ly_client_receive", (int)needed);
            length = rc;
            return rc > 0;
        }

        // ------------------------------------------------------------------
        // Link conditioner and stats

        /// <summary>Conditions what the client sends and receives; null turns a direction off. Not for local clients (LightyearException InvalidArgument).</summary>
        public void SetConditioner(ConditionerConfig? send, ConditionerConfig? recv)
        {
            Native.ly_conditioner_config s = default(Native.ly_conditioner_config), r = default(Native.ly_conditioner_config);
            if (send.HasValue)
                s = send.Value.ToNative();
            if (recv.HasValue)
                r = recv.Value.ToNative();
            Check(Native.ly_client_set_conditioner(Handle(), send.HasValue ? &s : null, recv.HasValue ? &r : null),
                      "ly_client_set_conditioner");
        }

        /// <summary>The client's traffic counters.</summary>
        public ConnectionStats Stats
        {
            get
            {
                var s = default(Native.ly_stats);
                s.struct_size = (uint)sizeof(Native.ly_stats);
                Check(Native.ly_client_stats(Handle(), &s), "ly_client_stats");
                return new ConnectionStats(ref s);
            }
        }

        /// <summary>
        /// Steam's live view of a Steam client's connection
        /// (ly_client_connection_status). Throws LightyearException:
        /// InvalidArgument (not a Steam client), NotConnected (not connecting
        /// or connected); ObjectDisposedException after Steam.Close.
        /// </summary>
        public ConnectionStatus ConnectionStatus()
        {
            var s = default(Native.ly_connection_status);
            s.struct_size = (uint)sizeof(Native.ly_connection_status);
            Check(Native.ly_client_connection_status(Handle(), &s), "ly_client_connection_status");
            return new ConnectionStatus(ref s);
        }
    }
}
