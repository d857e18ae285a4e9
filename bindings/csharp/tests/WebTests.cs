// WebTests.cs - browser transports: a C# server on udp + ws + wt, and the Go
// browser-transport client of the C tests (tests/web/client, built here with
// go build) connecting over WebSocket and WebTransport, pinned to the hash
// the C# API reports, exchanging payloads the C# server echoes.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace Lightyear.Conn.Tests
{
    static class WebTests
    {
        const int ExchangeCount = 60; // payloads per client, 1..1200 bytes (the helper's pattern)

        static string helper;

        /// <summary>The Go client helper, built once per run into the test's directory.</summary>
        static string Helper()
        {
            if (helper != null)
                return helper;
            string exe = Path.Combine(Paths.CsBuild, "webclient");
            using (var p = new ChildProcess("go", "build -C \"" + Paths.Root + "\" -o \"" + exe + "\" ./tests/web/client"))
            {
                int rc = p.WaitForExit(600);
                Assert.True(rc == 0 && File.Exists(exe), "go build ./tests/web/client (exit " + rc + "):\n" + p.Output);
            }
            return helper = exe;
        }

        static string Hex(byte[] b)
        {
            return string.Concat(b.Select(x => x.ToString("x2")));
        }

        /// <summary>"ws://127.0.0.1:5000" -> "127.0.0.1:5000".</summary>
        static string HostPort(string bound, string scheme)
        {
            Assert.True(bound.StartsWith(scheme + "://127.0.0.1:", StringComparison.Ordinal), scheme + " listener address: " + bound);
            return bound.Substring(scheme.Length + 3);
        }

        /// <summary>What the server saw of one helper run.</summary>
        sealed class Seen
        {
            public ClientId Id;
            public int Connected, Payloads, Disconnected;
            public string Address = "";
        }

        /// <summary>
        /// Runs the helper with args while driving the server: payloads from its
        /// client are echoed. Returns the helper's exit code and output.
        /// </summary>
        static int RunClient(Server server, string args, Seen seen, out string output)
        {
            var events = new ServerEvent[16];
            using (var p = new ChildProcess(Helper(), args))
            {
                var sw = Stopwatch.StartNew();
                while (!p.HasExited)
                {
                    if (sw.Elapsed.TotalSeconds > 40)
                        throw new AssertionException("the web client did not finish: " + p.Output);
                    server.Update(0.005);
                    int n;
                    while ((n = server.PollEvents(events)) > 0)
                    {
                        for (int i = 0; i < n; i++)
                        {
                            var e = events[i];
                            if (e.ClientId != seen.Id)
                                continue;
                            switch (e.Type)
                            {
                                case ServerEventType.Connected:
                                    seen.Connected++;
                                    seen.Address = server.GetClientAddress(e.ClientId);
                                    break;
                                case ServerEventType.Payload:
                                    seen.Payloads++;
                                    server.Send(e.ClientId, server.GetPayload(e));
                                    break;
                                case ServerEventType.Disconnected:
                                    seen.Disconnected++;
                                    break;
                            }
                        }
                    }
                    Thread.Sleep(2);
                }
                int rc = p.WaitForExit(5);
                // The disconnect may land after the process exits: a few more updates.
                var until = Stopwatch.StartNew();
                while (seen.Connected > seen.Disconnected && until.Elapsed.TotalSeconds < 3)
                {
                    server.Update(0.005);
                    ServerEvent ev;
                    while (server.PollEvent(out ev))
                        if (ev.ClientId == seen.Id && ev.Type == ServerEventType.Disconnected)
                            seen.Disconnected++;
                    Thread.Sleep(2);
                }
                output = p.Output;
                return rc;
            }
        }

        static string TokenFile(byte[] key, string address, ulong clientId, string name)
        {
            var token = ConnectToken.Generate(new ConnectTokenParams
            {
                ProtocolId = Fixture.Protocol, ClientId = clientId, PrivateKey = key, PublicAddresses = address,
            });
            string path = Path.Combine(Paths.CsBuild, name);
            File.WriteAllBytes(path, token);
            return path;
        }

        public static void OptionsErrors()
        {
            var key = Keys.Generate();
            var config = new ServerConfig { ProtocolId = Fixture.Protocol, PrivateKey = key, BindAddresses = "wt://127.0.0.1:0" };
            using (var server = new Server(config))
            {
                Assert.Throws<ArgumentNullException>(() => server.SetWebOptions(null), "null options");
                Assert.Throws<ArgumentOutOfRangeException>(() => server.SetWebOptions(new WebOptions { MaxSessions = -1 }), "negative MaxSessions");
                Assert.Throws<ArgumentOutOfRangeException>(() => server.SetWebOptions(new WebOptions { IdleTimeout = TimeSpan.FromSeconds(-1) }), "negative IdleTimeout");
                Assert.Throws<ArgumentOutOfRangeException>(() => server.SetWebOptions(new WebOptions { WriteTimeout = TimeSpan.FromDays(60) }), "WriteTimeout over 2^32 ms");
                Assert.Throws<ArgumentException>(() => server.SetWebOptions(new WebOptions { Path = "/a\0b" }), "NUL in Path");
                var e = Assert.Code(ErrorCode.InvalidArgument, () => server.SetWebOptions(new WebOptions { CertValidity = TimeSpan.FromSeconds(30) }), "30 s validity");
                Assert.True(e.Message.Contains("ly_server_set_web_options"), "the message names the function: " + e.Message);
                Assert.Code(ErrorCode.InvalidArgument, () => server.SetWebOptions(new WebOptions { CertValidity = TimeSpan.FromDays(15) }), "15 day validity");
                // A fraction of a second is rounded up, never down to 0 (the default).
                Assert.Code(ErrorCode.InvalidArgument, () => server.SetWebOptions(new WebOptions { CertValidity = TimeSpan.FromMilliseconds(10) }), "10 ms validity");
                Assert.Code(ErrorCode.InvalidArgument, () => server.SetWebOptions(new WebOptions { Path = "netcode" }), "path without /");
                Assert.Code(ErrorCode.InvalidArgument, () => server.SetWebOptions(new WebOptions { CertFile = "/nonexistent/cert.pem" }), "cert without key");
                Assert.Code(ErrorCode.InvalidArgument, () => server.SetWebOptions(new WebOptions { CertFile = "/nonexistent/c.pem", KeyFile = "/nonexistent/k.pem" }), "unreadable cert");
                // Each count reaches its own field: the library's message names the field it refused.
                var counts = new Dictionary<string, Action<WebOptions>>
                {
                    { "max_sessions", o => o.MaxSessions = 1048577 },
                    { "max_sessions_per_ip", o => o.MaxSessionsPerIp = 1048577 },
                    { "recv_queue", o => o.RecvQueue = 1048577 },
                    { "session_recv_queue", o => o.SessionRecvQueue = 1048577 },
                    { "send_queue", o => o.SendQueue = 1048577 },
                };
                foreach (var kv in counts)
                {
                    var o = new WebOptions();
                    kv.Value(o);
                    var ce = Assert.Code(ErrorCode.InvalidArgument, () => server.SetWebOptions(o), kv.Key + " over 1048576");
                    Assert.True(ce.NativeMessage.StartsWith(kv.Key + " 1048577", StringComparison.Ordinal), kv.Key + ": " + ce.NativeMessage);
                }
                Assert.True(e.NativeMessage.StartsWith("cert_validity_seconds 30 ", StringComparison.Ordinal), "validity in seconds: " + e.NativeMessage);

                // Valid options; then a running server refuses new ones.
                var hashes0 = server.WebCertHashes;
                Assert.Equal(1, hashes0.Length, "one self-signed certificate before start");
                server.SetWebOptions(new WebOptions { CertValidity = TimeSpan.FromDays(2), Path = "/netcode", MaxSessions = 1048576 });
                var hashes1 = server.WebCertHashes;
                Assert.Equal(1, hashes1.Length, "one certificate after setting options");
                Assert.True(!Fixture.Same(hashes0[0], hashes1[0]), "setting options again makes a new certificate");
                server.Start();
                Assert.Code(ErrorCode.AlreadyActive, () => server.SetWebOptions(new WebOptions()), "set while running");
                server.Stop();
                server.SetWebOptions(new WebOptions());
            }

            // Through ServerConfig: the constructor throws the same, and makes no server.
            config.WebOptions = new WebOptions { Path = "nope" };
            Assert.Code(ErrorCode.InvalidArgument, () => new Server(config).Dispose(), "bad ServerConfig.WebOptions");
            config.WebOptions = new WebOptions { SendQueue = -5 };
            Assert.Throws<ArgumentOutOfRangeException>(() => new Server(config).Dispose(), "negative ServerConfig.WebOptions.SendQueue");
            // wss:// needs a certificate: at construction with options, at start without.
            var wss = new ServerConfig { ProtocolId = Fixture.Protocol, PrivateKey = key, BindAddresses = "wss://127.0.0.1:0", WebOptions = new WebOptions() };
            Assert.Code(ErrorCode.InvalidArgument, () => new Server(wss).Dispose(), "wss:// with options but no certificate");
            wss.WebOptions = null;
            using (var server = new Server(wss))
                Assert.Code(ErrorCode.InvalidArgument, () => server.Start(), "wss:// started without a certificate");
            // ws:// off loopback is refused when the server is made.
            Assert.Code(ErrorCode.InvalidArgument,
                        () => new Server(new ServerConfig { ProtocolId = Fixture.Protocol, PrivateKey = key, BindAddresses = "ws://0.0.0.0:0" }).Dispose(),
                        "ws:// on a wildcard address");

            // A server without wt: no hashes, nothing to rotate; zero stats.
            using (var server = new Server(new ServerConfig { ProtocolId = Fixture.Protocol, PrivateKey = key, BindAddresses = "127.0.0.1:0" }))
            {
                server.SetWebOptions(new WebOptions { Path = "/x" }); // checked, kept, unused
                Assert.Equal(0, server.WebCertHashes.Length, "no wt:// listener: no hashes");
                Assert.Code(ErrorCode.InvalidArgument, () => server.RotateWebCert(), "rotate without a wt:// listener");
                Assert.Equal(0UL, server.WebStats.SessionsAccepted, "no sessions");
                server.Dispose();
                Assert.Throws<ObjectDisposedException>(() => { var s = server.WebStats; }, "WebStats after Dispose");
                Assert.Throws<ObjectDisposedException>(() => { var h = server.WebCertHashes; }, "WebCertHashes after Dispose");
                Assert.Throws<ObjectDisposedException>(() => server.RotateWebCert(), "RotateWebCert after Dispose");
                Assert.Throws<ObjectDisposedException>(() => server.SetWebOptions(new WebOptions()), "SetWebOptions after Dispose");
            }
        }

        public static void Exchange()
        {
            var key = Keys.Generate();
            var config = new ServerConfig
            {
                ProtocolId = Fixture.Protocol,
                PrivateKey = key,
                BindAddresses = "udp://127.0.0.1:0,ws://127.0.0.1:0,wt://127.0.0.1:0",
                WebOptions = new WebOptions
                {
                    CertValidity = TimeSpan.FromDays(2), Path = "/netcode", MaxSessions = 4, MaxSessionsPerIp = 2,
                    IdleTimeout = TimeSpan.FromSeconds(5),
                },
            };
            using (var server = new Server(config))
            {
                server.Start();
                var addrs = server.Addresses;
                Assert.Equal(3, addrs.Length, "bound addresses: " + string.Join(", ", addrs));
                Assert.True(addrs[0].StartsWith("127.0.0.1:", StringComparison.Ordinal), "udp first, without a scheme: " + addrs[0]);
                string ws = HostPort(addrs[1], "ws"), wt = HostPort(addrs[2], "wt");

                var hashes = server.WebCertHashes;
                Assert.Equal(1, hashes.Length, "one certificate");
                Assert.Equal(WebOptions.CertHashSize, hashes[0].Length, "hash size");
                string pin = Hex(hashes[0]);

                string output;
                var runs = new[]
                {
                    new { Name = "ws", Url = "ws://" + ws + "/netcode", Addr = ws, Pin = "" },
                    new { Name = "wt", Url = "https://" + wt + "/netcode", Addr = wt, Pin = pin },
                };
                ulong id = 200;
                foreach (var r in runs)
                {
                    var seen = new Seen { Id = ClientId.Netcode(++id) };
                    string tok = TokenFile(key, r.Addr, id, "web-" + r.Name + ".token");
                    string args = "-token \"" + tok + "\" -url " + r.Url + " -n " + ExchangeCount + (r.Pin != "" ? " -pin " + r.Pin : "");
                    int rc = RunClient(server, args, seen, out output);
                    Assert.Equal(0, rc, r.Name + " client exit; output:\n" + output);
                    Assert.True(output.Contains("exchanged " + ExchangeCount + " payloads"), r.Name + " client's report:\n" + output);
                    Assert.Equal(1, seen.Connected, r.Name + " Connected events");
                    Assert.Equal(ExchangeCount, seen.Payloads, r.Name + " payloads echoed");
                    Assert.Equal(1, seen.Disconnected, r.Name + " Disconnected events");
                    Assert.True(seen.Address.StartsWith("127.0.0.1:", StringComparison.Ordinal), r.Name + " client address " + seen.Address);
                    // The wt client prints the hash it was presented: the one the C# API reported.
                    var presented = output.Split('\n').Where(l => l.StartsWith("presented ", StringComparison.Ordinal)).ToArray();
                    if (r.Name == "wt")
                        Assert.True(presented.Length == 1 && presented[0].Trim() == "presented " + pin, "wt presented the reported hash:\n" + output);
                    else
                        Assert.Equal(0, presented.Length, "ws has no certificate");
                }

                // A wrong pin: the wt client refuses the certificate, never connects.
                {
                    var seen = new Seen { Id = ClientId.Netcode(++id) };
                    string tok = TokenFile(key, wt, id, "web-wrong.token");
                    int rc = RunClient(server, "-token \"" + tok + "\" -url https://" + wt + "/netcode -n 1 -timeout 5s -pin " + new string('a', 64), seen, out output);
                    Assert.True(rc > 0, "a wrong pin fails; output:\n" + output);
                    Assert.Equal(0, seen.Connected, "no connection with a wrong pin");
                }

                // A rotation: both hashes, newest first.
                server.RotateWebCert();
                var after = server.WebCertHashes;
                Assert.Equal(2, after.Length, "hashes after a rotation");
                Assert.Equal(pin, Hex(after[1]), "the old hash second");
                Assert.True(Hex(after[0]) != pin, "a new hash first");

                // The counters: two sessions, closed by their peers (or idle when a
                // close is lost with the exiting client), the payloads each way.
                WebStats st = server.WebStats;
                var sw = Stopwatch.StartNew();
                while (st.SessionsActive != 0 && sw.Elapsed.TotalSeconds < 8)
                {
                    server.Update(0.01);
                    ServerEvent ev;
                    while (server.PollEvent(out ev)) { }
                    Thread.Sleep(10);
                    st = server.WebStats;
                }
                Assert.Equal(2UL, st.SessionsAccepted, "sessions accepted: " + st);
                Assert.Equal(0UL, st.SessionsActive, "sessions active: " + st);
                Assert.Equal(2UL, st.ClosedPeer + st.ClosedIdle, "closed by peer or idle: " + st);
                Assert.True(st.ClosedPeer >= 1, "the WebSocket's close travels on TCP: " + st);
                Assert.Equal(0UL, st.ClosedSlow + st.ClosedServer, "no slow or server closes: " + st);
                Assert.True(st.Received >= 2 * ExchangeCount, "received: " + st);
                Assert.True(st.Sent >= 2 * ExchangeCount, "sent: " + st);
                Assert.Equal(0UL, st.RefusedOrigin + st.RefusedFull + st.RefusedPerIp, "no refusals: " + st);
                Assert.Equal(0UL, st.RecvOversized + st.RecvText + st.RecvQueueFull, "nothing dropped on receive: " + st);

                // Stats are kept after a stop.
                server.Stop();
                Assert.Equal(2UL, server.WebStats.SessionsAccepted, "kept after Stop");
            }
        }
    }
}
