// Tests.cs - the C# binding's tests, run by bindings/csharp/test.sh on Mono.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;

namespace Lightyear.Conn.Tests
{
    static class Program
    {
        static int Main(string[] args)
        {
            var tests = new List<KeyValuePair<string, Action>>();
            Action<string, Action> add = (name, body) => tests.Add(new KeyValuePair<string, Action>(name, body));

            add("version check on first use", VersionCheck);
            add("native layer binds every header function", BindsEveryFunction);
            add("struct layouts match the C compiler", StructLayouts);
            add("enums and constants have the header's values", EnumsAndConstants);
            add("keys and tokens: generate, read, addresses", Tokens);
            add("udp loopback: payloads both ways, every size", UdpLoopback);
            add("udp loopback: server queries, disconnect, stop", ServerQueries);
            add("batch sends: payloads wait for Flush", BatchSends);
            add("local client: connect, payloads, disconnect", LocalClient);
            add("local client: made before the server starts, connects at Start", LocalClientBeforeStart);
            add("cross-language: token from C token_backend, C# client and server", TokenFromC);
            add("cross-language: C# token and client, C echo_server", CSharpClientToCServer);
            add("buffer too small: the event or payload stays queued", BufferTooSmall);
            add("misuse throws the documented exceptions", Misuse);
            add("native errors become LightyearException with the code", NativeErrors);
            add("link conditioner: presets, set, invalid", Conditioner);
            add("stats: server, per client, client", Stats);
            add("token history full: refused, counted, one Warning event", TokenHistoryFull);
            add("threads: sends from several threads", Threads);
            add("threads: Dispose while other threads call", DisposeRace);
            add("zero managed allocation per payload (local client)", ZeroAllocLocal);
            add("zero managed allocation per payload (udp)", ZeroAllocUdp);
            add("gc stress while polling; abandoned handles are finalized", GcStress);
            add("host runtime unharmed: DivideByZero, NullReference, GC and callers, in each Mono suspend mode", HostRuntimeUnharmed);
            add("finalizer frees an abandoned server's socket", FinalizerFreesSocket);
            add("unity package: manifest, asmdef, a .meta for every asset, plugin platforms", UnityPackage);
            add("unity build: runtime, samples and iOS compile against a UnityEngine stub; quitting shuts down", UnityBuild);
            add("steam: open errors (missing library, Steam's init failure, not open), argument checks", SteamOpenErrors);
            add("steam: netcode + Steam server, C# Steam client over IP, payloads both ways, disconnect", SteamExchange);
            add("steam: P2P by SteamID and virtual port, server-side disconnect", SteamP2P);
            add("steam: open twice, close and reopen; Library.Shutdown closes Steam", SteamOpenClose);
            add("steam: connection options reach Steam; connection status and its errors", SteamOptionsAndStatus);
            add("steam: LY_ERR_SEND_BUFFER_FULL is SendBufferFullException", SendBufferFullMapping);
            add("zero managed allocation per payload (steam)", ZeroAllocSteam);
            add("gns: the real GameNetworkingSockets (LIGHTYEAR_GNS_LIB): connect, payloads, send buffer full, status", SteamGns);
            add("token fetch: fleet registration, blocking, polled and async fetches from two lytokens replicas connect", TokenFetchTests.FetchAndConnect);
            add("token fetch: wrong pin TlsException, bad credential UnauthorizedException, misuse", TokenFetchTests.Refusals);
            add("token fetch: a full fleet answers 503 as NoServerException", TokenFetchTests.FullFleet);
            add("web: options checked (documented exceptions), hashes, rotate, stats; ServerConfig.WebOptions", WebTests.OptionsErrors);
            add("web: udp + ws + wt server, Go web client over ws and wt (pinned to WebCertHashes), echoes, stats", WebTests.Exchange);
            add("Library.Shutdown disposes everything; the library works after", Shutdown);
            add("example: examples/Echo runs", EchoExample);

            return Runner.Run(tests, args);
        }

        // ------------------------------------------------------------------

        static void VersionCheck()
        {
            Library.EnsureLoaded();
            // The library loaded is the one test.sh chose (LIGHTYEAR_LIB_DIR), not another copy on the loader's path.
            string libDir = Environment.GetEnvironmentVariable("LIGHTYEAR_LIB_DIR");
            if (!string.IsNullOrEmpty(libDir) && File.Exists("/proc/self/maps"))
            {
                var mapped = File.ReadAllLines("/proc/self/maps").Select(l => l.Split(new[] { ' ' }, 6, StringSplitOptions.RemoveEmptyEntries))
                    .Where(f => f.Length == 6 && Path.GetFileName(f[5]).StartsWith("liblightyear_conn.so")).Select(f => f[5]).Distinct().ToList();
                Assert.Equal(1, mapped.Count, "one liblightyear_conn mapped (" + string.Join(", ", mapped) + ")");
                Assert.Equal(libDir, Path.GetDirectoryName(mapped[0]), "directory of the loaded library " + mapped[0]);
            }
            var v = Library.NativeVersion;
            Assert.Equal(Library.BindingVersionMajor, v.Major, "native major version");
            Assert.True(v.Minor >= 0 && v.Build >= 0, "native version " + v);
            Library.CheckVersion(0x00000105u, 0); // another minor: accepted
            var e = Assert.Throws<LightyearVersionException>(() => Library.CheckVersion(0x00010203u, 0), "major 1 vs binding 0");
            Assert.True(e.Message.Contains("1.2.3") && e.Message.Contains(Library.BindingVersion.ToString()),
                        "the message names both versions: " + e.Message);
            Assert.Equal(new Version(1, 2, 3), e.NativeVersion, "NativeVersion");
            Assert.Equal(0, e.BindingVersion.Major, "BindingVersion");
        }

        static string HeaderText()
        {
            return File.ReadAllText(Paths.Existing(Paths.Header, "lightyear_conn.h"));
        }

        static Type NativeType()
        {
            return typeof(Library).Assembly.GetType("Lightyear.Conn.Native", true);
        }

        static void BindsEveryFunction()
        {
            var header = new HashSet<string>();
            foreach (Match m in Regex.Matches(HeaderText(), @"LY_API\s+[^;{]*?\b(ly_\w+)\s*\("))
                header.Add(m.Groups[1].Value);
            Assert.True(header.Count >= 51, "functions found in the header: " + header.Count);

            var bound = new HashSet<string>();
            foreach (var m in NativeType().GetMethods(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
            {
                var dll = (DllImportAttribute)Attribute.GetCustomAttribute(m, typeof(DllImportAttribute));
                if (dll == null)
                    continue;
                Assert.Equal(CallingConvention.Cdecl, dll.CallingConvention, m.Name + " calling convention");
                Assert.Equal("lightyear_conn", dll.Value, m.Name + " library");
                bound.Add(m.Name);
                Marshal.Prelink(m); // resolves the entry point now
            }
            var missing = header.Where(f => !bound.Contains(f)).OrderBy(f => f).ToArray();
            var extra = bound.Where(f => !header.Contains(f)).OrderBy(f => f).ToArray();
            Assert.True(missing.Length == 0, "header functions without a DllImport: " + string.Join(", ", missing));
            Assert.True(extra.Length == 0, "DllImports not in the header: " + string.Join(", ", extra));
        }

        static Type ManagedStruct(string cName)
        {
            switch (cName)
            {
                case "ly_client_id": return typeof(ClientId);
                case "ly_event": return typeof(ServerEvent);
                default: return typeof(Library).Assembly.GetType("Lightyear.Conn.Native+" + cName, true);
            }
        }

        static void StructLayouts()
        {
            string dump = Path.Combine(Paths.CsBuild, "layout.txt");
            var lines = File.ReadAllLines(Paths.Existing(dump, "layout.txt (from tests/layout.c)"));
            var seen = new HashSet<string>();
            foreach (var line in lines)
            {
                var f = line.Split(' ');
                Type t = ManagedStruct(f[1]);
                if (f[0] == "S")
                {
                    seen.Add(f[1]);
                    Assert.Equal(int.Parse(f[2]), Marshal.SizeOf(t), "Marshal.SizeOf(" + t.Name + ") vs sizeof(" + f[1] + ")");
                }
                else
                {
                    string cs = FindField(t, f[2]);
                    Assert.Equal(long.Parse(f[3]), (long)Marshal.OffsetOf(t, cs), t.Name + "." + cs + " vs offsetof(" + f[1] + ", " + f[2] + ")");
                }
            }
            // Every struct of the header is in the dump (a new struct needs a binding and a layout line).
            foreach (Match m in Regex.Matches(HeaderText(), @"typedef\s+struct\s+(ly_\w+)\s*\{"))
                Assert.True(seen.Contains(m.Groups[1].Value), "header struct " + m.Groups[1].Value + " has no layout check");
            // The struct_size the *_defaults fillers write is the C sizeof: it must equal ours.
            unsafe
            {
                Native.ly_server_config sc; Native.ly_server_config_defaults(&sc);
                Assert.Equal((uint)sizeof(Native.ly_server_config), sc.struct_size, "ly_server_config struct_size");
                Native.ly_client_config cc; Native.ly_client_config_defaults(&cc);
                Assert.Equal((uint)sizeof(Native.ly_client_config), cc.struct_size, "ly_client_config struct_size");
                Native.ly_token_params tp; Native.ly_token_params_defaults(&tp);
                Assert.Equal((uint)sizeof(Native.ly_token_params), tp.struct_size, "ly_token_params struct_size");
                Native.ly_conditioner_config co; Native.ly_conditioner_preset_config_sized(1, &co, (uint)sizeof(Native.ly_conditioner_config));
                Assert.Equal((uint)sizeof(Native.ly_conditioner_config), co.struct_size, "ly_conditioner_config struct_size");
                Native.ly_steam_config st; Native.ly_steam_config_defaults_sized(&st, (uint)sizeof(Native.ly_steam_config));
                Assert.Equal((uint)sizeof(Native.ly_steam_config), st.struct_size, "ly_steam_config struct_size");
                Native.ly_steam_server_config ss; Native.ly_steam_server_config_defaults(&ss);
                Assert.Equal((uint)sizeof(Native.ly_steam_server_config), ss.struct_size, "ly_steam_server_config struct_size");
                Native.ly_steam_client_config scc; Native.ly_steam_client_config_defaults(&scc);
                Assert.Equal((uint)sizeof(Native.ly_steam_client_config), scc.struct_size, "ly_steam_client_config struct_size");
                Native.ly_token_fetch_options tfo; Native.ly_token_fetch_options_defaults(&tfo);
                Assert.Equal((uint)sizeof(Native.ly_token_fetch_options), tfo.struct_size, "ly_token_fetch_options struct_size");
                Native.ly_fleet_config fc; Native.ly_fleet_config_defaults(&fc);
                Assert.Equal((uint)sizeof(Native.ly_fleet_config), fc.struct_size, "ly_fleet_config struct_size");
                Native.ly_web_options wo; Native.ly_web_options_defaults_sized(&wo, (uint)sizeof(Native.ly_web_options));
                Assert.Equal((uint)sizeof(Native.ly_web_options), wo.struct_size, "ly_web_options struct_size");
                Assert.Equal(16, sizeof(ClientId), "sizeof(ClientId)");
                Assert.Equal(32, sizeof(ServerEvent), "sizeof(ServerEvent)");
            }
        }

        static string FindField(Type t, string cField)
        {
            string want = cField.Replace("_", "");
            foreach (var f in t.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
                if (string.Equals(f.Name.Replace("_", ""), want, StringComparison.OrdinalIgnoreCase))
                    return f.Name;
            throw new AssertionException(t.Name + " has no field for " + cField);
        }

        /// <summary>"INVALID_HANDLE" -> "InvalidHandle".</summary>
        static string Pascal(string upper)
        {
            var sb = new StringBuilder();
            foreach (var part in upper.Split('_'))
                if (part.Length > 0)
                    sb.Append(part[0]).Append(part.Substring(1).ToLowerInvariant());
            return sb.ToString();
        }

        static void CheckEnum<E>(string text, string prefix, int expectedCount, params string[] skip)
        {
            int n = 0;
            foreach (Match m in Regex.Matches(text, @"\b" + prefix + @"([A-Z_]+)\s*=?\s*\(?(-?\d+)\)?"))
            {
                string name = Pascal(m.Groups[1].Value);
                if (Array.IndexOf(skip, name) >= 0)
                    continue;
                object value;
                try
                {
                    value = Enum.Parse(typeof(E), name);
                }
                catch (ArgumentException)
                {
                    throw new AssertionException(typeof(E).Name + " has no member " + name + " (" + prefix + m.Groups[1].Value + ")");
                }
                Assert.Equal(long.Parse(m.Groups[2].Value), Convert.ToInt64(value), typeof(E).Name + "." + name);
                n++;
            }
            Assert.Equal(expectedCount, n, prefix + "* values found in the header");
            Assert.Equal(expectedCount, Enum.GetValues(typeof(E)).Length, typeof(E).Name + " members");
        }

        /// <summary>
        /// Every "LY_X = n" inside "typedef enum cName { ... } cName;" is the
        /// member names[LY_X] of E with value n, and E has no other member.
        /// </summary>
        static void CheckTypedefEnum<E>(string text, string cName, Dictionary<string, string> names)
        {
            var body = Regex.Match(text, @"typedef\s+enum\s+" + cName + @"\s*\{(.*?)\}\s*" + cName + @"\s*;", RegexOptions.Singleline);
            Assert.True(body.Success, "typedef enum " + cName + " in the header");
            int n = 0;
            foreach (Match m in Regex.Matches(body.Groups[1].Value, @"\b(LY_[A-Z0-9_]+)\s*=\s*(-?\d+)"))
            {
                string name;
                if (!names.TryGetValue(m.Groups[1].Value, out name))
                    throw new AssertionException(cName + ": " + m.Groups[1].Value + " is new in the header: bind it in " + typeof(E).Name);
                object value;
                try
                {
                    value = Enum.Parse(typeof(E), name);
                }
                catch (ArgumentException)
                {
                    throw new AssertionException(typeof(E).Name + " has no member " + name + " (" + m.Groups[1].Value + ")");
                }
                Assert.Equal(long.Parse(m.Groups[2].Value), Convert.ToInt64(value), typeof(E).Name + "." + name);
                n++;
            }
            Assert.Equal(names.Count, n, cName + " values found in the header");
            Assert.Equal(names.Count, Enum.GetValues(typeof(E)).Length, typeof(E).Name + " members");
        }

        static void EnumsAndConstants()
        {
            string h = HeaderText();
            CheckEnum<ErrorCode>(h.Replace("#define LY_OK 0", "#define LY_ERR_OK 0"), "LY_ERR_", 22);
            CheckEnum<ClientKind>(h, "LY_KIND_", 3);
            CheckEnum<ClientState>(h, "LY_STATE_", 10);
            CheckEnum<DisconnectReason>(h, "LY_REASON_", 11);
            CheckEnum<ServerEventType>(h, "LY_EVENT_", 5);
            CheckEnum<ServerWarning>(h, "LY_WARNING_", 3);
            CheckEnum<ConditionerPreset>(h, "LY_CONDITIONER_", 4);
            CheckTypedefEnum<BurstModel>(h, "ly_burst_model", new Dictionary<string, string>
            {
                { "LY_BURST_NONE", "None" }, { "LY_BURST_GILBERT", "Gilbert" }, { "LY_BURST_GILBERT_ELLIOTT", "GilbertElliott" },
            });
            CheckTypedefEnum<SteamFlavour>(h, "ly_steam_flavour", new Dictionary<string, string>
            {
                { "LY_STEAM_AUTO", "Auto" }, { "LY_STEAM_STEAMWORKS", "Steamworks" }, { "LY_STEAM_GNS", "GameNetworkingSockets" },
            });
            CheckTypedefEnum<SteamInitMode>(h, "ly_steam_init", new Dictionary<string, string>
            {
                { "LY_STEAM_INIT_CLIENT", "Client" }, { "LY_STEAM_INIT_GAME_SERVER", "GameServer" },
                { "LY_STEAM_ATTACH_CLIENT", "AttachClient" }, { "LY_STEAM_ATTACH_GAME_SERVER", "AttachGameServer" },
            });
            CheckTypedefEnum<SteamMode>(h, "ly_steam_mode", new Dictionary<string, string>
            {
                { "LY_STEAM_MODE_IP", "IP" }, { "LY_STEAM_MODE_P2P", "P2P" },
            });

            Func<string, long> define = name =>
            {
                var m = Regex.Match(h, @"#define\s+" + name + @"\s+(\d+)");
                Assert.True(m.Success, "#define " + name + " in the header");
                return long.Parse(m.Groups[1].Value);
            };
            Assert.Equal(define("LY_VERSION_MAJOR"), (long)Library.BindingVersionMajor, "LY_VERSION_MAJOR");
            Assert.Equal(define("LY_VERSION_MINOR"), (long)Library.BindingVersionMinor, "LY_VERSION_MINOR");
            Assert.Equal(define("LY_VERSION_PATCH"), (long)Library.BindingVersionPatch, "LY_VERSION_PATCH");
            Assert.Equal(define("LY_KEY_SIZE"), (long)Keys.Size, "LY_KEY_SIZE");
            Assert.Equal(define("LY_CONNECT_TOKEN_SIZE"), (long)ConnectToken.Size, "LY_CONNECT_TOKEN_SIZE");
            Assert.Equal(define("LY_USER_DATA_SIZE"), (long)Library.UserDataSize, "LY_USER_DATA_SIZE");
            Assert.Equal(define("LY_MAX_PAYLOAD_SIZE"), (long)Library.MaxPayloadSize, "LY_MAX_PAYLOAD_SIZE");
            Assert.Equal(define("LY_MAX_SERVER_ADDRESSES"), (long)Library.MaxServerAddresses, "LY_MAX_SERVER_ADDRESSES");
            Assert.Equal(define("LY_ADDRESS_STRING_SIZE"), (long)Native.LY_ADDRESS_STRING_SIZE, "LY_ADDRESS_STRING_SIZE");
            Assert.Equal(define("LY_WEB_CERT_HASH_SIZE"), (long)WebOptions.CertHashSize, "LY_WEB_CERT_HASH_SIZE");

            // Every code has a description from the library.
            foreach (ErrorCode c in Enum.GetValues(typeof(ErrorCode)))
                Assert.True(Library.Describe(c) != "unknown error", "ly_error_string(" + c + ")");
            foreach (ClientState s in Enum.GetValues(typeof(ClientState)))
                Assert.True(Library.Describe(s) != "unknown state", "ly_state_string(" + s + ")");
            foreach (DisconnectReason r in Enum.GetValues(typeof(DisconnectReason)))
                Assert.True(Library.Describe(r) != "unknown reason", "ly_reason_string(" + r + ")");
            Assert.Equal("connected", Library.Describe(ClientState.Connected), "state string");
        }

        static void Tokens()
        {
            var key = Keys.Generate();
            Assert.Equal(32, key.Length, "key length");
            Assert.True(!Fixture.Same(key, Keys.Generate()), "two keys differ");
            Assert.True(Fixture.Same(key, Keys.FromHex(Keys.ToHex(key))), "hex round trip");
            Assert.Equal(64, Keys.ToHex(key).Length, "hex length");

            var p = new ConnectTokenParams();
            Assert.Equal(30L, p.ExpireSeconds, "default expire (ly_token_params_defaults)");
            Assert.Equal(5, p.TimeoutSeconds, "default timeout");
            p.ProtocolId = 0x1122334455667788UL;
            p.ClientId = 9;
            p.PrivateKey = key;
            p.PublicAddresses = "127.0.0.1:40000, [::1]:40001";
            p.TimeoutSeconds = 11;
            p.ExpireSeconds = 120;
            ulong now = (ulong)(DateTime.UtcNow - new DateTime(1970, 1, 1)).TotalSeconds;
            byte[] token = ConnectToken.Generate(p);
            Assert.Equal(2048, token.Length, "token size");
            var info = ConnectToken.Read(token);
            Assert.Equal(0x1122334455667788UL, info.ProtocolId, "protocol id");
            Assert.Equal(11, info.TimeoutSeconds, "timeout");
            Assert.Equal(120UL, info.ExpireTimestamp - info.CreateTimestamp, "expire - create");
            Assert.True(info.CreateTimestamp + 5 >= now && info.CreateTimestamp <= now + 5, "create timestamp is now");
            Assert.True(!info.NeverExpires, "expires");
            Assert.Equal(2, info.Addresses.Length, "addresses");
            Assert.Equal("127.0.0.1:40000", info.Addresses[0], "address 0");
            Assert.Equal("[::1]:40001", info.Addresses[1], "address 1");
            Assert.Equal("[::1]:40001", ConnectToken.GetAddress(token, 1), "GetAddress");

            p.ExpireSeconds = -1;
            var buf = new byte[4096];
            ConnectToken.Generate(p, buf); // a larger caller buffer is fine
            Assert.True(ConnectToken.Read(token).ExpireTimestamp != ulong.MaxValue, "first token expires");
            var never = new byte[2048];
            Array.Copy(buf, never, 2048);
            Assert.True(ConnectToken.Read(never).NeverExpires, "negative expire: never");
        }

        static void BatchSends()
        {
            using (var f = new Fixture(batchSends: true))
            {
                var client = f.Connect(1101);
                var id = ClientId.Netcode(1101);
                var buf = new byte[Library.MaxPayloadSize];
                int n;
                for (int i = 0; i < 3; i++)
                    f.Server.Send(id, new byte[] { (byte)i });
                System.Threading.Thread.Sleep(30);
                client.Update(0);
                Assert.True(!client.Receive(buf, out n), "nothing arrives before Flush");
                f.Server.Flush();
                System.Threading.Thread.Sleep(30);
                client.Update(0);
                for (int i = 0; i < 3; i++)
                {
                    Assert.True(client.Receive(buf, out n), "payload " + i + " after Flush");
                    Assert.Equal(i, (int)buf[0], "in order");
                }
                f.Server.Stop();
                Assert.Code(ErrorCode.NotRunning, () => f.Server.Flush(), "Flush on a stopped server");
            }
        }

        static void UdpLoopback()
        {
            using (var f = new Fixture())
            {
                var client = f.Connect(1001);
                var id = ClientId.Netcode(1001);
                Assert.Equal(id, client.Id, "client id (from ClientConfig)");
                Assert.True(client.IsConnected, "connected");

                // Client -> server: every size class, through each Send overload.
                var sizes = new[] { 1, 2, 17, 100, 511, 1000, 1199, 1200 };
                var big = new byte[1300];
                int seed = 0;
                var sent = new List<byte[]>();
                foreach (int size in sizes)
                {
                    var a = Fixture.Pattern(size, ++seed);
                    client.Send(a);
                    sent.Add(a);
                    var b = Fixture.Pattern(size, ++seed);
                    Array.Copy(b, 0, big, 50, size);
                    client.Send(big, 50, size);
                    sent.Add(b);
                    var c = Fixture.Pattern(size, ++seed);
                    client.Send(new ReadOnlySpan<byte>(c));
                    sent.Add(c);
                }
                f.Payloads.Clear();
                f.PumpUntil(() => f.Payloads.Count >= sent.Count, "server receives " + sent.Count + " payloads");
                Assert.Equal(sent.Count, f.Payloads.Count, "payload count");
                foreach (var s in sent)
                    Assert.True(f.Payloads.Exists(r => Fixture.Same(r, s)), "payload of " + s.Length + " bytes arrived intact");
                foreach (var e in f.Events.Where(e => e.Type == ServerEventType.Payload))
                    Assert.Equal(id, e.ClientId, "payload sender");

                // Server -> client, with the span and the array overloads; the client reads them.
                var back = new List<byte[]>();
                foreach (int size in sizes)
                {
                    var a = Fixture.Pattern(size, ++seed);
                    f.Server.Send(id, a);
                    back.Add(a);
                    var b = Fixture.Pattern(size, ++seed);
                    Array.Copy(b, 0, big, 7, size);
                    f.Server.Send(id, new ReadOnlySpan<byte>(big, 7, size));
                    back.Add(b);
                }
                var got = new List<byte[]>();
                var rbuf = new byte[Library.MaxPayloadSize];
                var sarr = new byte[Library.MaxPayloadSize + 10];
                f.PumpUntil(() =>
                {
                    int n;
                    // Alternate the array and the span overloads (the span a slice of a larger array).
                    while (got.Count % 2 == 0 ? client.Receive(rbuf, out n) : client.Receive(new Span<byte>(sarr, 10, 1200), out n))
                        got.Add(got.Count % 2 == 0 ? rbuf.Take(n).ToArray() : sarr.Skip(10).Take(n).ToArray());
                    return got.Count >= back.Count;
                }, "client receives " + back.Count + " payloads");
                foreach (var s in back)
                    Assert.True(got.Exists(r => Fixture.Same(r, s)), "server payload of " + s.Length + " bytes arrived intact");

                // Broadcast reaches the client.
                var bc = Fixture.Pattern(300, 99);
                f.Server.Broadcast(bc);
                byte[] bgot = null;
                f.PumpUntil(() =>
                {
                    int n;
                    if (client.Receive(rbuf, out n))
                        bgot = rbuf.Take(n).ToArray();
                    return bgot != null;
                }, "broadcast arrives");
                Assert.True(Fixture.Same(bc, bgot), "broadcast content");

                // PollEvent (one at a time) into a caller buffer: offset 0.
                var one = Fixture.Pattern(321, 5);
                client.Send(one);
                ServerEvent ev = default(ServerEvent);
                var pbuf = new byte[Library.MaxPayloadSize];
                bool have = false;
                var sw = System.Diagnostics.Stopwatch.StartNew();
                while (!have && sw.ElapsedMilliseconds < 10000)
                {
                    client.Update(0);
                    f.Server.Update(0);
                    while (f.Server.PollEvent(out ev, pbuf))
                        if (ev.Type == ServerEventType.Payload) { have = true; break; }
                    Thread.Sleep(1);
                }
                Assert.True(have, "PollEvent got the payload");
                Assert.Equal(0, ev.PayloadOffset, "PollEvent payload offset");
                Assert.Equal(321, ev.PayloadLength, "PollEvent payload length");
                Assert.True(Fixture.Same(one, ev.GetPayload(pbuf).ToArray()), "PollEvent payload content");
                var seg = ev.GetPayloadSegment(pbuf);
                Assert.Equal(321, seg.Count, "segment");

                // And PollEvent into the server's own buffer.
                client.Send(one);
                have = false;
                sw.Restart();
                while (!have && sw.ElapsedMilliseconds < 10000)
                {
                    client.Update(0);
                    f.Server.Update(0);
                    while (f.Server.PollEvent(out ev))
                        if (ev.Type == ServerEventType.Payload) { have = true; break; }
                    Thread.Sleep(1);
                }
                Assert.True(have && Fixture.Same(one, f.Server.GetPayload(ev).ToArray()), "PollEvent(out ev) into PayloadBuffer");
                Assert.True(!f.Server.PollEvent(out ev), "nothing else pending");
                Assert.Equal(ServerEventType.None, ev.Type, "no event: default");
            }
        }

        static void ServerQueries()
        {
            using (var f = new Fixture(maxClients: 8))
            {
                Assert.True(f.Server.IsRunning, "running");
                Assert.Equal(8, f.Server.MaxClients, "max clients");
                Assert.True(f.Address.StartsWith("127.0.0.1:") && !f.Address.EndsWith(":0"), "bound address has the real port: " + f.Address);
                Assert.Equal(f.Address, f.Server.Addresses.Single(), "Addresses");
                var ud = Encoding.UTF8.GetBytes("user data from the backend");
                var a = f.Connect(1, ud);
                var b = f.Connect(2);
                Assert.Equal(2, f.Server.ConnectedCount, "connected count");
                var ids = f.Server.ConnectedClients.OrderBy(i => i.Id).ToArray();
                Assert.Equal(2, ids.Length, "ConnectedClients");
                Assert.Equal(ClientId.Netcode(1), ids[0], "first id");
                var small = new ClientId[1];
                Assert.Equal(2, f.Server.GetConnectedClients(small), "GetConnectedClients reports the total");
                // The client binds the wildcard address; the server sees 127.0.0.1 and the same port.
                string seen = f.Server.GetClientAddress(ClientId.Netcode(1)), own = a.LocalAddress;
                Assert.Equal(own.Substring(own.LastIndexOf(':')), seen.Substring(seen.LastIndexOf(':')), "client port seen by the server (" + seen + " vs " + own + ")");
                Assert.True(seen.StartsWith("127.0.0.1:"), "client address seen by the server: " + seen);
                var got = f.Server.GetClientUserData(ClientId.Netcode(1));
                Assert.Equal(256, got.Length, "user data size");
                Assert.Bytes(ud, 0, got, 0, ud.Length, "user data");
                Assert.Equal((byte)0, got[ud.Length], "rest of user data is zero");

                // Disconnect from the server: both sides see it.
                f.Server.Disconnect(ClientId.Netcode(2));
                f.PumpUntil(() => b.State == ClientState.Disconnected &&
                                  f.Events.Exists(e => e.Type == ServerEventType.Disconnected && e.ClientId == ClientId.Netcode(2)),
                            "client 2 disconnected");
                var d = f.Events.Last(e => e.Type == ServerEventType.Disconnected);
                Assert.Equal(DisconnectReason.Local, d.Reason, "server-side reason");
                Assert.Equal(DisconnectReason.Remote, b.DisconnectReason, "client-side reason");

                // Client disconnects itself.
                a.Disconnect();
                Assert.Equal(DisconnectReason.Local, a.DisconnectReason, "client's own reason");
                f.PumpUntil(() => f.Server.ConnectedCount == 0, "client 1 gone");
                Assert.Equal(DisconnectReason.Remote,
                             f.Events.Last(e => e.Type == ServerEventType.Disconnected && e.ClientId == ClientId.Netcode(1)).Reason,
                             "server sees the client's disconnect as remote");

                // Reconnect with a fresh token, then stop the server.
                a.SetToken(f.Token(1));
                a.Connect();
                f.PumpUntil(() => a.IsConnected && f.Server.ConnectedCount == 1, "client 1 reconnects");
                f.Events.Clear();
                f.Server.Stop();
                Assert.True(!f.Server.IsRunning, "stopped");
                f.Drain();
                Assert.True(f.Events.Exists(e => e.Type == ServerEventType.Disconnected && e.Reason == DisconnectReason.ServerStopped),
                            "stop gives ServerStopped events");
                f.Server.Start();
                Assert.True(f.Server.IsRunning, "started again");
            }
        }

        static void LocalClientBeforeStart()
        {
            using (var f = new Fixture(bind: null))
            using (var server = new Server(new ServerConfig { ProtocolId = 1, PrivateKey = f.Key }))
            using (var host = server.ConnectLocal(3))
            {
                Assert.Equal(ClientState.SendingConnectionRequest, host.State, "waits for the server");
                Assert.True(!host.IsConnected, "not connected yet");
                Assert.Code(ErrorCode.NotConnected, () => host.Send(new byte[] { 1 }), "no sends while waiting");
                Assert.Code(ErrorCode.AlreadyActive, () => host.Connect(), "already connecting");
                Assert.Equal(0, server.ConnectedCount, "nobody connected before the start");
                server.Start();
                Assert.Equal(ClientState.Connected, host.State, "connected at Start");
                var events = new ServerEvent[8];
                int n = server.PollEvents(events);
                Assert.True(n == 1 && events[0].Type == ServerEventType.Connected && events[0].ClientId == ClientId.Local(3),
                            "one Connected event for local:3");
                host.Send(Fixture.Pattern(30, 3));
                n = server.PollEvents(events);
                Assert.True(n == 1 && Fixture.Same(Fixture.Pattern(30, 3), server.GetPayload(events[0]).ToArray()), "its payload arrives");
            }
        }

        static void LocalClient()
        {
            using (var f = new Fixture(bind: null))
            {
                Assert.Equal(0, f.Server.Addresses.Length, "a local-only server binds nothing");
                using (var c = f.Server.ConnectLocal(7))
                {
                    Assert.True(c.IsLocal && c.IsConnected, "local client connected at once");
                    Assert.Equal(ClientId.Local(7), c.Id, "local id");
                    Assert.Equal("", c.LocalAddress, "no socket");
                    f.Server.Update(0);
                    f.Drain();
                    Assert.True(f.Connected(ClientId.Local(7)), "Connected event for local:7");

                    for (int i = 1; i <= 50; i++)
                        c.Send(Fixture.Pattern(i * 24, i));
                    f.Payloads.Clear();
                    f.PumpUntil(() => f.Payloads.Count == 50, "50 local payloads", c);
                    for (int i = 1; i <= 50; i++)
                        Assert.True(Fixture.Same(Fixture.Pattern(i * 24, i), f.Payloads[i - 1]), "local payload " + i + " in order");

                    for (int i = 1; i <= 50; i++)
                        f.Server.Send(ClientId.Local(7), Fixture.Pattern(i * 24, 1000 + i));
                    var buf = new byte[1200];
                    int n, k = 0;
                    f.PumpUntil(() =>
                    {
                        while (c.Receive(buf, out n))
                        {
                            k++;
                            Assert.True(Fixture.Same(Fixture.Pattern(k * 24, 1000 + k), buf.Take(n).ToArray()), "local reply " + k);
                        }
                        return k == 50;
                    }, "50 local replies", c);

                    // Ids are tagged: netcode 7 is another client than local 7.
                    Assert.True(ClientId.Local(7) != ClientId.Netcode(7), "kinds differ");
                    Assert.Equal("local:7", ClientId.Local(7).ToString(), "ToString");

                    c.Disconnect();
                    f.PumpUntil(() => f.Events.Exists(e => e.Type == ServerEventType.Disconnected && e.ClientId == ClientId.Local(7)),
                                "local disconnect event", c);
                    Assert.Equal(ClientState.Disconnected, c.State, "local client state");
                    c.Connect();
                    f.PumpUntil(() => f.Server.ConnectedCount == 1, "local client reconnects", c);
                }
                f.PumpUntil(() => f.Server.ConnectedCount == 0, "disposed local client leaves");
            }
        }

        static void TokenFromC()
        {
            string backend = Paths.Existing(Path.Combine(Paths.Build, "examples", "c", "token_backend"), "token_backend");
            using (var f = new Fixture())
            {
                string file = Path.Combine(Path.GetTempPath(), "ly_cs_token_" + Guid.NewGuid().ToString("N"));
                try
                {
                    string args = string.Format(CultureInfo.InvariantCulture,
                        "--client-id 77 --address {0} --key {1} --protocol 0x{2:x} --timeout 7 --expire 100 --user-data from-C --out {3}",
                        f.Address, Keys.ToHex(f.Key), Fixture.Protocol, file);
                    using (var p = new ChildProcess(backend, args))
                        Assert.Equal(0, p.WaitForExit(30), "token_backend exit code; output:\n" + p.Output);
                    byte[] token = File.ReadAllBytes(file);
                    Assert.Equal(2048, token.Length, "token file size");
                    var info = ConnectToken.Read(token);
                    Assert.Equal(Fixture.Protocol, info.ProtocolId, "protocol id written by C");
                    Assert.Equal(7, info.TimeoutSeconds, "timeout written by C");
                    Assert.Equal(100UL, info.ExpireTimestamp - info.CreateTimestamp, "expiry written by C");
                    Assert.Equal(f.Address, info.Addresses.Single(), "address written by C");

                    using (var c = new Client(token, new ClientConfig { ClientId = 77 }))
                    {
                        c.Connect();
                        f.PumpUntil(() => c.IsConnected && f.Connected(ClientId.Netcode(77)), "C#-client with C token connects", c);
                        var ud = f.Server.GetClientUserData(ClientId.Netcode(77));
                        Assert.Equal("from-C", Encoding.ASCII.GetString(ud, 0, 6), "user data from the C backend");
                        var msg = Fixture.Pattern(200, 77);
                        c.Send(msg);
                        f.PumpUntil(() => f.Payloads.Exists(x => Fixture.Same(x, msg)), "payload arrives", c);
                    }
                }
                finally
                {
                    File.Delete(file);
                }
            }
        }

        static void CSharpClientToCServer()
        {
            string echo = Paths.Existing(Path.Combine(Paths.Build, "examples", "c", "echo_server"), "echo_server");
            var key = Keys.Generate();
            const ulong protocol = 0x4C59435343454348UL;
            string args = string.Format(CultureInfo.InvariantCulture, "--address 127.0.0.1:0 --key {0} --protocol 0x{1:x} --seconds 120",
                                        Keys.ToHex(key), protocol);
            using (var server = new ChildProcess(echo, args))
            {
                string line = server.WaitForLine("listening on ", 20);
                string address = line.Substring("listening on ".Length).Trim();
                byte[] token = ConnectToken.Generate(new ConnectTokenParams
                {
                    ProtocolId = protocol, ClientId = 4242, PrivateKey = key, PublicAddresses = address,
                });
                using (var c = new Client(token, new ClientConfig { ClientId = 4242 }))
                {
                    c.Connect();
                    var sw = System.Diagnostics.Stopwatch.StartNew();
                    double last = 0;
                    Action tick = () =>
                    {
                        double now = sw.Elapsed.TotalSeconds;
                        c.Update(now - last);
                        last = now;
                        Thread.Sleep(2);
                    };
                    while (!c.IsConnected && sw.Elapsed.TotalSeconds < 20 && (int)c.State >= 0)
                        tick();
                    Assert.Equal(ClientState.Connected, c.State, "C# client connected to the C echo_server; server output:\n" + server.Output);
                    var sent = new List<byte[]>();
                    for (int i = 1; i <= 20; i++)
                    {
                        var m = Fixture.Pattern(i * 60, i);
                        c.Send(m);
                        sent.Add(m);
                    }
                    var got = new List<byte[]>();
                    var buf = new byte[1200];
                    int n;
                    double until = sw.Elapsed.TotalSeconds + 20;
                    while (got.Count < sent.Count && sw.Elapsed.TotalSeconds < until)
                    {
                        tick();
                        while (c.Receive(buf, out n))
                            got.Add(buf.Take(n).ToArray());
                    }
                    Assert.Equal(sent.Count, got.Count, "echoes received; server output:\n" + server.Output);
                    foreach (var m in sent)
                        Assert.True(got.Exists(g => Fixture.Same(g, m)), "echo of " + m.Length + " bytes intact");
                    c.Disconnect();
                }
                server.WaitForLine("disconnected: netcode", 20);
                Assert.True(server.Output.Contains("connected: netcode:4242") || server.Output.Contains("4242"),
                            "the C server saw client 4242:\n" + server.Output);
            }
        }

        static void BufferTooSmall()
        {
            using (var f = new Fixture(bind: null))
            using (var c = f.Server.ConnectLocal(1))
            {
                f.Server.Update(0);
                f.Drain();
                var msg = Fixture.Pattern(100, 3);
                c.Send(msg);
                c.Update(0);
                f.Server.Update(0);
                ServerEvent ev;
                var e = Assert.Code(ErrorCode.BufferTooSmall, () => f.Server.PollEvent(out ev, new byte[10]), "PollEvent, 10-byte buffer");
                Assert.Equal(100, e.RequiredSize, "RequiredSize");
                var events = new ServerEvent[4];
                e = Assert.Code(ErrorCode.BufferTooSmall, () => f.Server.PollEvents(events, new byte[99]), "PollEvents, 99-byte buffer");
                Assert.Equal(100, e.RequiredSize, "RequiredSize (batch)");
                var fits = new byte[100];
                Assert.Equal(1, f.Server.PollEvents(events, fits), "the payload stayed queued");
                Assert.True(Fixture.Same(msg, events[0].GetPayload(fits).ToArray()), "and arrives whole");
                var exact = new byte[100];
                f.Server.Send(ClientId.Local(1), msg);
                c.Update(0);
                int n;
                e = Assert.Code(ErrorCode.BufferTooSmall, () => c.Receive(new byte[50], out n), "Receive, 50-byte buffer");
                Assert.Equal(100, e.RequiredSize, "needed");
                Assert.True(c.Receive(exact, out n) && n == 100 && Fixture.Same(msg, exact), "the payload stayed queued (client)");
                Assert.True(!c.Receive(exact, out n) && n == 0, "then nothing");
            }
        }

        static void Misuse()
        {
            var f = new Fixture(bind: null);
            var c = f.Server.ConnectLocal(3);
            var id = ClientId.Local(3);
            var data = new byte[64];

            // Null arrays, bad offsets and counts, payload sizes: checked before the native call.
            Assert.Throws<ArgumentNullException>(() => c.Send((byte[])null), "client Send(null)");
            Assert.Throws<ArgumentNullException>(() => f.Server.Send(id, (byte[])null, 0, 1), "server Send(null)");
            Assert.Throws<ArgumentOutOfRangeException>(() => c.Send(data, -1, 10), "negative offset");
            Assert.Throws<ArgumentOutOfRangeException>(() => c.Send(data, 65, 0), "offset past the end");
            Assert.Throws<ArgumentOutOfRangeException>(() => c.Send(data, 10, 60), "offset + count past the end");
            Assert.Throws<ArgumentOutOfRangeException>(() => f.Server.Send(id, data, 0, -5), "negative count");
            Assert.Throws<ArgumentOutOfRangeException>(() => f.Server.Send(id, data, int.MaxValue, 2), "huge offset");
            Assert.Throws<ArgumentOutOfRangeException>(() => c.Send(new byte[0]), "empty payload");
            Assert.Throws<ArgumentOutOfRangeException>(() => c.Send(new byte[1201]), "1201-byte payload");
            Assert.Throws<ArgumentOutOfRangeException>(() => c.Send(ReadOnlySpan<byte>.Empty), "empty span");
            Assert.Throws<ArgumentOutOfRangeException>(() => f.Server.Send(id, new ReadOnlySpan<byte>(new byte[1201])), "1201-byte span");
            Assert.Throws<ArgumentOutOfRangeException>(() => f.Server.Broadcast(new byte[2000], 0, 1201), "broadcast 1201");
            Assert.Throws<ArgumentNullException>(() => c.Receive((byte[])null, out int n), "Receive(null)");
            ServerEvent ev;
            Assert.Throws<ArgumentNullException>(() => f.Server.PollEvent(out ev, null), "PollEvent(null buffer)");
            Assert.Throws<ArgumentNullException>(() => f.Server.PollEvents(null, new byte[10]), "PollEvents(null events)");
            Assert.Throws<ArgumentException>(() => f.Server.PollEvents(new ServerEvent[0]), "PollEvents(no room)");
            Assert.Throws<ArgumentNullException>(() => f.Server.PollEvents(new ServerEvent[1], null), "PollEvents(null buffer)");
            Assert.Throws<ArgumentNullException>(() => new Server(null), "new Server(null)");
            Assert.Throws<ArgumentException>(() => new Server(new ServerConfig { PrivateKey = new byte[31] }), "31-byte server key");
            Assert.Throws<ArgumentNullException>(() => new Server(new ServerConfig()), "no server key");
            Assert.Throws<ArgumentException>(() => ConnectToken.Generate(new ConnectTokenParams { PrivateKey = new byte[33], PublicAddresses = "127.0.0.1:1" }), "33-byte token key");
            Assert.Throws<ArgumentException>(() => new Server(new ServerConfig { PrivateKey = Keys.Generate(), BindAddresses = "127.0.0.1:0\0x" }), "NUL in a string");
            Assert.Throws<ArgumentNullException>(() => new Client(null), "new Client(null)");
            Assert.Throws<ArgumentException>(() => Keys.FromHex("zz"), "bad hex");
            Assert.Throws<ArgumentException>(() => f.Server.GetClientUserData(id, new byte[255]), "user data buffer too small");
            Assert.Throws<ArgumentOutOfRangeException>(() => f.Server.GetAddress(-1), "negative address index");

            // Disposed objects.
            c.Dispose();
            c.Dispose(); // twice is fine
            Assert.True(c.IsDisposed, "client IsDisposed");
            Assert.Throws<ObjectDisposedException>(() => c.Send(data, 0, 10), "Send on a disposed client");
            Assert.Throws<ObjectDisposedException>(() => c.Send(new ReadOnlySpan<byte>(data)), "span Send on a disposed client");
            Assert.Throws<ObjectDisposedException>(() => c.Update(0.1), "Update on a disposed client");
            Assert.Throws<ObjectDisposedException>(() => c.Receive(data, out int n2), "Receive on a disposed client");
            Assert.Throws<ObjectDisposedException>(() => { var s = c.State; }, "State of a disposed client");
            f.Dispose();
            f.Dispose();
            Assert.True(f.Server.IsDisposed, "server IsDisposed");
            Assert.Throws<ObjectDisposedException>(() => f.Server.Update(0.1), "Update on a disposed server");
            Assert.Throws<ObjectDisposedException>(() => f.Server.Send(id, data, 0, 10), "Send on a disposed server");
            Assert.Throws<ObjectDisposedException>(() => f.Server.PollEvent(out ev), "PollEvent on a disposed server");
            Assert.Throws<ObjectDisposedException>(() => f.Server.PollEvents(new ServerEvent[2]), "PollEvents on a disposed server");
            Assert.Throws<ObjectDisposedException>(() => f.Server.ConnectLocal(9), "ConnectLocal on a disposed server");
            Assert.Throws<ObjectDisposedException>(() => { var s = f.Server.Stats; }, "Stats of a disposed server");
        }

        static void NativeErrors()
        {
            using (var f = new Fixture())
            {
                var e = Assert.Code(ErrorCode.AlreadyActive, () => f.Server.Start(), "start twice");
                Assert.True(e.Message.Contains("ly_server_start") && e.Function == "ly_server_start", "message names the function: " + e.Message);
                Assert.Code(ErrorCode.UnknownClient, () => f.Server.Send(ClientId.Netcode(12345), new byte[10]), "send to nobody");
                Assert.Code(ErrorCode.UnknownClient, () => f.Server.Disconnect(ClientId.Netcode(12345)), "disconnect nobody");
                Assert.Code(ErrorCode.UnknownClient, () => f.Server.GetClientAddress(ClientId.Steam(5)), "address of nobody");
                Assert.Code(ErrorCode.InvalidArgument, () => f.Server.Update(double.NaN), "NaN dt");
                e = Assert.Code(ErrorCode.InvalidArgument, () => f.Server.Update(-1), "negative dt");
                Assert.True(e.NativeMessage.Length > 0, "ly_last_error detail is carried: '" + e.NativeMessage + "'");
                Assert.Code(ErrorCode.InvalidArgument, () => f.Server.GetAddress(5), "address index out of range");

                // Another server on the same port: the socket fails.
                var cfg = new ServerConfig { ProtocolId = 1, PrivateKey = f.Key, BindAddresses = f.Address };
                using (var s2 = new Server(cfg))
                {
                    e = Assert.Code(ErrorCode.Socket, () => s2.Start(), "bind a port in use");
                    Assert.True(e.NativeMessage.Length > 0, "socket error detail: " + e.Message);
                    Assert.Code(ErrorCode.NotRunning, () => s2.Update(0.1), "update a stopped server");
                    Assert.Code(ErrorCode.NotRunning, () => s2.Send(ClientId.Netcode(1), new byte[1]), "send on a stopped server");
                    // A local client of a stopped server waits for its start (LocalClientBeforeStart).
                    using (var waiting = s2.ConnectLocal(1))
                        Assert.Equal(ClientState.SendingConnectionRequest, waiting.State, "local client of a stopped server waits");
                }
                Assert.Code(ErrorCode.InvalidArgument,
                            () => new Server(new ServerConfig { PrivateKey = f.Key, BindAddresses = "not an address" }), "malformed bind address");

                // Tokens.
                Assert.Code(ErrorCode.InvalidToken, () => ConnectToken.Read(new byte[2048]), "read a zero token");
                var p = new ConnectTokenParams { PrivateKey = f.Key, PublicAddresses = "" };
                Assert.Code(ErrorCode.InvalidToken, () => ConnectToken.Generate(p), "token without addresses");
                p.PublicAddresses = string.Join(" ", Enumerable.Range(1, 33).Select(i => "127.0.0.1:" + (40000 + i)).ToArray());
                Assert.Code(ErrorCode.InvalidToken, () => ConnectToken.Generate(p), "token with 33 addresses");
                p.PublicAddresses = "127.0.0.1:1";
                p.UserData = new byte[257];
                Assert.Code(ErrorCode.InvalidToken, () => ConnectToken.Generate(p), "257 bytes of user data");
                p.UserData = null;
                e = Assert.Code(ErrorCode.BufferTooSmall, () => ConnectToken.Generate(p, new byte[100]), "token into 100 bytes");
                Assert.Equal(2048, e.RequiredSize, "token size needed");
                Assert.Code(ErrorCode.InvalidArgument, () => ConnectToken.GetAddress(f.Token(1), 1), "address index past the end");

                // Clients.
                Assert.Code(ErrorCode.InvalidKey, () => Client.CreateManual(f.Address, 1, Fixture.Protocol, new byte[31]), "manual client, 31-byte key");
                Assert.Code(ErrorCode.InvalidArgument, () => Client.CreateManual("nowhere", 1, Fixture.Protocol, f.Key), "manual client, bad address");
                using (var c = new Client(f.Token(5)))
                {
                    Assert.Code(ErrorCode.NotConnected, () => c.Send(new byte[10]), "send before connecting");
                    c.Connect();
                    Assert.Code(ErrorCode.AlreadyActive, () => c.Connect(), "connect twice");
                    Assert.Code(ErrorCode.AlreadyActive, () => c.SetToken(f.Token(5)), "set token while connecting");
                    Assert.Code(ErrorCode.InvalidArgument, () => c.Update(-0.5), "negative client dt");
                }
                using (var c = new Client(new byte[2048]))
                {
                    Assert.Code(ErrorCode.InvalidToken, () => c.Connect(), "connect with a garbage token");
                    Assert.Equal(ClientState.InvalidConnectToken, c.State, "state after a garbage token");
                }
                using (var local = f.Server.ConnectLocal(4))
                {
                    Assert.Code(ErrorCode.InvalidArgument, () => local.SetToken(f.Token(4)), "a local client has no token");
                    Assert.Code(ErrorCode.InvalidArgument, () => f.Server.ConnectLocal(4), "second local client with the same id");
                }

                // A code the API cannot produce (payload sizes are checked in C#) still maps, through the native layer.
                unsafe
                {
                    int rc = Native.ly_server_broadcast(GetHandle(f.Server).DangerousGetHandle(), null, 0);
                    Assert.True(rc == (int)ErrorCode.InvalidArgument || rc == (int)ErrorCode.PayloadSize, "native broadcast of nothing: " + rc);
                    e = Assert.Throws<LightyearException>(() => Err.Check(rc, "ly_server_broadcast"), "Err.Check");
                    Assert.Equal((ErrorCode)rc, e.Code, "code carried");
                    byte one = 1;
                    rc = Native.ly_server_broadcast(GetHandle(f.Server).DangerousGetHandle(), &one, 1201);
                    Assert.Equal((int)ErrorCode.PayloadSize, rc, "native 1201-byte broadcast");
                    e = Assert.Throws<LightyearException>(() => Err.Check(rc, "ly_server_broadcast"), "Err.Check payload size");
                    Assert.Equal(ErrorCode.PayloadSize, e.Code, "PayloadSize");
                }
            }
        }

        static ServerHandle GetHandle(Server s)
        {
            return (ServerHandle)typeof(Server).GetField("handle", BindingFlags.Instance | BindingFlags.NonPublic).GetValue(s);
        }

        static void Conditioner()
        {
            var off = ConditionerConfig.Off;
            Assert.True(off.LatencyMs == 0 && off.JitterMs == 0 && off.Loss == 0 && off.Duplicate == 0 && off.Reorder == 0, "Off is zeros");
            var good = ConditionerConfig.Good;
            Assert.True(good.LatencyMs == 40 && good.JitterMs == 6 && Math.Abs(good.Loss - 0.002) < 1e-9, "Good: " + good);
            var avg = ConditionerConfig.Average;
            Assert.True(avg.LatencyMs == 100 && avg.JitterMs == 15 && Math.Abs(avg.Loss - 0.02) < 1e-9, "Average: " + avg);
            var poor = ConditionerConfig.Poor;
            Assert.True(poor.LatencyMs == 200 && poor.JitterMs == 30 && Math.Abs(poor.Loss - 0.10) < 1e-9, "Poor: " + poor);
            Assert.True(poor.Burst == BurstModel.None && poor.BurstP == 0 && poor.BurstR == 0 && poor.BurstLossBad == 0, "no burst in presets");
            Assert.Code(ErrorCode.InvalidArgument, () => ConditionerConfig.FromPreset((ConditionerPreset)9), "unknown preset");

            using (var f = new Fixture())
            {
                var client = f.Connect(31);
                var lossless = ConditionerConfig.Off;
                lossless.LatencyMs = 50; // 50 ms each way, on the simulated clock
                lossless.Seed = 7;
                f.Server.SetConditioner(lossless, lossless);
                client.SetConditioner(lossless, null);
                var msg = Fixture.Pattern(80, 31);
                client.Send(msg);
                int steps = 0;
                f.PumpUntil(() => { steps++; return f.Payloads.Exists(p => Fixture.Same(p, msg)); }, "delayed payload arrives");
                // 50 ms out of the client, 50 ms into the server, at 10 ms per step.
                Assert.True(steps >= 9, "latency is applied on the update clock: arrived after " + steps + " steps");

                var bad = ConditionerConfig.Good;
                bad.Loss = 1.5;
                Assert.Code(ErrorCode.InvalidArgument, () => f.Server.SetConditioner(bad, null), "loss above 1");
                bad = ConditionerConfig.Good;
                bad.LatencyMs = -1;
                Assert.Code(ErrorCode.InvalidArgument, () => client.SetConditioner(null, bad), "negative latency");
                bad = ConditionerConfig.Off;
                bad.Burst = BurstModel.Gilbert;
                bad.BurstP = 1.5;
                Assert.Code(ErrorCode.InvalidArgument, () => f.Server.SetConditioner(null, bad), "burst p above 1");
                bad.BurstP = 0.1;
                bad.BurstLossBad = 0.5;
                Assert.Code(ErrorCode.InvalidArgument, () => f.Server.SetConditioner(null, bad), "Gilbert takes no loss probabilities");
                bad = ConditionerConfig.Off;
                bad.Burst = (BurstModel)3;
                Assert.Code(ErrorCode.InvalidArgument, () => client.SetConditioner(bad, null), "unknown burst model");

                // The burst fields reach the library: stuck in bad from the
                // second datagram on, the client's sends are all lost.
                var stuck = ConditionerConfig.Off;
                stuck.Burst = BurstModel.Gilbert;
                stuck.BurstP = 1;
                stuck.BurstR = 0;
                var first = Fixture.Pattern(20, 1);
                var rest = Fixture.Pattern(21, 2);
                client.SetConditioner(stuck, null);
                client.Send(first); // the first datagram of the line, sent in good: it passes, and the chain moves to bad
                for (int i = 0; i < 20; i++)
                    client.Send(rest);
                int after = 0;
                f.PumpUntil(() => f.Payloads.Exists(p => Fixture.Same(p, first)) && ++after >= 10, "the datagram sent in good arrives");
                Assert.True(!f.Payloads.Exists(p => Fixture.Same(p, rest)), "burst loss drops every send in bad");
                client.SetConditioner(null, null);
                f.Server.SetConditioner(null, null);
                client.SetConditioner(null, null);
                f.Server.SetConditioner(ConditionerConfig.Poor, ConditionerConfig.Average);
            }
            using (var f = new Fixture(bind: null))
            using (var local = f.Server.ConnectLocal(1))
                Assert.Code(ErrorCode.InvalidArgument, () => local.SetConditioner(ConditionerConfig.Good, null), "local clients are not conditioned");
        }

        static void Stats()
        {
            using (var f = new Fixture())
            {
                var c = f.Connect(8);
                for (int i = 0; i < 10; i++)
                    c.Send(Fixture.Pattern(100, i));
                f.PumpUntil(() => f.Payloads.Count >= 10, "10 payloads");
                f.Server.Send(ClientId.Netcode(8), new byte[50]);
                f.PumpUntil(() => c.Stats.PacketsReceived > 0, "client received something");
                var s = f.Server.Stats;
                Assert.True(s.PacketsReceived >= 10 && s.BytesReceived >= 1000, "server stats: " + s);
                Assert.True(s.PacketsSent >= 1, "server sent: " + s);
                var cs = f.Server.ClientStats(ClientId.Netcode(8));
                Assert.True(cs.PacketsReceived >= 10, "per-client stats: " + cs);
                Assert.True(cs.SecondsSinceLastReceive >= 0 && cs.SecondsSinceLastReceive < 5, "seconds since last receive: " + cs.SecondsSinceLastReceive);
                var cl = c.Stats;
                Assert.True(cl.PacketsSent >= 10 && cl.BytesSent >= 1000, "client stats: " + cl);
                Assert.Code(ErrorCode.UnknownClient, () => f.Server.ClientStats(ClientId.Netcode(9)), "stats of nobody");
            }
        }

        static void TokenHistoryFull()
        {
            using (var f = new Fixture(tokenHistorySize: 1))
            using (var late = new Client(f.Token(2), new ClientConfig { ClientId = 2 }))
            {
                f.Connect(1);
                Assert.Equal(0UL, f.Server.Stats.DroppedTableFull, "nothing refused yet");
                late.Connect();
                f.PumpUntil(() => f.Events.Exists(e => e.Type == ServerEventType.Warning), "a warning", late);
                f.PumpUntil(() => f.Server.Stats.DroppedTableFull >= 3, "three refused requests", late);
                var warnings = f.Events.FindAll(e => e.Type == ServerEventType.Warning);
                Assert.Equal(1, warnings.Count, "one warning a second, however many refusals");
                Assert.Equal(ServerWarning.TokenHistoryFull, warnings[0].Warning, "warning");
                Assert.Equal(ClientId.Netcode(2), warnings[0].ClientId, "the refused client");
                Assert.Equal(0, warnings[0].PayloadLength, "no payload");
                Assert.Equal(ServerWarning.None, f.Events[0].Warning, "Warning of a Connected event");
                Assert.Equal(ClientState.SendingConnectionRequest, late.State, "the late client waits");
                Assert.Equal(1, f.Server.ConnectedCount, "only the first client");
            }
        }

        static void Threads()
        {
            using (var f = new Fixture(bind: null))
            using (var c = f.Server.ConnectLocal(2))
            {
                var threads = new Thread[4];
                Exception failure = null;
                for (int t = 0; t < threads.Length; t++)
                {
                    int tt = t;
                    threads[t] = new Thread(() =>
                    {
                        try
                        {
                            var buf = new byte[40];
                            for (int i = 0; i < 50; i++)
                            {
                                buf[0] = (byte)tt;
                                buf[1] = (byte)i;
                                c.Send(new ReadOnlySpan<byte>(buf));
                            }
                        }
                        catch (Exception e)
                        {
                            failure = e;
                        }
                    });
                    threads[t].Start();
                }
                foreach (var t in threads)
                    t.Join();
                Assert.True(failure == null, "sending threads: " + failure);
                f.PumpUntil(() => f.Payloads.Count == 200, "200 payloads from 4 threads", c);
                for (int t = 0; t < 4; t++)
                {
                    var mine = f.Payloads.Where(p => p[0] == t).Select(p => (int)p[1]).ToArray();
                    Assert.True(mine.SequenceEqual(Enumerable.Range(0, 50)), "thread " + t + "'s payloads in order");
                }
            }
        }

        static void DisposeRace()
        {
            // Threads hammer a client and a server while the main thread disposes them:
            // every call either works or throws ObjectDisposedException, nothing else.
            for (int round = 0; round < 20; round++)
            {
                var f = new Fixture(bind: null);
                var c = f.Server.ConnectLocal(1);
                Exception unexpected = null;
                int disposedSeen = 0;
                var go = new ManualResetEvent(false);
                ThreadStart body = () =>
                {
                    var buf = new byte[1200];
                    var events = new ServerEvent[8];
                    go.WaitOne();
                    for (int i = 0; i < 100000; i++)
                    {
                        try
                        {
                            c.Send(buf, 0, 10);
                            c.Update(0);
                            c.Receive(buf, out int n);
                            f.Server.Update(0);
                            f.Server.PollEvents(events, buf);
                            f.Server.Send(ClientId.Local(1), buf, 0, 10);
                        }
                        catch (ObjectDisposedException)
                        {
                            Interlocked.Increment(ref disposedSeen);
                            return;
                        }
                        catch (LightyearException e) when (e.Code == ErrorCode.UnknownClient || e.Code == ErrorCode.NotConnected)
                        {
                            // the client went away first: the server's view, not a failure
                        }
                        catch (Exception e)
                        {
                            unexpected = e;
                            return;
                        }
                    }
                };
                var threads = new[] { new Thread(body), new Thread(body) };
                foreach (var t in threads)
                    t.Start();
                go.Set();
                Thread.Sleep(round % 5);
                if (round % 2 == 0)
                {
                    c.Dispose();
                    f.Dispose();
                }
                else
                {
                    f.Dispose();
                    c.Dispose();
                }
                foreach (var t in threads)
                    t.Join();
                Assert.True(unexpected == null, "only ObjectDisposedException may come out of a race with Dispose: " + unexpected);
                Assert.Equal(2, disposedSeen, "both threads saw the Dispose");
            }
        }

        // ------------------------------------------------------------------
        // Garbage

        /// <summary>One round: client sends 4 payloads; the server drains them and echoes each; the client drains the echoes.</summary>
        sealed class EchoLoop
        {
            public readonly Server Server;
            public readonly Client Client;
            public readonly ServerEvent[] Events = new ServerEvent[16];
            public readonly byte[] ServerBuffer = new byte[16 * 1200];
            public readonly byte[] ClientBuffer = new byte[1200];
            public readonly byte[] Payload = new byte[1300];
            public long Received, Echoed;

            public EchoLoop(Server s, Client c)
            {
                Server = s;
                Client = c;
                for (int i = 0; i < Payload.Length; i++)
                    Payload[i] = (byte)i;
            }

            public void Round(int size)
            {
                rounds++;
                Client.Send(Payload, 1, size);
                Client.Send(new ReadOnlySpan<byte>(Payload, 2, size));
                Client.Send(Payload, 3, size);
                Client.Send(new ReadOnlySpan<byte>(Payload, 4, size));
                Client.Update(0);
                Server.Update(0);
                int n;
                ServerEvent ev;
                // Every poll style: one event into a caller buffer or into PayloadBuffer, then
                // batches into a caller buffer or into PayloadBuffer.
                bool own = rounds % 2 == 0;
                if (own ? Server.PollEvent(out ev, ClientBuffer) : Server.PollEvent(out ev))
                {
                    if (ev.Type == ServerEventType.Payload)
                    {
                        ReadOnlySpan<byte> p = own ? ev.GetPayload(ClientBuffer) : Server.GetPayload(ev);
                        if (p[0] < 1 || p[0] > 4)
                            throw new AssertionException("bad payload content");
                        Received++;
                        if (own)
                            Server.Send(ev.ClientId, ClientBuffer, 0, ev.PayloadLength);
                        else
                            Server.Send(ev.ClientId, p);
                    }
                }
                while ((n = own ? Server.PollEvents(Events, ServerBuffer) : Server.PollEvents(Events)) > 0)
                {
                    for (int i = 0; i < n; i++)
                    {
                        if (Events[i].Type != ServerEventType.Payload)
                            continue;
                        Received++;
                        Server.Send(Events[i].ClientId, own ? Events[i].GetPayload(ServerBuffer) : Server.GetPayload(Events[i]));
                    }
                }
                if (rounds % 16 == 0)
                    Server.Broadcast(new ReadOnlySpan<byte>(Payload, 5, size)); // one more echo-sized payload
                Client.Update(0);
                while (own ? Client.Receive(ClientBuffer, out n) : Client.Receive(new Span<byte>(ClientBuffer), out n))
                {
                    if (n != size)
                        throw new AssertionException("echo of " + n + " bytes, sent " + size);
                    Echoed++;
                }
                // The queries a game loop makes every frame.
                if (!Client.IsConnected || Client.State != ClientState.Connected || !Server.IsRunning || Server.ConnectedCount < 1)
                    throw new AssertionException("connection lost");
                if (Server.Stats.PacketsReceived == 0 || Client.Stats.PacketsSent == 0)
                    throw new AssertionException("stats");
            }

            int rounds;
        }

        static void MeasureAllocations(EchoLoop loop, int warmup, int rounds, string what)
        {
            for (int i = 0; i < warmup; i++)
                loop.Round(1 + i % 1200);
            long r0 = loop.Received;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < rounds; i++)
                loop.Round(1 + (i * 37) % 1200);
            long after = GC.GetAllocatedBytesForCurrentThread();
            long payloads = loop.Received - r0;
            Assert.True(payloads >= rounds * 2, what + ": payloads received while measuring: " + payloads);
            Console.WriteLine("    {0}: {1} payloads received and echoed, {2} managed bytes allocated", what, payloads, after - before);
            Assert.Equal(0L, after - before, what + ": managed bytes allocated over " + payloads + " payloads");
        }

        static void ZeroAllocLocal()
        {
            using (var f = new Fixture(bind: null))
            using (var c = f.Server.ConnectLocal(11))
            {
                f.Server.Update(0);
                f.Drain();
                MeasureAllocations(new EchoLoop(f.Server, c), 2000, 20000, "local client");
            }
        }

        static void ZeroAllocUdp()
        {
            using (var f = new Fixture())
            {
                var c = f.Connect(12);
                f.Drain();
                MeasureAllocations(new EchoLoop(f.Server, c), 500, 3000, "udp loopback");
            }
        }

        static void GcStress()
        {
            double seconds = 3;
            string env = Environment.GetEnvironmentVariable("LIGHTYEAR_CS_STRESS_SECONDS");
            if (!string.IsNullOrEmpty(env))
                seconds = double.Parse(env, CultureInfo.InvariantCulture);
            long serversBefore = ServerHandle.Released, clientsBefore = ClientHandle.Released;
            int abandonedServers = 0, abandonedClients = 0;
            var stop = false;
            // A second thread collects all the time, so finalizers run while the main thread is inside native calls.
            var collector = new Thread(() =>
            {
                var junk = new List<byte[]>();
                var rnd = new Random(1);
                while (!Volatile.Read(ref stop))
                {
                    for (int i = 0; i < 200; i++)
                        junk.Add(new byte[rnd.Next(16, 4096)]);
                    if (junk.Count > 5000)
                        junk.Clear();
                    GC.Collect();
                    Thread.Sleep(1);
                }
            });
            collector.Start();
            try
            {
                using (var f = new Fixture())
                {
                    var c = f.Connect(21);
                    f.Drain();
                    var loop = new EchoLoop(f.Server, c);
                    var sw = System.Diagnostics.Stopwatch.StartNew();
                    var rnd = new Random(2);
                    int rounds = 0;
                    while (sw.Elapsed.TotalSeconds < seconds)
                    {
                        loop.Round(1 + rnd.Next(1200));
                        rounds++;
                        if (rounds % 50 == 0)
                        {
                            // Abandon a server with a local client, and a token client: only finalizers free them.
                            Abandon(f, ref abandonedServers, ref abandonedClients);
                            var garbage = new object[1000];
                            for (int i = 0; i < garbage.Length; i++)
                                garbage[i] = new string('x', i % 64);
                        }
                        if (rounds % 500 == 0)
                        {
                            GC.Collect();
                            GC.WaitForPendingFinalizers();
                        }
                    }
                    Assert.True(loop.Echoed > rounds, "echoes received under stress: " + loop.Echoed + " in " + rounds + " rounds");
                    Console.WriteLine("    {0:F1} s: {1} rounds, {2} payloads echoed, {3} servers and {4} clients abandoned",
                                      seconds, rounds, loop.Echoed, abandonedServers, abandonedClients);
                }
            }
            finally
            {
                Volatile.Write(ref stop, true);
                collector.Join();
            }
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            long servers = ServerHandle.Released - serversBefore, clients = ClientHandle.Released - clientsBefore;
            // The fixture's own server and client are disposed too, so at least abandoned + 1 each.
            Assert.True(servers >= abandonedServers + 1, "server handles released: " + servers + " of " + (abandonedServers + 1));
            Assert.True(clients >= abandonedClients + 1, "client handles released: " + clients + " of " + (abandonedClients + 1));
        }

        // Not inlined into the loop, so nothing on the loop's stack keeps the objects alive.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static void Abandon(Fixture f, ref int servers, ref int clients)
        {
            var s = new Server(new ServerConfig { PrivateKey = f.Key });
            s.Start();
            s.ConnectLocal(1).Send(new byte[] { 1, 2, 3 });
            servers++;
            clients++;
            var c = new Client(f.Token(500 + (ulong)clients));
            c.Connect();
            clients++;
        }

        static void FinalizerFreesSocket()
        {
            // Made on a thread that then ends: Mono scans stacks conservatively, and a
            // stale slot on this thread's stack could keep the server alive.
            string address = null;
            long before = ServerHandle.Released;
            var t = new Thread(() => address = AbandonBoundServer());
            t.Start();
            t.Join();
            for (int i = 0; i < 3; i++)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
            Assert.True(ServerHandle.Released > before, "the abandoned server's handle was finalized");
            using (var s = new Server(new ServerConfig { PrivateKey = Keys.Generate(), BindAddresses = address }))
                s.Start(); // would be LightyearException Socket if the abandoned server still held the port
        }

        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        static string AbandonBoundServer()
        {
            var s = new Server(new ServerConfig { PrivateKey = Keys.Generate(), BindAddresses = "127.0.0.1:0" });
            s.Start();
            return s.GetAddress(0);
        }

        // ------------------------------------------------------------------
        // Steam, over the test double of Valve's flat API (FakeSteam)

        const string SteamAddress = "127.0.0.1:27015";

        /// <summary>Opens the double, runs body, then closes Steam whatever happened.</summary>
        static void WithSteam(Action body)
        {
            Steam.Open(FakeSteam.Config());
            try
            {
                body();
            }
            finally
            {
                Steam.Close();
            }
        }

        static void SteamOpenErrors()
        {
            var defaults = new SteamConfig();
            Assert.Equal(SteamFlavour.Auto, defaults.Flavour, "default flavour (ly_steam_config_defaults)");
            Assert.Equal(SteamInitMode.Client, defaults.Init, "default init");
            Assert.True(defaults.AppId == 0 && defaults.LibraryPath == null && defaults.GamePort == 0 && defaults.QueryPort == 0,
                        "the rest is zero");
            Assert.True(!defaults.AllowIPWithoutAuth && defaults.TimeoutInitialMs == 0 && defaults.TimeoutConnectedMs == 0 &&
                        defaults.DebugOutputLevel == 0 && defaults.SendRateMin == 0 && defaults.SendRateMax == 0 && defaults.SendBufferSize == 0,
                        "the connection options default to 0: Steam's own values");
            var sdef = new SteamServerConfig();
            Assert.True(sdef.Mode == SteamMode.IP && sdef.Address == null && sdef.VirtualPort == 0, "server config defaults");
            Assert.Equal(256, sdef.MaxClients, "default Steam MaxClients (ly_steam_server_config_defaults)");
            Assert.Equal(Library.MaxPayloadSize, sdef.MaxPayload, "default Steam server MaxPayload");
            var cdef = new SteamClientConfig();
            Assert.True(cdef.Mode == SteamMode.IP && cdef.Address == null && cdef.ServerSteamId == 0 && cdef.VirtualPort == 0, "client config defaults");
            Assert.Equal(Library.MaxPayloadSize, cdef.MaxPayload, "default Steam client MaxPayload");

            // A named library that is not there: the only file tried, named in the message.
            const string missing = "/nonexistent/libsteam_api.so";
            var cfg = FakeSteam.Config();
            cfg.LibraryPath = missing;
            var e = Assert.Code(ErrorCode.SteamUnavailable, () => Steam.Open(cfg), "open a missing library");
            Assert.True(e.NativeMessage.Contains(missing) && e.Message.Contains(missing), "the message names the path: " + e.Message);
            Assert.Equal("ly_steam_open", e.Function, "function");

            // Steam's own failure comes back with Steam's message.
            FakeSteam.FailInit("no Steam client is running (C# double)", 2);
            try
            {
                e = Assert.Code(ErrorCode.SteamInitFailed, () => Steam.Open(FakeSteam.Config()), "Steam's init fails");
                Assert.True(e.NativeMessage.Contains("no Steam client is running (C# double)"), "Steam's message is carried: " + e.Message);
            }
            finally
            {
                FakeSteam.Reset();
            }

            // Values the library refuses.
            cfg = FakeSteam.Config();
            cfg.Init = (SteamInitMode)99;
            Assert.Code(ErrorCode.InvalidArgument, () => Steam.Open(cfg), "unknown init mode");
            cfg = FakeSteam.Config();
            cfg.Flavour = (SteamFlavour)7;
            Assert.Code(ErrorCode.InvalidArgument, () => Steam.Open(cfg), "unknown flavour");
            cfg = FakeSteam.Config();
            cfg.Init = SteamInitMode.GameServer;
            cfg.GameServerIP = "not an ip";
            Assert.Code(ErrorCode.InvalidArgument, () => Steam.Open(cfg), "malformed game-server IP");
            cfg = FakeSteam.Config();
            cfg.DebugOutputLevel = 9;
            Assert.Code(ErrorCode.InvalidArgument, () => Steam.Open(cfg), "debug output level over 8");
            cfg = FakeSteam.Config();
            cfg.SendRateMin = 2000000;
            cfg.SendRateMax = 1000000;
            e = Assert.Code(ErrorCode.InvalidArgument, () => Steam.Open(cfg), "SendRateMin over SendRateMax");
            Assert.True(e.NativeMessage.Contains("send_rate_min"), "the message names the field: " + e.Message);
            cfg = FakeSteam.Config();
            cfg.TimeoutInitialMs = 0x80000000u;
            Assert.Code(ErrorCode.InvalidArgument, () => Steam.Open(cfg), "a timeout over 2^31-1");
            cfg = FakeSteam.Config();
            cfg.SendBufferSize = uint.MaxValue;
            Assert.Code(ErrorCode.InvalidArgument, () => Steam.Open(cfg), "a send buffer over 2^31-1");

            // Nothing open: servers and clients say so.
            Assert.Code(ErrorCode.SteamUnavailable, () => Client.CreateSteam(SteamClientConfig.IP(SteamAddress)), "Steam client before Open");
            using (var f = new Fixture(bind: null))
                Assert.Code(ErrorCode.SteamUnavailable, () => f.Server.AddSteam(SteamServerConfig.IP(SteamAddress)), "Steam backend before Open");
            Steam.Close(); // closing nothing is fine

            // Checked before the native call.
            Assert.Throws<ArgumentNullException>(() => Steam.Open(null), "Steam.Open(null)");
            Assert.Throws<ArgumentNullException>(() => Client.CreateSteam(null), "CreateSteam(null)");
            var bad = FakeSteam.Config();
            bad.LibraryPath = "lib\0x";
            Assert.Throws<ArgumentException>(() => Steam.Open(bad), "NUL in the library path");
            Assert.Throws<ArgumentOutOfRangeException>(() => Client.CreateSteam(new SteamClientConfig { Address = SteamAddress, MaxPayload = 1201 }),
                                                       "client MaxPayload over 1200");
            using (var f = new Fixture(bind: null))
            {
                Assert.Throws<ArgumentNullException>(() => f.Server.AddSteam(null), "AddSteam(null)");
                Assert.Throws<ArgumentOutOfRangeException>(() => f.Server.AddSteam(new SteamServerConfig { Address = SteamAddress, MaxClients = -1 }),
                                                           "negative MaxClients");
                Assert.Throws<ArgumentOutOfRangeException>(() => f.Server.AddSteam(new SteamServerConfig { Address = SteamAddress, MaxPayload = -1 }),
                                                           "negative MaxPayload");
            }
        }

        static void SteamExchange()
        {
            WithSteam(() =>
            {
                // One server: netcode on UDP and Steam at once.
                using (var f = new Fixture())
                {
                    f.Server.AddSteam(SteamServerConfig.IP(SteamAddress));
                    Assert.Code(ErrorCode.InvalidArgument, () => f.Server.AddSteam(SteamServerConfig.IP("127.0.0.1:27016")), "a second Steam backend");
                    Assert.Code(ErrorCode.InvalidArgument, () => f.Server.AddSteam(new SteamServerConfig { Mode = (SteamMode)7, Address = SteamAddress }),
                                "unknown mode");
                    Assert.Code(ErrorCode.InvalidArgument, () => f.Server.AddSteam(SteamServerConfig.IP("127.0.0.1")), "an address without a port");
                    Assert.Code(ErrorCode.InvalidArgument, () => Client.CreateSteam(SteamClientConfig.IP("nowhere")), "malformed client address");

                    var net = f.Connect(1);
                    using (var sc = Client.CreateSteam(SteamClientConfig.IP(SteamAddress)))
                    {
                        Assert.True(sc.IsSteam && !sc.IsLocal, "IsSteam");
                        Assert.Equal(ClientState.Disconnected, sc.State, "idle before Connect");
                        Assert.Code(ErrorCode.InvalidArgument, () => sc.SetToken(f.Token(2)), "a Steam client has no token");
                        Assert.Code(ErrorCode.InvalidArgument, () => sc.SetConditioner(ConditionerConfig.Good, null), "nor a conditioner");
                        sc.Connect();
                        Func<ServerEvent, bool> steamConnected = ev => ev.Type == ServerEventType.Connected && ev.ClientId.Kind == ClientKind.Steam;
                        f.PumpUntil(() => sc.IsConnected && f.Events.Exists(ev => steamConnected(ev)), "the Steam client connects", sc);
                        var id = f.Events.First(ev => steamConnected(ev)).ClientId;
                        Assert.Equal(ClientId.Steam(FakeSteam.LocalSteamId), id, "the server knows the client by its SteamID");
                        Assert.Equal(ClientKind.Steam, sc.Id.Kind, "the Steam client's own id is of kind Steam: " + sc.Id);
                        var kinds = f.Server.ConnectedClients.Select(c => c.Kind).OrderBy(k => k).ToArray();
                        Assert.True(kinds.SequenceEqual(new[] { ClientKind.Netcode, ClientKind.Steam }), "netcode and Steam clients on one server");
                        Assert.Equal(2, f.Server.ConnectedCount, "connected count");

                        // Client -> server, every size class, through each Send overload.
                        var sizes = new[] { 1, 2, 100, 511, 1199, 1200 };
                        var sent = new List<byte[]>();
                        var big = new byte[1300];
                        int seed = 500;
                        foreach (int size in sizes)
                        {
                            var a = Fixture.Pattern(size, ++seed);
                            sc.Send(a);
                            sent.Add(a);
                            var b = Fixture.Pattern(size, ++seed);
                            Array.Copy(b, 0, big, 3, size);
                            sc.Send(new ReadOnlySpan<byte>(big, 3, size));
                            sent.Add(b);
                        }
                        f.Payloads.Clear();
                        int before = f.Events.Count;
                        f.PumpUntil(() => f.Payloads.Count >= sent.Count, "the server receives " + sent.Count + " Steam payloads", sc);
                        for (int i = 0; i < sent.Count; i++)
                            Assert.True(Fixture.Same(sent[i], f.Payloads[i]), "Steam payload " + i + " (" + sent[i].Length + " bytes) arrived intact and in order");
                        foreach (var ev in f.Events.Skip(before).Where(ev => ev.Type == ServerEventType.Payload))
                            Assert.Equal(id, ev.ClientId, "payload events carry the Steam id");
                        var stats = f.Server.ClientStats(id);
                        Assert.True(stats.PacketsReceived >= (ulong)sent.Count, "per-client stats of the Steam client: " + stats);

                        // Server -> client, to the Steam id only.
                        var back = new List<byte[]>();
                        foreach (int size in sizes)
                        {
                            var a = Fixture.Pattern(size, ++seed);
                            f.Server.Send(id, a);
                            back.Add(a);
                        }
                        var got = new List<byte[]>();
                        var buf = new byte[Library.MaxPayloadSize];
                        f.PumpUntil(() =>
                        {
                            int n;
                            while (sc.Receive(buf, out n))
                                got.Add(buf.Take(n).ToArray());
                            return got.Count >= back.Count;
                        }, "the Steam client receives " + back.Count + " payloads", sc);
                        for (int i = 0; i < back.Count; i++)
                            Assert.True(Fixture.Same(back[i], got[i]), "server payload " + i + " (" + back[i].Length + " bytes) intact and in order");
                        int m;
                        Assert.True(!net.Receive(buf, out m), "nothing reached the netcode client: routed by kind");
                        Assert.True(sc.Stats.PacketsReceived >= (ulong)back.Count, "Steam client stats: " + sc.Stats);

                        // Broadcast reaches both kinds.
                        var bc = Fixture.Pattern(77, 1);
                        f.Server.Broadcast(bc);
                        bool steamGot = false, netGot = false;
                        f.PumpUntil(() =>
                        {
                            int n;
                            while (sc.Receive(buf, out n))
                                steamGot |= Fixture.Same(bc, buf.Take(n).ToArray());
                            while (net.Receive(buf, out n))
                                netGot |= Fixture.Same(bc, buf.Take(n).ToArray());
                            return steamGot && netGot;
                        }, "the broadcast reaches the Steam and the netcode client", sc);

                        // The client leaves: the server sees it go.
                        sc.Disconnect();
                        Assert.Equal(DisconnectReason.Local, sc.DisconnectReason, "the client's own reason");
                        f.PumpUntil(() => f.Events.Exists(ev => ev.Type == ServerEventType.Disconnected && ev.ClientId == id), "Steam disconnect event", sc);
                        var d = f.Events.Last(ev => ev.Type == ServerEventType.Disconnected && ev.ClientId == id);
                        Assert.Equal(DisconnectReason.Remote, d.Reason, "the server sees a remote disconnect");
                        Assert.Equal(1, f.Server.ConnectedCount, "the netcode client stays");
                        Assert.Code(ErrorCode.UnknownClient, () => f.Server.Send(id, new byte[4]), "send to the departed Steam client");
                    }
                }
                Assert.Equal(0L, FakeSteam.LiveMessages(), "every Steam message was released");
            });
        }

        static void SteamP2P()
        {
            WithSteam(() =>
            {
                using (var f = new Fixture(bind: null)) // no netcode socket: Steam and local clients only
                {
                    f.Server.AddSteam(SteamServerConfig.P2P(3));
                    using (var wrongPort = Client.CreateSteam(SteamClientConfig.P2P(FakeSteam.LocalSteamId, 4)))
                    using (var sc = Client.CreateSteam(SteamClientConfig.P2P(FakeSteam.LocalSteamId, 3)))
                    {
                        wrongPort.Connect();
                        sc.Connect();
                        f.PumpUntil(() => sc.IsConnected && f.Connected(ClientId.Steam(FakeSteam.LocalSteamId)) && (int)wrongPort.State < 0,
                                    "P2P client connects; the one on another virtual port fails", sc, wrongPort);
                        Assert.Equal(1, f.Server.ConnectedCount, "one Steam client");

                        var msg = Fixture.Pattern(600, 3);
                        sc.Send(msg);
                        f.PumpUntil(() => f.Payloads.Exists(p => Fixture.Same(p, msg)), "P2P payload arrives", sc);

                        // The server ends it: the client learns.
                        f.Server.Disconnect(ClientId.Steam(FakeSteam.LocalSteamId));
                        f.PumpUntil(() => !sc.IsConnected, "the Steam client sees the server's disconnect", sc);
                        Assert.True((int)sc.State <= 0, "state after the server's disconnect: " + sc.State);
                        Assert.True(sc.DisconnectReason != DisconnectReason.None, "a reason: " + sc.DisconnectReason);
                        var d = f.Events.Last(ev => ev.Type == ServerEventType.Disconnected);
                        Assert.Equal(DisconnectReason.Local, d.Reason, "server-side reason");
                    }
                }
                Assert.Equal(0L, FakeSteam.LiveMessages(), "every Steam message was released");
            });
        }

        static void SteamOpenClose()
        {
            var cfg = FakeSteam.Config();
            Steam.Open(cfg);
            Client before;
            try
            {
                Assert.Code(ErrorCode.AlreadyActive, () => Steam.Open(cfg), "open twice");
                var e = Assert.Code(ErrorCode.AlreadyActive, () => Steam.Open(FakeSteam.Config()), "open twice, another config object");
                Assert.True(e.NativeMessage.Length > 0, "detail: " + e.Message);
                before = Client.CreateSteam(SteamClientConfig.IP(SteamAddress));
            }
            finally
            {
                Steam.Close();
            }
            Steam.Close(); // twice is fine
            Assert.Code(ErrorCode.SteamUnavailable, () => Client.CreateSteam(SteamClientConfig.IP(SteamAddress)), "closed: no Steam clients");
            // Close closed the Steam clients made before it: they are disposed, and say why.
            Assert.True(before.IsDisposed, "a Steam client made before Close is disposed");
            var de = Assert.Throws<ObjectDisposedException>(() => before.Update(0.01), "Update after Steam.Close");
            Assert.True(de.Message.Contains("Steam.Close"), "the message says why: " + de.Message);
            Assert.Throws<ObjectDisposedException>(() => before.Connect(), "Connect after Steam.Close");
            before.Dispose(); // releasing it is harmless
            before.Dispose();

            // Reopen: works as the first time.
            WithSteam(() =>
            {
                using (var f = new Fixture(bind: null))
                using (var sc = Client.CreateSteam(SteamClientConfig.IP(SteamAddress)))
                {
                    f.Server.AddSteam(SteamServerConfig.IP(SteamAddress));
                    sc.Connect();
                    f.PumpUntil(() => sc.IsConnected && f.Server.ConnectedCount == 1, "connects after a reopen", sc);
                }
            });

            // Library.Shutdown closes Steam too: it can be opened again after.
            Steam.Open(cfg);
            var server = new Server(new ServerConfig { PrivateKey = Keys.Generate() });
            server.AddSteam(SteamServerConfig.IP(SteamAddress));
            var client = Client.CreateSteam(SteamClientConfig.IP(SteamAddress));
            Library.Shutdown();
            Assert.True(server.IsDisposed && client.IsDisposed, "Shutdown disposed the Steam server and client");
            Assert.Code(ErrorCode.SteamUnavailable, () => Client.CreateSteam(SteamClientConfig.IP(SteamAddress)), "Shutdown closed Steam");
            server.Dispose();
            client.Dispose();
            WithSteam(() => { });
        }

        // ESteamNetworkingConfigValue keys of the options (steamnetworkingtypes.h).
        const int SteamConfigSendBufferSize = 9, SteamConfigSendRateMin = 10, SteamConfigSendRateMax = 11,
                  SteamConfigIPAllowWithoutAuth = 23, SteamConfigTimeoutInitial = 24, SteamConfigTimeoutConnected = 25;

        static void SteamOptionsAndStatus()
        {
            var cfg = FakeSteam.Config();
            cfg.AllowIPWithoutAuth = true;
            cfg.TimeoutInitialMs = 1500;
            cfg.TimeoutConnectedMs = 7000;
            cfg.SendRateMin = 100000;
            cfg.SendRateMax = 900000;
            cfg.SendBufferSize = 65536;
            FakeSteam.Reset();
            Steam.Open(cfg);
            try
            {
                // The double records Steam's global config: every option arrived.
                Assert.Equal(2, FakeSteam.GlobalConfig(SteamConfigIPAllowWithoutAuth), "IP_AllowWithoutAuth");
                Assert.Equal(1500, FakeSteam.GlobalConfig(SteamConfigTimeoutInitial), "TimeoutInitial");
                Assert.Equal(7000, FakeSteam.GlobalConfig(SteamConfigTimeoutConnected), "TimeoutConnected");
                Assert.Equal(100000, FakeSteam.GlobalConfig(SteamConfigSendRateMin), "SendRateMin");
                Assert.Equal(900000, FakeSteam.GlobalConfig(SteamConfigSendRateMax), "SendRateMax");
                Assert.Equal(65536, FakeSteam.GlobalConfig(SteamConfigSendBufferSize), "SendBufferSize");

                using (var f = new Fixture())
                using (var sc = Client.CreateSteam(SteamClientConfig.IP(SteamAddress)))
                {
                    f.Server.AddSteam(SteamServerConfig.IP(SteamAddress));
                    Assert.Code(ErrorCode.NotConnected, () => sc.ConnectionStatus(), "an idle Steam client has no status");
                    var net = f.Connect(3);
                    sc.Connect();
                    f.PumpUntil(() => sc.IsConnected && f.Server.ConnectedCount == 2, "the Steam client connects", sc);
                    var id = ClientId.Steam(FakeSteam.LocalSteamId);

                    // The double's made-up status (ping 7 ms, 256,000 B/s, 1,500 us queued) comes through.
                    var st = f.Server.ConnectionStatus(id);
                    Assert.True(st.IsConnected && st.State == 3, "server's status: " + st);
                    Assert.Equal(7, st.PingMs, "PingMs");
                    Assert.Equal(256000, st.SendRateBytesPerSec, "SendRateBytesPerSec");
                    Assert.Equal(1500L, st.QueueTimeMicroseconds, "QueueTimeMicroseconds");
                    Assert.Equal(1.0f, st.QualityLocal, "QualityLocal");
                    var cst = sc.ConnectionStatus();
                    Assert.True(cst.IsConnected && cst.PingMs == 7, "client's status: " + cst);

                    Assert.Code(ErrorCode.InvalidArgument, () => f.Server.ConnectionStatus(ClientId.Netcode(3)), "a netcode client has no Steam status");
                    Assert.Code(ErrorCode.InvalidArgument, () => f.Server.ConnectionStatus(ClientId.Local(3)), "nor a local one");
                    Assert.Code(ErrorCode.UnknownClient, () => f.Server.ConnectionStatus(ClientId.Steam(12345)), "an unknown Steam id");
                    Assert.Code(ErrorCode.InvalidArgument, () => net.ConnectionStatus(), "a netcode client's status");

                    sc.Disconnect();
                    Assert.Code(ErrorCode.NotConnected, () => sc.ConnectionStatus(), "disconnected");
                    f.PumpUntil(() => f.Server.ConnectedCount == 1, "the server sees the Steam client go", sc);
                    Assert.Code(ErrorCode.UnknownClient, () => f.Server.ConnectionStatus(id), "a departed Steam client");
                    sc.Connect();
                    f.PumpUntil(() => sc.IsConnected && f.Server.ConnectedCount == 2, "the Steam client reconnects", sc);
                    Steam.Close();
                    Assert.Throws<ObjectDisposedException>(() => sc.ConnectionStatus(), "status after Steam.Close");
                    Assert.Code(ErrorCode.UnknownClient, () => f.Server.ConnectionStatus(id), "the server lost its Steam backend");
                }
            }
            finally
            {
                Steam.Close();
            }
        }

        static void SendBufferFullMapping()
        {
            // Only the real Steam fills its send buffer (see SteamGns); the
            // mapping of the code is the binding's and is checked here.
            var e = Assert.Throws<SendBufferFullException>(() => Err.Throw((int)ErrorCode.SendBufferFull, "ly_client_send", 0), "code -15");
            Assert.Equal(ErrorCode.SendBufferFull, e.Code, "Code");
            Assert.True(e is LightyearException, "a LightyearException too");
            Assert.True(e.Message.Contains("ly_client_send") && e.Message.Contains("SendBufferFull"), "message: " + e.Message);
            Assert.True(Library.Describe(ErrorCode.SendBufferFull).Contains("send buffer"), "ly_error_string: " + Library.Describe(ErrorCode.SendBufferFull));
            Assert.Code(ErrorCode.Socket, () => Err.Throw((int)ErrorCode.Socket, "ly_client_send", 0), "other codes stay LightyearException");
        }

        /// <summary>A UDP port on 127.0.0.1 that was free a moment ago (GNS listens on a given port).</summary>
        static int FreeUdpPort()
        {
            using (var u = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0)))
                return ((System.Net.IPEndPoint)u.Client.LocalEndPoint).Port;
        }

        /// <summary>
        /// The C# binding over the real, open-source GameNetworkingSockets on
        /// 127.0.0.1 (steamworks/testdata/build-gns.sh builds it; test.sh or
        /// the caller sets LIGHTYEAR_GNS_LIB): skipped without it.
        /// </summary>
        static void SteamGns()
        {
            string lib = Environment.GetEnvironmentVariable("LIGHTYEAR_GNS_LIB");
            if (string.IsNullOrEmpty(lib) || !File.Exists(lib))
                throw new SkipException("LIGHTYEAR_GNS_LIB does not name libGameNetworkingSockets.so (bash steamworks/testdata/build-gns.sh builds it)");
            // GNS 0.3.0 sends 256 KiB/s by default; the status shows the rate set here.
            const uint rate = 4 * 1024 * 1024;
            Steam.Open(new SteamConfig
            {
                Flavour = SteamFlavour.GameNetworkingSockets, LibraryPath = lib, AllowIPWithoutAuth = true,
                TimeoutInitialMs = 1500, SendRateMin = rate, SendRateMax = rate,
            });
            try
            {
                // Initialised by us: an Init mode over it is AlreadyActive.
                Assert.Code(ErrorCode.AlreadyActive, () => Steam.Open(new SteamConfig { Flavour = SteamFlavour.GameNetworkingSockets, LibraryPath = lib }),
                            "open twice");
                string address = "127.0.0.1:" + FreeUdpPort();
                using (var f = new Fixture(bind: null))
                using (var sc = Client.CreateSteam(SteamClientConfig.IP(address)))
                {
                    f.Server.AddSteam(SteamServerConfig.IP(address));
                    sc.Connect();
                    f.PumpUntil(() => sc.IsConnected && f.Server.ConnectedCount == 1, "the Steam client connects over GNS", sc);
                    var id = f.Events.First(ev => ev.Type == ServerEventType.Connected).ClientId;
                    Assert.Equal(ClientKind.Steam, id.Kind, "the id's kind");

                    // Payloads both ways, every size class, bytes checked.
                    var buf = new byte[Library.MaxPayloadSize];
                    var sent = new List<byte[]>();
                    f.Payloads.Clear();
                    for (int i = 0; i < 300; i++)
                    {
                        var p = Fixture.Pattern(1 + (i * 37) % Library.MaxPayloadSize, i);
                        sc.Send(p);
                        sent.Add(p);
                        if (i % 20 == 19)
                            f.PumpUntil(() => true, "a step", sc);
                    }
                    f.PumpUntil(() => f.Payloads.Count >= sent.Count, "the server receives " + sent.Count + " payloads", sc);
                    for (int i = 0; i < sent.Count; i++)
                        Assert.True(Fixture.Same(sent[i], f.Payloads[i]), "payload " + i + " (" + sent[i].Length + " bytes) intact and in order");
                    var back = new List<byte[]>();
                    var got = new List<byte[]>();
                    Func<bool> receiveAll = () =>
                    {
                        int n;
                        while (sc.Receive(buf, out n))
                            got.Add(buf.Take(n).ToArray());
                        return got.Count >= back.Count;
                    };
                    for (int i = 0; i < 300; i++)
                    {
                        var p = Fixture.Pattern(Library.MaxPayloadSize - (i * 41) % Library.MaxPayloadSize, 1000 + i);
                        f.Server.Send(id, p);
                        back.Add(p);
                        if (i % 20 == 19)
                            f.PumpUntil(() => { receiveAll(); return true; }, "a step", sc);
                    }
                    f.PumpUntil(receiveAll, "the client receives " + back.Count + " payloads", sc);
                    for (int i = 0; i < back.Count; i++)
                        Assert.True(Fixture.Same(back[i], got[i]), "server payload " + i + " (" + back[i].Length + " bytes) intact and in order");

                    // Steam's status of both ends.
                    var st = f.Server.ConnectionStatus(id);
                    Assert.True(st.IsConnected && st.PingMs >= 0 && st.PingMs < 1000, "server's status: " + st);
                    Assert.Equal((int)rate, st.SendRateBytesPerSec, "the send rate set in SteamConfig");
                    var cst = sc.ConnectionStatus();
                    Assert.True(cst.IsConnected && cst.PingMs >= 0 && cst.QueueTimeMicroseconds >= 0, "client's status: " + cst);
                    Assert.Code(ErrorCode.InvalidArgument, () => f.Server.ConnectionStatus(ClientId.Netcode(id.Id)), "a netcode id");
                    Assert.Code(ErrorCode.UnknownClient, () => f.Server.ConnectionStatus(ClientId.Steam(id.Id ^ 1)), "an unknown Steam id");

                    // 10,000 sends of 1,200 bytes with no update: Steam's send
                    // buffer fills, the rest throw SendBufferFullException.
                    var big = Fixture.Pattern(Library.MaxPayloadSize, 77);
                    for (int side = 0; side < 2; side++)
                    {
                        int ok = 0, full = 0;
                        f.Payloads.Clear();
                        got.Clear();
                        for (int i = 0; i < 10000; i++)
                        {
                            try
                            {
                                if (side == 0)
                                    sc.Send(big);
                                else
                                    f.Server.Send(id, big);
                                ok++;
                            }
                            catch (SendBufferFullException e)
                            {
                                Assert.Equal(ErrorCode.SendBufferFull, e.Code, "code");
                                full++;
                            }
                        }
                        var pending = side == 0 ? sc.ConnectionStatus() : f.Server.ConnectionStatus(id);
                        Console.WriteLine("  gns burst from the {0}: {1} sent, {2} SendBufferFullException; {3}",
                                          side == 0 ? "client" : "server", ok, full, pending);
                        Assert.True(full >= 1 && ok >= 1, "some sends fit, some found the buffer full: " + ok + " / " + full);
                        Assert.True(pending.PendingUnreliable > 0, "Steam holds the accepted ones: " + pending);
                        if (side == 0)
                            f.PumpUntil(() => f.Payloads.Count >= ok, "the " + ok + " accepted payloads arrive", sc);
                        else
                            f.PumpUntil(() => { receiveAll(); return got.Count >= ok; }, "the " + ok + " accepted payloads arrive", sc);
                        Assert.True(side == 0 ? f.Payloads.All(p => Fixture.Same(big, p)) : got.All(p => Fixture.Same(big, p)), "their bytes");
                    }

                    // And the connection works afterwards.
                    var last = Fixture.Pattern(50, 5);
                    sc.Send(last);
                    f.PumpUntil(() => f.Payloads.Exists(p => Fixture.Same(last, p)), "a payload after the bursts", sc);
                    sc.Disconnect();
                    f.PumpUntil(() => f.Events.Exists(ev => ev.Type == ServerEventType.Disconnected && ev.ClientId == id), "the server sees it go", sc);
                    Assert.Equal(DisconnectReason.Remote, f.Events.Last(ev => ev.Type == ServerEventType.Disconnected).Reason, "reason");
                }
            }
            finally
            {
                Steam.Close();
            }
        }

        static void ZeroAllocSteam()
        {
            WithSteam(() =>
            {
                using (var f = new Fixture(bind: null))
                using (var sc = Client.CreateSteam(SteamClientConfig.IP(SteamAddress)))
                {
                    f.Server.AddSteam(SteamServerConfig.IP(SteamAddress));
                    sc.Connect();
                    f.PumpUntil(() => sc.IsConnected && f.Server.ConnectedCount == 1, "the Steam client connects", sc);
                    f.Drain();
                    MeasureAllocations(new EchoLoop(f.Server, sc), 500, 3000, "steam (test double)");
                }
            });
        }

        static void Shutdown()
        {
            var f = new Fixture();
            var c = f.Connect(41);
            var local = f.Server.ConnectLocal(2);
            Library.Shutdown();
            Assert.True(f.Server.IsDisposed && c.IsDisposed && local.IsDisposed, "everything is disposed");
            var e = Assert.Throws<ObjectDisposedException>(() => f.Server.Update(0.1), "server after Shutdown");
            Assert.True(e.Message.Contains("Shutdown"), "the message says why: " + e.Message);
            Assert.Throws<ObjectDisposedException>(() => c.Send(new byte[4]), "client after Shutdown");
            Assert.Throws<ObjectDisposedException>(() => local.Receive(new byte[4], out int n), "local client after Shutdown");
            f.Dispose(); // releasing stale handles is harmless
            local.Dispose();
            // The library works again, on the same port even: Shutdown closed the socket.
            using (var s = new Server(new ServerConfig { PrivateKey = Keys.Generate(), BindAddresses = f.Address }))
            {
                s.Start();
                Assert.True(s.IsRunning, "a new server after Shutdown");
            }
            using (var f2 = new Fixture())
                f2.Connect(42);
        }

        static string PackageDir { get { return Path.Combine(Paths.Root, "bindings", "csharp", "com.lightyear.conn"); } }

        // The native libraries of the package and what each .meta must select (tools/gen_meta.sh writes them):
        // file, Editor OS and CPU (null: not for the Editor), the one player entry enabled, its CPU, a define constraint.
        static readonly string[][] Plugins =
        {
            new[] { "Runtime/Plugins/Linux/x86_64/liblightyear_conn.so", "Linux", "x86_64", "Standalone: Linux64", "x86_64", null },
            new[] { "Runtime/Plugins/Linux/arm64/liblightyear_conn.so", null, null, "Standalone: Linux64", "ARM64", "UNITY_6000_3_OR_NEWER" },
            new[] { "Runtime/Plugins/Windows/x86_64/lightyear_conn.dll", "Windows", "x86_64", "Standalone: Win64", "x86_64", null },
            new[] { "Runtime/Plugins/macOS/liblightyear_conn.dylib", "OSX", "AnyCPU", "Standalone: OSXUniversal", "AnyCPU", null },
            new[] { "Runtime/Plugins/Android/libs/arm64-v8a/liblightyear_conn.so", null, null, "Android: Android", "ARM64", null },
            new[] { "Runtime/Plugins/Android/libs/armeabi-v7a/liblightyear_conn.so", null, null, "Android: Android", "ARMv7", null },
            new[] { "Runtime/Plugins/Android/libs/x86_64/liblightyear_conn.so", null, null, "Android: Android", "X86_64", null },
            new[] { "Runtime/Plugins/iOS/liblightyear_conn.a", null, null, "iPhone: iOS", "AnyCPU", null },
        };

        static bool IsPlugin(string rel)
        {
            return Plugins.Any(p => p[0] == rel);
        }

        static void UnityPackage()
        {
            string pkg = PackageDir;
            string manifest = File.ReadAllText(Path.Combine(pkg, "package.json"));
            Func<string, string> field = name =>
            {
                var m = Regex.Match(manifest, "\"" + name + "\"\\s*:\\s*\"([^\"]*)\"");
                Assert.True(m.Success, "package.json has " + name);
                return m.Groups[1].Value;
            };
            Assert.Equal("com.lightyear.conn", field("name"), "package name");
            Assert.Equal("0.1.0", field("version"), "package version");
            Assert.Equal("2021.3", field("unity"), "minimum Unity");
            Assert.Equal("MIT OR Apache-2.0", field("license"), "license (SPDX), as the Rust crates say");
            // The package carries both license texts, the same as the repository's.
            string license = File.ReadAllText(Path.Combine(pkg, "LICENSE.md"));
            foreach (var name in new[] { "LICENSE-MIT", "LICENSE-APACHE" })
                Assert.True(license.Contains(File.ReadAllText(Path.Combine(Paths.Root, name))), "LICENSE.md holds " + name + " unchanged");
            Assert.True(field("displayName").Length > 0, "displayName");
            Assert.True(Directory.Exists(Path.Combine(pkg, field("path"))), "the sample path exists: " + field("path"));

            string asmdef = File.ReadAllText(Path.Combine(pkg, "Runtime", "Lightyear.Conn.asmdef"));
            Assert.True(Regex.IsMatch(asmdef, "\"allowUnsafeCode\"\\s*:\\s*true"), "asmdef allows unsafe code");
            Assert.True(Regex.IsMatch(asmdef, "\"name\"\\s*:\\s*\"Lightyear.Conn\""), "asmdef name");

            // A .meta for every file and folder (Samples~ excepted: Unity ignores "~" folders).
            var guids = new Dictionary<string, string>();
            var assets = new List<string>();
            foreach (var entry in Directory.GetFileSystemEntries(pkg, "*", SearchOption.AllDirectories))
            {
                string rel = entry.Substring(pkg.Length + 1).Replace('\\', '/');
                if (rel.Split('/').Any(part => part.EndsWith("~")))
                    continue;
                if (rel.EndsWith(".meta"))
                {
                    var g = Regex.Match(File.ReadAllText(entry), @"^guid: ([0-9a-f]{32})$", RegexOptions.Multiline);
                    Assert.True(g.Success, rel + " has a 32-hex-digit guid");
                    string other;
                    Assert.True(!guids.TryGetValue(g.Groups[1].Value, out other), "guid of " + rel + " is also in " + other);
                    guids[g.Groups[1].Value] = rel;
                    string asset = rel.Substring(0, rel.Length - 5);
                    Assert.True(File.Exists(Path.Combine(pkg, asset)) || Directory.Exists(Path.Combine(pkg, asset)) ||
                                IsPlugin(asset), rel + " belongs to an asset");
                }
                else
                    assets.Add(rel);
            }
            foreach (var rel in assets)
                Assert.True(File.Exists(Path.Combine(pkg, rel + ".meta")), rel + " has a .meta (run tools/gen_meta.sh)");

            // The native plugins: enabled for their platform's Editor (if any) and player only, with the right CPU.
            foreach (var p in Plugins)
            {
                string file = p[0], editorOS = p[1], editorCPU = p[2], player = p[3], cpu = p[4], define = p[5];
                string meta = File.ReadAllText(Path.Combine(pkg, file + ".meta"));
                Func<string, string> entry = first =>
                    @"first:\s+" + Regex.Escape(first) + @"\s+second:\s+enabled: ";
                Assert.True(meta.Contains("PluginImporter:") && meta.Contains("  serializedVersion: 2\n"), file + ".meta is a PluginImporter, serializedVersion 2");
                Assert.True(Regex.IsMatch(meta, entry("Any: ") + "0"), file + ": not for Any Platform");
                if (editorOS != null)
                    Assert.True(Regex.IsMatch(meta, entry("Editor: Editor") + @"1\s+settings:\s+CPU: " + editorCPU +
                                              @"\s+DefaultValueInitialized: true\s+OS: " + editorOS + "\n"),
                                file + ": Editor on " + editorOS + " / " + editorCPU);
                else
                    Assert.True(Regex.IsMatch(meta, entry("Editor: Editor") + "0"), file + ": not for the Editor");
                Assert.True(Regex.IsMatch(meta, entry(player) + @"1\s+settings:\s+(?:\w+: [^\n]*\n\s+)*?CPU: " + cpu + "\n"),
                            file + ": enabled for " + player + " / " + cpu);
                Assert.Equal(editorOS != null ? 2 : 1, Regex.Matches(meta, "enabled: 1").Count, file + ": one player platform (plus its Editor)");
                Assert.True(meta.Contains(define == null ? "defineConstraints: []" : "defineConstraints:\n  - " + define + "\n"),
                            file + ": define constraint " + (define ?? "none"));
                // A README says how to build it: in its folder or in its platform's folder.
                string dir = Path.GetDirectoryName(Path.Combine(pkg, file));
                while (!File.Exists(Path.Combine(dir, "README.md")) && Path.GetFileName(Path.GetDirectoryName(dir)) != "Plugins")
                    dir = Path.GetDirectoryName(dir);
                Assert.True(File.Exists(Path.Combine(dir, "README.md")), "a README for " + file);
            }
        }

        static int Mcs(string arguments)
        {
            using (var p = new ChildProcess("mcs", arguments))
            {
                int rc = p.WaitForExit(120);
                if (rc != 0)
                    throw new AssertionException("mcs " + arguments + " failed (" + rc + "):\n" + p.Output);
                return rc;
            }
        }

        static void UnityBuild()
        {
            string pkg = PackageDir, outDir = Paths.CsBuild;
            string runtime = Path.Combine(pkg, "Runtime", "*.cs");
            string stub = Path.Combine(outDir, "UnityEngine.dll");
            string unityLib = Path.Combine(outDir, "Lightyear.Conn.Unity.dll");
            string iosLib = Path.Combine(outDir, "Lightyear.Conn.iOS.dll");
            const string flags = "-langversion:7.2 -unsafe -nologo -warnaserror+ -target:library ";
            Mcs("-nologo -target:library -out:\"" + stub + "\" \"" + Path.Combine(Paths.Root, "bindings", "csharp", "tests", "unity", "UnityEngine.cs") + "\"");
            Mcs(flags + "-define:UNITY_5_3_OR_NEWER;UNITY_2021_3_OR_NEWER -r:\"" + stub + "\" -out:\"" + unityLib + "\" \"" + runtime + "\"");
            Mcs(flags + "-define:UNITY_5_3_OR_NEWER;UNITY_IOS -r:\"" + stub + "\" -out:\"" + iosLib + "\" \"" + runtime + "\"");
            Mcs("-langversion:7.2 -nologo -warnaserror+ -target:library -r:\"" + stub + "\" -r:\"" + unityLib + "\" -out:\"" +
                Path.Combine(outDir, "Lightyear.Conn.Samples.dll") + "\" \"" + Path.Combine(pkg, "Samples~", "EchoSample", "*.cs") + "\"");

            // iOS links the library statically: DllImport("__Internal").
            var ios = Assembly.LoadFile(iosLib);
            var native = ios.GetType("Lightyear.Conn.Native", true);
            Assert.Equal("__Internal", (string)native.GetField("Lib", BindingFlags.Static | BindingFlags.NonPublic).GetRawConstantValue(), "iOS library name");
            var version = native.GetMethod("ly_version", BindingFlags.Static | BindingFlags.NonPublic);
            Assert.Equal("__Internal", ((DllImportAttribute)Attribute.GetCustomAttribute(version, typeof(DllImportAttribute))).Value, "iOS DllImport");

            // The Unity build shuts the library down when Application.quitting is raised (exiting Play mode).
            var engine = Assembly.LoadFile(stub);
            ResolveEventHandler resolve = (s, e) => e.Name.StartsWith("UnityEngine,") ? engine : null;
            AppDomain.CurrentDomain.AssemblyResolve += resolve;
            try
            {
                var unity = Assembly.LoadFile(unityLib);
                var register = unity.GetType("Lightyear.Conn.UnityLifecycle", true).GetMethod("Register", BindingFlags.Static | BindingFlags.NonPublic);
                var attr = register.GetCustomAttributes(false).Single(a => a.GetType().Name == "RuntimeInitializeOnLoadMethodAttribute");
                Assert.Equal("SubsystemRegistration", attr.GetType().GetProperty("LoadType").GetValue(attr, null).ToString(), "registered at load");
                register.Invoke(null, null);
                register.Invoke(null, null); // again, as with domain reload off: must not fail

                var configType = unity.GetType("Lightyear.Conn.ServerConfig", true);
                var config = Activator.CreateInstance(configType);
                configType.GetField("PrivateKey").SetValue(config, Keys.Generate());
                var serverType = unity.GetType("Lightyear.Conn.Server", true);
                var server = (IDisposable)Activator.CreateInstance(serverType, config);
                serverType.GetMethod("Start").Invoke(server, null);
                var disposed = serverType.GetProperty("IsDisposed");
                Assert.True(!(bool)disposed.GetValue(server, null), "the Unity build's server runs");
                engine.GetType("UnityEngine.Application", true).GetMethod("RaiseQuittingForTests").Invoke(null, null);
                Assert.True((bool)disposed.GetValue(server, null), "exiting Play mode ran Library.Shutdown: the server is disposed");
                server.Dispose();
            }
            finally
            {
                AppDomain.CurrentDomain.AssemblyResolve -= resolve;
            }
        }

        // The library must never harm the process that hosts it (issue 13).
        // Each run of HostStress.exe (tests/hoststress) throws and catches
        // DivideByZeroException and NullReferenceException, collects on
        // several threads and calls the library from several threads at
        // once, for LIGHTYEAR_CS_HOST_SECONDS (default 1); a crash, an
        // abort or a hang fails it. Before the library gave the host its
        // signals back, hybrid suspend aborted and preemptive hung in
        // every run.
        static void HostRuntimeUnharmed()
        {
            string exe = Paths.Existing(Path.Combine(Paths.CsBuild, "Lightyear.Conn.HostStress.exe"), "Lightyear.Conn.HostStress.exe");
            // 20 runs a mode: issue 13's bar.
            int runs = 20;
            string seconds = "1";
            string env = Environment.GetEnvironmentVariable("LIGHTYEAR_CS_HOST_RUNS");
            if (!string.IsNullOrEmpty(env))
                runs = int.Parse(env, CultureInfo.InvariantCulture);
            env = Environment.GetEnvironmentVariable("LIGHTYEAR_CS_HOST_SECONDS");
            if (!string.IsNullOrEmpty(env))
                seconds = env;
            foreach (var mode in new[] { "hybrid", "preemptive", "coop" })
            {
                var vars = new Dictionary<string, string> { { "MONO_THREADS_SUSPEND", mode } };
                // Preemptive suspend stops a thread inside a native call
                // with a signal; a new thread's first call attaches it to
                // the Go runtime with every signal blocked and allocates
                // while it does, which can wait for ever on a malloc lock
                // held by a thread the collector stopped (DESIGN.md, "A
                // thread's first call"): a limit of the Go runtime, so that
                // mode runs without the short-lived threads.
                if (mode == "preemptive")
                    vars["HOSTSTRESS_CHURN"] = "0";
                string last = "";
                for (int i = 0; i < runs; i++)
                {
                    using (var p = new ChildProcess("mono", "\"" + exe + "\" " + seconds, vars))
                    {
                        int rc;
                        try
                        {
                            rc = p.WaitForExit(60);
                        }
                        catch (AssertionException e)
                        {
                            // A hang: every thread's native stack, for whoever looks into it.
                            throw new AssertionException("MONO_THREADS_SUSPEND=" + mode + ", run " + (i + 1) + ": " + e.Message +
                                                         "\nnative stacks (gdb):\n" + NativeStacks(p.Id));
                        }
                        Assert.Equal(0, rc, "HostStress.exe, MONO_THREADS_SUSPEND=" + mode + ", run " + (i + 1) + " of " + runs + "; output:\n" + p.Output);
                        last = p.WaitForLine("hoststress:", 1);
                    }
                }
                Console.WriteLine("    {0}: {1} runs passed; the last: {2}", mode, runs, last);
            }
        }

        static string NativeStacks(int pid)
        {
            try
            {
                using (var gdb = new ChildProcess("gdb", "-p " + pid + " -batch -ex \"thread apply all bt 25\""))
                {
                    gdb.WaitForExit(120);
                    return gdb.Output;
                }
            }
            catch (Exception e)
            {
                return "(no stacks: " + e.Message + ")";
            }
        }

        static void EchoExample()
        {
            string exe = Paths.Existing(Path.Combine(Paths.CsBuild, "Echo.exe"), "Echo.exe");
            using (var p = new ChildProcess("mono", "\"" + exe + "\" --payloads 200"))
            {
                int rc = p.WaitForExit(60);
                Assert.Equal(0, rc, "Echo.exe exit code; output:\n" + p.Output);
                Assert.True(p.Output.Contains("echo ok"), "Echo.exe says ok:\n" + p.Output);
            }
        }
    }
}
