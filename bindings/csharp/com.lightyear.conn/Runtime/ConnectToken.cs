// ConnectToken.cs - private keys and connect tokens: what a game's backend
// service does (ly_key_generate, ly_token_*).
using System;
using System.Text;

namespace Lightyear.Conn
{
    /// <summary>Private keys shared by the servers and the token backend (LY_KEY_SIZE bytes).</summary>
    public static unsafe class Keys
    {
        public const int Size = Native.LY_KEY_SIZE;

        /// <summary>A new key from the operating system's CSPRNG (ly_key_generate).</summary>
        public static byte[] Generate()
        {
            var key = new byte[Size];
            Generate(key);
            return key;
        }

        /// <summary>Fills key (exactly <see cref="Size"/> bytes) from the operating system's CSPRNG.</summary>
        public static void Generate(byte[] key)
        {
            Err.CheckKey(key, "key");
            Library.EnsureLoaded();
            fixed (byte* k = key)
                Err.Check(Native.ly_key_generate(k), "ly_key_generate");
        }

        /// <summary>The key as 64 lower-case hex digits (the --key format of the C examples).</summary>
        public static string ToHex(byte[] key)
        {
            Err.CheckKey(key, "key");
            var sb = new StringBuilder(Size * 2);
            for (int i = 0; i < key.Length; i++)
                sb.Append(key[i].ToString("x2"));
            return sb.ToString();
        }

        /// <summary>A key from 64 hex digits.</summary>
        public static byte[] FromHex(string hex)
        {
            if (hex == null)
                throw new ArgumentNullException("hex");
            if (hex.Length != Size * 2)
                throw new ArgumentException("a key is " + Size * 2 + " hex digits, not " + hex.Length, "hex");
            var key = new byte[Size];
            for (int i = 0; i < Size; i++)
                key[i] = (byte)(HexDigit(hex[2 * i], hex) << 4 | HexDigit(hex[2 * i + 1], hex));
            return key;
        }

        static int HexDigit(char c, string hex)
        {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            throw new ArgumentException("not a hex digit: '" + c + "'", "hex");
        }
    }

    /// <summary>What a connect token is made from (ly_token_params). The constructor takes the library's defaults: expire 30 s, timeout 5 s.</summary>
    public sealed class ConnectTokenParams
    {
        public ulong ProtocolId;
        /// <summary>The client's id; the server sees it as ClientId(Netcode, ClientId).</summary>
        public ulong ClientId;
        /// <summary>The private key shared with the servers (32 bytes).</summary>
        public byte[] PrivateKey;
        /// <summary>Where clients connect, tried in order: 1..32 addresses separated by spaces or commas ("127.0.0.1:40000 [::1]:40000").</summary>
        public string PublicAddresses;
        /// <summary>The same servers as they know themselves; null or "": the same as PublicAddresses.</summary>
        public string InternalAddresses;
        /// <summary>Seconds until the token is refused; negative: never.</summary>
        public long ExpireSeconds;
        /// <summary>Seconds without a packet before a connection times out; zero or negative: never.</summary>
        public int TimeoutSeconds;
        /// <summary>Up to 256 bytes the servers see for this client (the rest is zero); may be null.</summary>
        public byte[] UserData;

        public unsafe ConnectTokenParams()
        {
            Library.EnsureLoaded();
            Native.ly_token_params p;
            Native.ly_token_params_defaults(&p);
            ProtocolId = p.protocol_id;
            ClientId = p.client_id;
            ExpireSeconds = p.expire_seconds;
            TimeoutSeconds = p.timeout_seconds;
        }
    }

    /// <summary>The public part of a connect token: what a client can read (ly_token_info + the addresses).</summary>
    public sealed class ConnectTokenInfo
    {
        public ulong ProtocolId { get; internal set; }
        /// <summary>Unix seconds.</summary>
        public ulong CreateTimestamp { get; internal set; }
        /// <summary>Unix seconds, or ulong.MaxValue when the token never expires.</summary>
        public ulong ExpireTimestamp { get; internal set; }
        public bool NeverExpires { get { return ExpireTimestamp == Native.LY_NEVER_EXPIRES; } }
        /// <summary>Zero or negative: no timeout.</summary>
        public int TimeoutSeconds { get; internal set; }
        /// <summary>The server addresses, in the order a client tries them.</summary>
        public string[] Addresses { get; internal set; }
    }

    /// <summary>Connect tokens (LY_CONNECT_TOKEN_SIZE bytes): make them on the backend, read their public part anywhere.</summary>
    public static unsafe class ConnectToken
    {
        public const int Size = Native.LY_CONNECT_TOKEN_SIZE;

        /// <summary>
        /// Makes and seals a token for one client and one connection. Hand it
        /// to the client over a secure channel (TLS): anyone who reads it can
        /// connect as that client.
        /// </summary>
        public static byte[] Generate(ConnectTokenParams parameters)
        {
            var token = new byte[Size];
            Generate(parameters, token);
            return token;
        }

        /// <summary>Makes a token into token (at least <see cref="Size"/> bytes; a smaller array is LightyearException BufferTooSmall).</summary>
        public static void Generate(ConnectTokenParams parameters, byte[] token)
        {
            if (parameters == null)
                throw new ArgumentNullException("parameters");
            if (token == null)
                throw new ArgumentNullException("token");
            Err.CheckKey(parameters.PrivateKey, "PrivateKey");
            Library.EnsureLoaded();
            byte[] pub = Utf8.ToNative(parameters.PublicAddresses, "PublicAddresses");
            byte[] inner = Utf8.ToNative(parameters.InternalAddresses, "InternalAddresses");
            byte[] userData = parameters.UserData;
            Native.ly_token_params p;
            Native.ly_token_params_defaults(&p);
            p.protocol_id = parameters.ProtocolId;
            p.client_id = parameters.ClientId;
            p.expire_seconds = parameters.ExpireSeconds;
            p.timeout_seconds = parameters.TimeoutSeconds;
            p.user_data_size = userData == null ? 0u : (uint)userData.Length;
            fixed (byte* key = parameters.PrivateKey)
            fixed (byte* pubp = pub)
            fixed (byte* innerp = inner)
            fixed (byte* ud = userData)
            fixed (byte* outp = token)
            {
                p.private_key = key;
                p.public_addresses = pubp;
                p.internal_addresses = innerp;
                p.user_data = ud;
                int rc = Native.ly_token_generate(&p, outp, (uint)token.Length);
                if (rc < 0)
                    Err.Throw(rc, "ly_token_generate", rc == (int)ErrorCode.BufferTooSmall ? Size : 0);
            }
        }

        /// <summary>Reads the public part of a token: protocol id, timestamps, timeout and server addresses.</summary>
        public static ConnectTokenInfo Read(byte[] token)
        {
            if (token == null)
                throw new ArgumentNullException("token");
            Library.EnsureLoaded();
            var info = default(Native.ly_token_info);
            info.struct_size = (uint)sizeof(Native.ly_token_info);
            fixed (byte* t = token)
                Err.Check(Native.ly_token_read(t, (uint)token.Length, &info), "ly_token_read");
            var addresses = new string[info.num_addresses];
            for (int i = 0; i < addresses.Length; i++)
                addresses[i] = GetAddress(token, i);
            return new ConnectTokenInfo
            {
                ProtocolId = info.protocol_id,
                CreateTimestamp = info.create_timestamp,
                ExpireTimestamp = info.expire_timestamp,
                TimeoutSeconds = info.timeout_seconds,
                Addresses = addresses,
            };
        }

        /// <summary>Server address number index of a token ("127.0.0.1:40000", "[::1]:40000").</summary>
        public static string GetAddress(byte[] token, int index)
        {
            if (token == null)
                throw new ArgumentNullException("token");
            if (index < 0)
                throw new ArgumentOutOfRangeException("index", index, "index must not be negative");
            Library.EnsureLoaded();
            byte* buf = stackalloc byte[Native.LY_ADDRESS_STRING_SIZE];
            int n;
            fixed (byte* t = token)
                n = Err.Check(Native.ly_token_address(t, (uint)token.Length, (uint)index, buf, Native.LY_ADDRESS_STRING_SIZE), "ly_token_address");
            return Utf8.FromBuffer(buf, n);
        }
    }
}
