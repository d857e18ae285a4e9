// Echo.cs - an echo server and two clients in one program: a netcode.io
// client over UDP loopback and a local (in-process) client, as a host-server
// game would have. The server sends every payload back; the clients check
// every echo. Drives everything from one 60 Hz game loop, polling events in
// batches, with no garbage per payload.
//
//   mono Echo.exe [--payloads N] [--address 127.0.0.1:0]
//
// Prints "echo ok: ..." and exits 0 when every payload came back intact.
using System;
using System.Diagnostics;
using System.Threading;
using Lightyear.Conn;

static class Echo
{
    const ulong Protocol = 0x4C5945434834UL; // "LYECH4"
    const double Tick = 1.0 / 60.0;

    static int Main(string[] args)
    {
        int payloads = 100;
        string address = "127.0.0.1:0";
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--payloads" && i + 1 < args.Length)
                payloads = int.Parse(args[++i]);
            else if (args[i] == "--address" && i + 1 < args.Length)
                address = args[++i];
            else
            {
                Console.Error.WriteLine("usage: Echo.exe [--payloads N] [--address ADDR]");
                return 2;
            }
        }

        Library.EnsureLoaded(); // fails here, clearly, if the native library is missing or too old
        Console.WriteLine("lightyear_conn native {0}, C# binding {1}", Library.NativeVersion, Library.BindingVersion);
        try
        {
            return Run(payloads, address);
        }
        catch (LightyearException e)
        {
            Console.Error.WriteLine("echo failed: {0}", e.Message);
            return 1;
        }
        finally
        {
            Library.Shutdown(); // what a Unity game does when play stops
        }
    }

    static int Run(int payloads, string address)
    {
        // The server, and the key it shares with the token backend.
        byte[] key = Keys.Generate();
        using (var server = new Server(new ServerConfig { ProtocolId = Protocol, PrivateKey = key, BindAddresses = address }))
        {
            server.Start();
            string bound = server.GetAddress(0);
            Console.WriteLine("server listening on {0}", bound);

            // The backend: a connect token for player 1 (sent over TLS in a real game).
            byte[] token = ConnectToken.Generate(new ConnectTokenParams
            {
                ProtocolId = Protocol, ClientId = 1, PrivateKey = key, PublicAddresses = bound,
            });
            var info = ConnectToken.Read(token);
            Console.WriteLine("token: protocol 0x{0:x}, expires in {1} s, server {2}", info.ProtocolId,
                              info.ExpireTimestamp - info.CreateTimestamp, info.Addresses[0]);

            using (var remote = new Client(token, new ClientConfig { ClientId = 1 }))
            using (var host = server.ConnectLocal(100)) // the host's own player
            {
                remote.Connect();
                var udp = new Player("udp", remote, payloads);
                var local = new Player("local", host, payloads);

                var events = new ServerEvent[64];
                var clock = Stopwatch.StartNew();
                while (!(udp.Done && local.Done))
                {
                    if (clock.Elapsed.TotalSeconds > 30)
                    {
                        Console.Error.WriteLine("echo failed: timed out ({0}: {1}/{3} echoed, {2}: {4}/{3}; client state {5})",
                                                udp.Name, udp.Echoed, local.Name, payloads, local.Echoed, remote.State);
                        return 1;
                    }

                    // One tick of the game loop: update everything, then drain the server's events.
                    remote.Update(Tick);
                    host.Update(Tick);
                    server.Update(Tick);
                    int n;
                    while ((n = server.PollEvents(events)) > 0)
                    {
                        for (int i = 0; i < n; i++)
                        {
                            ServerEvent ev = events[i];
                            switch (ev.Type)
                            {
                                case ServerEventType.Connected:
                                    Console.WriteLine("server: {0} connected ({1} connected)", ev.ClientId, server.ConnectedCount);
                                    break;
                                case ServerEventType.Disconnected:
                                    Console.WriteLine("server: {0} disconnected: {1}", ev.ClientId, Library.Describe(ev.Reason));
                                    break;
                                case ServerEventType.Payload:
                                    // The payload lives in server.PayloadBuffer until the next poll: echo it from there.
                                    server.Send(ev.ClientId, server.GetPayload(ev));
                                    break;
                            }
                        }
                    }

                    if (!udp.Tick() || !local.Tick())
                        return 1;
                    Thread.Sleep(1); // a real game waits for the next frame here
                }

                var stats = server.Stats;
                Console.WriteLine("server stats: {0}", stats);
                Console.WriteLine("udp client stats: {0}", remote.Stats);
                Console.WriteLine("echo ok: {0} payloads over UDP and {1} over the local client came back intact", udp.Echoed, local.Echoed);
                remote.Disconnect();
                host.Disconnect();
            }
        }
        return 0;
    }

    /// <summary>A client that sends numbered payloads, a few per tick, and checks every echo.</summary>
    sealed class Player
    {
        public readonly string Name;
        readonly Client client;
        readonly int total;
        readonly byte[] send = new byte[Library.MaxPayloadSize];
        readonly byte[] receive = new byte[Library.MaxPayloadSize];
        int sent;
        public int Echoed;

        public Player(string name, Client client, int total)
        {
            Name = name;
            this.client = client;
            this.total = total;
        }

        public bool Done { get { return Echoed == total; } }

        static int SizeOf(int seq) { return 4 + (seq * 97) % (Library.MaxPayloadSize - 4); }

        static void Fill(byte[] b, int seq)
        {
            int size = SizeOf(seq);
            b[0] = (byte)seq; b[1] = (byte)(seq >> 8); b[2] = (byte)(seq >> 16); b[3] = (byte)(seq >> 24);
            for (int i = 4; i < size; i++)
                b[i] = (byte)(seq + i);
        }

        public bool Tick()
        {
            if (!client.IsConnected)
                return true; // still connecting
            for (int k = 0; k < 4 && sent < total; k++, sent++)
            {
                Fill(send, sent);
                client.Send(send, 0, SizeOf(sent));
            }
            int n;
            while (client.Receive(receive, out n))
            {
                int seq = receive[0] | receive[1] << 8 | receive[2] << 16 | receive[3] << 24;
                bool ok = seq >= 0 && seq < sent && n == SizeOf(seq);
                for (int i = 4; ok && i < n; i++)
                    ok = receive[i] == (byte)(seq + i);
                if (!ok)
                {
                    Console.Error.WriteLine("echo failed: {0}: a corrupt echo of {1} bytes (seq {2})", Name, n, seq);
                    return false;
                }
                Echoed++;
            }
            return true;
        }
    }
}
