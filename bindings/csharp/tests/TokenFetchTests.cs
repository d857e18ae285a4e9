// TokenFetchTests.cs - token delivery against real parts: tests/fleet_fixture.sh
// starts a redis-server and two lytokens replicas over TLS; C# servers register
// in the fleet, C# clients fetch tokens from the replicas and connect.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;

namespace Lightyear.Conn.Tests
{
    static class TokenFetchTests
    {
        // ------------------------------------------------------------------
        // The fixture: started once for every token test, stopped at exit
        // (and by its watchdog if this process dies first).

        static Dictionary<string, string> env;
        static string dir;
        static string[] credentials;
        static int nextCredential;

        static Dictionary<string, string> Env
        {
            get
            {
                if (env != null)
                    return env;
                dir = Path.Combine(Path.GetTempPath(), "ly_cs_fleet_" + Guid.NewGuid().ToString("N"));
                string script = Paths.Existing(Path.Combine(Paths.Root, "tests", "fleet_fixture.sh"), "tests/fleet_fixture.sh");
                string args = "\"" + script + "\" start \"" + dir + "\" " + Process.GetCurrentProcess().Id;
                using (var p = new ChildProcess("bash", args))
                    Assert.Equal(0, p.WaitForExit(300), "fleet_fixture.sh start; output:\n" + p.Output);
                AppDomain.CurrentDomain.ProcessExit += (s, e) => Stop();
                env = File.ReadAllLines(Path.Combine(dir, "env")).Select(l => l.Split(new[] { '=' }, 2))
                    .ToDictionary(kv => kv[0], kv => kv[1]);
                credentials = File.ReadAllLines(env["LY_FLEET_CREDENTIALS"]);
                return env;
            }
        }

        static void Stop()
        {
            if (dir == null)
                return;
            using (var p = new ChildProcess("bash", "\"" + Path.Combine(Paths.Root, "tests", "fleet_fixture.sh") + "\" stop \"" + dir + "\""))
                p.WaitForExit(30);
            try { Directory.Delete(dir, true); } catch (IOException) { }
            dir = null;
        }

        /// <summary>A fresh subject each time: netcode refuses a second connection of one client id.</summary>
        static string Credential()
        {
            var e = Env;
            return credentials[nextCredential++ % credentials.Length];
        }

        static TokenFetchOptions Options(int replica, string tag, bool pin = true)
        {
            var o = new TokenFetchOptions(Env[replica == 1 ? "LY_FLEET_URL1" : "LY_FLEET_URL2"], Credential()) { Tag = tag };
            if (pin)
                o.PinSha256 = Env["LY_FLEET_PIN"];
            else
                o.CaFile = Env["LY_FLEET_CA"];
            return o;
        }

        /// <summary>A started server with the fixture's key, registered under tag; waits until Redis has it.</summary>
        static Server RegisteredServer(string tag, int maxClients, TimeSpan ttl)
        {
            var server = new Server(new ServerConfig
            {
                ProtocolId = Convert.ToUInt64(Env["LY_FLEET_PROTOCOL_ID"], 16),
                PrivateKey = Keys.FromHex(Env["LY_FLEET_PRIVATE_KEY"]),
                BindAddresses = "127.0.0.1:0",
                MaxClients = maxClients,
            });
            server.Start();
            Assert.Equal(FleetStatus.NotRegistered, server.FleetStatus, "status before registering");
            server.RegisterWithFleet(new FleetConfig(Env["LY_FLEET_REDIS"]) { KeyPrefix = Env["LY_FLEET_PREFIX"], Tags = tag, Ttl = ttl });
            var sw = Stopwatch.StartNew();
            while (server.FleetStatus != FleetStatus.Registered)
            {
                Assert.True(server.FleetStatus != FleetStatus.Failing, "fleet registration failing: " + server.FleetError);
                Assert.True(sw.Elapsed.TotalSeconds < 10, "registered within 10 s");
                Thread.Sleep(10);
            }
            return server;
        }

        /// <summary>Connects a client with token to server and echoes one payload through it.</summary>
        static Client ConnectAndEcho(Server server, byte[] token, int seed)
        {
            Assert.Equal(server.GetAddress(0), ConnectToken.Read(token).Addresses.First(), "the token's first address is the registered server");
            var client = new Client(token);
            client.Connect();
            var msg = Fixture.Pattern(300, seed);
            bool sent = false, echoed = false;
            var events = new ServerEvent[16];
            var buf = new byte[Library.MaxPayloadSize];
            var sw = Stopwatch.StartNew();
            while (!echoed)
            {
                Assert.True(sw.Elapsed.TotalSeconds < 20, "connect and echo within 20 s (client " + client.State + ")");
                client.Update(Fixture.Dt);
                server.Update(Fixture.Dt);
                int n;
                while ((n = server.PollEvents(events)) > 0)
                    for (int i = 0; i < n; i++)
                        if (events[i].Type == ServerEventType.Payload)
                            server.Send(events[i].ClientId, server.GetPayload(events[i]).ToArray());
                if (!sent && client.IsConnected)
                {
                    client.Send(msg);
                    sent = true;
                }
                int size;
                while (client.Receive(buf, out size))
                    echoed |= size == msg.Length && Fixture.Same(msg, buf.Take(size).ToArray());
                Thread.Sleep(1);
            }
            return client;
        }

        // ------------------------------------------------------------------

        public static void FetchAndConnect()
        {
            using (var server = RegisteredServer("cs-connect", 8, TimeSpan.FromSeconds(2)))
            {
                var clients = new List<Client>();
                try
                {
                    // Blocking, replica 1, pinned.
                    byte[] token = TokenClient.Fetch(Options(1, "cs-connect"));
                    Assert.Equal(ConnectToken.Size, token.Length, "token size");
                    clients.Add(ConnectAndEcho(server, token, 1));

                    // Polled, replica 2, CA file: Poll returns at once while the fetch runs.
                    int pending = 0;
                    using (var request = TokenRequest.Start(Options(2, "cs-connect", pin: false)))
                    {
                        var sw = Stopwatch.StartNew();
                        while (!request.Poll())
                        {
                            pending++;
                            Assert.True(request.Token == null, "no token while pending");
                            Assert.True(sw.Elapsed.TotalSeconds < 15, "polled fetch done within 15 s");
                            server.Update(Fixture.Dt); // the game loop goes on
                            Thread.Sleep(1);
                        }
                        Assert.True(pending > 0, "the first poll returned before the network answered");
                        Assert.True(request.Poll(), "a later poll is true again");
                        clients.Add(ConnectAndEcho(server, request.Token, 2));
                    }

                    // Task-based.
                    var task = TokenClient.FetchAsync(Options(1, "cs-connect"));
                    Assert.True(task.Wait(15000), "FetchAsync within 15 s");
                    clients.Add(ConnectAndEcho(server, task.Result, 3));
                    Assert.Equal(3, server.ConnectedCount, "three clients through the fleet");

                    // Deregistered: at once, no server has the tag.
                    server.DeregisterFromFleet();
                    Assert.Equal(FleetStatus.NotRegistered, server.FleetStatus, "status after deregistering");
                    var e = Assert.Throws<NoServerException>(() => TokenClient.Fetch(Options(2, "cs-connect")), "fetch after deregistering");
                    Assert.Equal(503, e.HttpStatus, "HTTP status of NoServerException");
                    server.DeregisterFromFleet(); // twice: no error
                }
                finally
                {
                    foreach (var c in clients)
                        c.Dispose();
                }
            }
        }

        public static void Refusals()
        {
            // A certificate that does not match the pin: refused by the client.
            var wrongPin = Options(1, null);
            wrongPin.PinSha256 = new string('0', 64);
            var tls = Assert.Throws<TlsException>(() => TokenClient.Fetch(wrongPin), "wrong pin");
            Assert.Equal(ErrorCode.Tls, tls.Code, "code of TlsException");
            Assert.Equal(0, tls.HttpStatus, "no HTTP status without a handshake");

            // A credential signed with another secret: 401, blocking and polled.
            var bad = Options(2, null);
            bad.Credential = Env["LY_FLEET_BAD_CREDENTIAL"];
            var un = Assert.Throws<UnauthorizedException>(() => TokenClient.Fetch(bad), "bad credential");
            Assert.Equal(401, un.HttpStatus, "HTTP status: " + un.Message);
            using (var request = TokenRequest.Start(bad))
            {
                var sw = Stopwatch.StartNew();
                Action poll = () =>
                {
                    while (!request.Poll())
                    {
                        Assert.True(sw.Elapsed.TotalSeconds < 15, "polled fetch done within 15 s");
                        Thread.Sleep(1);
                    }
                };
                Assert.Throws<UnauthorizedException>(poll, "bad credential, polled");
                Assert.Throws<UnauthorizedException>(poll, "every later poll fails again");
                request.Dispose();
                Assert.True(request.IsDisposed, "IsDisposed");
                Assert.Throws<ObjectDisposedException>(() => request.Poll(), "Poll after Dispose");
                request.Dispose(); // twice: no error
            }
            var agg = Assert.Throws<AggregateException>(() => TokenClient.FetchAsync(bad).Wait(15000), "bad credential, async");
            Assert.True(agg.InnerException is UnauthorizedException, "the task fails with UnauthorizedException: " + agg.InnerException);

            // Misuse: documented exceptions before any request.
            Assert.Throws<ArgumentNullException>(() => TokenClient.Fetch(null), "null options");
            Assert.Throws<ArgumentNullException>(() => TokenRequest.Start(null), "null options (Start)");
            Assert.Code(ErrorCode.InvalidArgument, () => TokenClient.Fetch(new TokenFetchOptions("http://127.0.0.1:1", "x")), "plain http://");
            Assert.Code(ErrorCode.InvalidArgument, () => TokenRequest.Start(new TokenFetchOptions(Env["LY_FLEET_URL1"], null)), "no credential");
            var both = Options(1, null);
            both.CaFile = Env["LY_FLEET_CA"];
            Assert.Code(ErrorCode.InvalidArgument, () => TokenClient.Fetch(both), "pin and CA file");
            Assert.Throws<ArgumentOutOfRangeException>(() => TokenClient.Fetch(new TokenFetchOptions("https://x", "y") { Timeout = TimeSpan.FromSeconds(-1) }), "negative timeout");
            Assert.Throws<ArgumentException>(() => TokenClient.Fetch(new TokenFetchOptions("https://x\0", "y")), "NUL in a string");

            // Retry-After is parsed from the message the library writes.
            var rl = new RateLimitedException("ly_token_fetch", "token service: HTTP 429: slow down (retry after 7 s)");
            Assert.Equal(TimeSpan.FromSeconds(7), rl.RetryAfter.Value, "RetryAfter");
            Assert.Equal(429, rl.HttpStatus, "HttpStatus of RateLimitedException");
            Assert.True(new RateLimitedException("f", "HTTP 429").RetryAfter == null, "no Retry-After");
            Assert.Equal(10.0, new TokenFetchOptions().Timeout.TotalSeconds, "default timeout from the library");
        }

        public static void FullFleet()
        {
            using (var server = RegisteredServer("cs-full", 1, TimeSpan.FromMilliseconds(600)))
            {
                // Fleet misuse while we are at it.
                Assert.Code(ErrorCode.AlreadyActive, () => server.RegisterWithFleet(new FleetConfig(Env["LY_FLEET_REDIS"])), "register twice");
                Assert.Throws<ArgumentNullException>(() => server.RegisterWithFleet(null), "null config");
                using (var stopped = new Server(new ServerConfig { ProtocolId = 1, PrivateKey = Keys.Generate(), BindAddresses = "127.0.0.1:0" }))
                    Assert.Code(ErrorCode.NotRunning, () => stopped.RegisterWithFleet(new FleetConfig(Env["LY_FLEET_REDIS"])), "register a stopped server");

                // One client fills the server; once a heartbeat (every TTL / 3) has published
                // the count, the service has no room for the tag: 503.
                using (var client = ConnectAndEcho(server, TokenClient.Fetch(Options(1, "cs-full")), 4))
                {
                    var sw = Stopwatch.StartNew();
                    NoServerException full = null;
                    while (full == null)
                    {
                        Assert.True(sw.Elapsed.TotalSeconds < 10, "503 within 10 s of the server filling");
                        for (int i = 0; i < 10; i++)
                        {
                            client.Update(Fixture.Dt);
                            server.Update(Fixture.Dt);
                            Thread.Sleep(5);
                        }
                        try
                        {
                            TokenClient.Fetch(Options(2, "cs-full"));
                        }
                        catch (NoServerException e)
                        {
                            full = e;
                        }
                    }
                    Assert.Equal(503, full.HttpStatus, "HTTP status: " + full.Message);
                    Assert.True(full.Message.Contains("HTTP 503"), "the message has the status: " + full.Message);
                    Assert.Equal(1, server.ConnectedCount, "the one client is still connected");
                }
            }
        }
    }
}
