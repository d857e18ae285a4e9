// Bench.cs - what the C# binding costs per call on Mono, row for row
// against bench/c/bench_ffi.c (the same setup: a server on loopback, a
// manual client, 100-byte payloads, 64 events per round).
//
// Each row times many calls with Stopwatch after an untimed warm-up and
// prints nanoseconds per call and managed bytes allocated per call. As in
// the C benchmark, the payload rows time only the draining of K queued
// events: K payloads are sent and the server update that reads and
// decrypts them runs untimed.
//
//   mono Lightyear.Conn.Bench.exe [--quick] [--iters N] [--c-results FILE]
// --c-results takes bench_ffi's output and adds its ns/call as a column.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using Lightyear.Conn;

static class Bench
{
    const ulong Protocol = 0x4C59424E43480001UL;
    const int Batch = 64;
    const int PayloadSize = 100;

    // The same export with the handle as a SafeHandle parameter: the
    // difference to the IntPtr row (how the binding passes handles) is what
    // the runtime's SafeHandle reference counting would cost per call.
    [System.Runtime.InteropServices.DllImport("lightyear_conn", EntryPoint = "ly_server_running",
        CallingConvention = System.Runtime.InteropServices.CallingConvention.Cdecl)]
    static extern int SafeRunning(System.Runtime.InteropServices.SafeHandle server);

    static Dictionary<string, double> cResults = new Dictionary<string, double>();
    static readonly List<string> summary = new List<string>();
    static long sink;

    delegate void Body();

    static int Main(string[] args)
    {
        long iters = 1000000;
        for (int a = 0; a < args.Length; a++)
        {
            if (args[a] == "--quick")
                iters = 2000;
            else if (args[a] == "--iters" && a + 1 < args.Length)
                iters = long.Parse(args[++a], CultureInfo.InvariantCulture);
            else if (args[a] == "--c-results" && a + 1 < args.Length)
                ReadCResults(args[++a]);
            else
            {
                Console.Error.WriteLine("usage: Bench.exe [--quick] [--iters N] [--c-results FILE]");
                return 2;
            }
        }
        long eventsWanted = Math.Max(Batch, iters / 4);
        Library.EnsureLoaded();
        Console.WriteLine("lightyear_conn {0} C# binding benchmark on {1}: Stopwatch, untimed warm-up, best of 3 runs per row",
                          Library.NativeVersion, RuntimeName());
        Console.WriteLine("iterations {0} (send and payload rows: {1}), {2}-byte payloads, {3} events per round\n",
                          iters, eventsWanted, PayloadSize, Batch);
        Console.WriteLine("{0,-46} {1,10} {2,9} {3,8} {4,9}  {5}", "call", "calls", "ns/call", "B/call", "C ns", "C row");

        var key = Keys.Generate();
        var payload = new byte[PayloadSize];
        for (int i = 0; i < payload.Length; i++)
            payload[i] = 0xAB;
        var buf = new byte[Batch * Library.MaxPayloadSize];
        var events = new ServerEvent[Batch];
        ServerEvent ev;

        using (var server = new Server(new ServerConfig { ProtocolId = Protocol, PrivateKey = key, BindAddresses = "127.0.0.1:0" }))
        {
            server.Start();
            string addr = server.GetAddress(0);

            Time("Native.ly_version (raw P/Invoke)", iters, () => { sink += Native.ly_version(); }, "ly_version");
            var handle = (ServerHandle)typeof(Server).GetField("handle", System.Reflection.BindingFlags.Instance |
                System.Reflection.BindingFlags.NonPublic).GetValue(server);
            IntPtr raw = handle.DangerousGetHandle();
            Time("Native.ly_server_running (IntPtr handle)", iters, () => { sink += Native.ly_server_running(raw); }, "ly_server_running");
            Time("  the same with a SafeHandle parameter", iters, () => { sink += SafeRunning(handle); }, "ly_server_running");
            Time("server.IsRunning", iters, () => { if (!server.IsRunning) throw new Exception(); }, "ly_server_running");
            Time("server.Update(0), 0 clients", iters, () => server.Update(0), "ly_server_update, 0 clients");

            using (var client = Client.CreateManual(addr, 1, Protocol, key))
            {
                client.Connect();
                for (int k = 0; k < 10000 && !(client.IsConnected && server.ConnectedCount == 1); k++)
                {
                    client.Update(1.0 / 60);
                    server.Update(1.0 / 60);
                    Thread.Sleep(0);
                }
                if (!client.IsConnected)
                    throw new Exception("client did not connect: " + client.State);
                var id = ClientId.Netcode(1);
                Thread.Sleep(1);
                Drain(server, events, buf);

                Time("server.Update(0), 1 client", iters, () => server.Update(0), "ly_server_update, 1 client");
                Time("server.PollEvent, nothing pending", iters, () => server.PollEvent(out ev, buf), "ly_server_poll, nothing pending");

                Time("client.Send(byte[], 0, 100)", eventsWanted, () => client.Send(payload, 0, PayloadSize), "ly_client_send, 100 bytes");
                Thread.Sleep(1);
                Drain(server, events, buf);
                Time("client.Send(ReadOnlySpan<byte>), 100 bytes", eventsWanted, () => client.Send(new ReadOnlySpan<byte>(payload)), "ly_client_send, 100 bytes");
                Thread.Sleep(1);
                Drain(server, events, buf);
                Time("server.Send(id, ReadOnlySpan<byte>), 100 bytes", eventsWanted, () => server.Send(id, new ReadOnlySpan<byte>(payload)), null);
                Thread.Sleep(1);
                for (int i = 0; i < 1000; i++)
                {
                    client.Update(0);
                    int n;
                    while (client.Receive(buf, out n)) { }
                }

                // One payload per PollEvent, timed while draining K queued events.
                PayloadRow("server.PollEvent, one 100-byte payload", server, client, payload, events, buf, eventsWanted, false,
                           "ly_server_poll, one 100-byte payload");
                PayloadRow("server.PollEvents, 64 x 100-byte", server, client, payload, events, buf, eventsWanted, true,
                           "ly_server_poll_batch, 64 x 100-byte");
            }

            // The same through a local client: no socket, no crypto, so the binding's share shows.
            using (var local = server.ConnectLocal(5))
            {
                Drain(server, events, buf);
                Time("local client.Send(ReadOnlySpan<byte>), 100 bytes", eventsWanted, () => local.Send(new ReadOnlySpan<byte>(payload)), null);
                Drain(server, events, buf);
                PayloadRow("server.PollEvent, local 100-byte payload", server, local, payload, events, buf, eventsWanted, false, null);
                PayloadRow("server.PollEvents, local 64 x 100-byte", server, local, payload, events, buf, eventsWanted, true, null);
            }
        }
        Library.Shutdown();
        Console.WriteLine();
        foreach (var s in summary)
            Console.WriteLine(s);
        return 0;
    }

    static string RuntimeName()
    {
        var mono = Type.GetType("Mono.Runtime");
        if (mono != null)
        {
            var name = mono.GetMethod("GetDisplayName", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static);
            if (name != null)
                return "Mono " + name.Invoke(null, null);
        }
        return ".NET " + Environment.Version;
    }

    static void ReadCResults(string path)
    {
        // bench_ffi rows: a name padded to 44 columns, calls, ns/call, note.
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.Length < 66)
                continue;
            string name = line.Substring(0, 44).Trim();
            var rest = line.Substring(44).Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);
            double ns;
            long calls;
            if (rest.Length >= 2 && long.TryParse(rest[0], out calls) &&
                double.TryParse(rest[1], NumberStyles.Float, CultureInfo.InvariantCulture, out ns))
                cResults[name] = ns;
        }
    }

    static void Row(string name, long calls, double ns, long bytes, string cRow)
    {
        double per = calls > 0 ? ns / calls : 0;
        double c;
        string cCol = cRow != null && cResults.TryGetValue(cRow, out c) ? c.ToString("F1", CultureInfo.InvariantCulture) : "";
        Console.WriteLine("{0,-46} {1,10} {2,9} {3,8} {4,9}  {5}", name, calls, per.ToString("F1", CultureInfo.InvariantCulture),
                          calls > 0 ? ((double)bytes / calls).ToString("F2", CultureInfo.InvariantCulture) : "", cCol, cRow ?? "");
        if (name.StartsWith("client.Send(ReadOnlySpan", StringComparison.Ordinal) ||
            name == "server.PollEvent, one 100-byte payload" || name == "server.PollEvents, 64 x 100-byte" ||
            name == "local client.Send(ReadOnlySpan<byte>), 100 bytes" || name == "server.PollEvent, local 100-byte payload")
            summary.Add(string.Format(CultureInfo.InvariantCulture, "summary: {0}: {1:F1} ns{2}", name, per,
                                      cCol.Length > 0 ? " (C: " + cCol + " ns)" : ""));
    }

    static double Ns(long ticks)
    {
        return ticks * (1e9 / Stopwatch.Frequency);
    }

    // Each row is timed Repeats times and the fastest run reported: the
    // machine may be shared, and noise only ever adds time.
    const int Repeats = 3;

    static void Time(string name, long n, Body body, string cRow)
    {
        long warm = n / 100 + 100;
        for (long i = 0; i < warm; i++)
            body();
        double best = double.MaxValue;
        long bytes = 0;
        for (int rep = 0; rep < Repeats; rep++)
        {
            long b0 = GC.GetAllocatedBytesForCurrentThread();
            long t0 = Stopwatch.GetTimestamp();
            for (long i = 0; i < n; i++)
                body();
            long t1 = Stopwatch.GetTimestamp();
            bytes = Math.Max(bytes, GC.GetAllocatedBytesForCurrentThread() - b0);
            best = Math.Min(best, Ns(t1 - t0));
        }
        Row(name, n, best, bytes, cRow);
    }

    /// <summary>Takes every queued event with the server's clock held still.</summary>
    static void Drain(Server s, ServerEvent[] events, byte[] buf)
    {
        s.Update(0);
        while (s.PollEvents(events, buf) > 0) { }
    }

    static void FillQueue(Server s, Client c, byte[] payload)
    {
        for (int k = 0; k < Batch; k++)
            c.Send(payload, 0, payload.Length);
        c.Update(0);
        s.Update(0);
    }

    static void PayloadRow(string name, Server s, Client c, byte[] payload, ServerEvent[] events, byte[] buf,
                           long eventsWanted, bool batch, string cRow)
    {
        for (int k = 0; k < 4; k++)
        {
            FillQueue(s, c, payload);
            Drain(s, events, buf);
        }
        double bestPer = double.MaxValue;
        long bestGot = 0, bytes = 0;
        for (int rep = 0; rep < Repeats; rep++)
        {
            long ticks = 0, got = 0;
            while (got < eventsWanted)
            {
                FillQueue(s, c, payload);
                long b0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                int round = PollRound(s, events, buf, batch);
                ticks += Stopwatch.GetTimestamp() - t0;
                bytes += GC.GetAllocatedBytesForCurrentThread() - b0;
                got += round;
                Drain(s, events, buf); // anything that arrived late
            }
            if (Ns(ticks) / got < bestPer)
            {
                bestPer = Ns(ticks) / got;
                bestGot = got;
            }
        }
        Row(name, bestGot, bestPer * bestGot, bytes / Repeats, cRow);
    }

    /// <summary>Takes up to Batch queued events: one per PollEvent, or as many per PollEvents call as are pending.</summary>
    static int PollRound(Server s, ServerEvent[] events, byte[] buf, bool batch)
    {
        int round = 0;
        if (batch)
        {
            int r;
            while (round < Batch && (r = s.PollEvents(events, buf)) > 0)
                round += r;
        }
        else
        {
            ServerEvent ev;
            while (round < Batch && s.PollEvent(out ev, buf))
                round++;
        }
        return round;
    }
}
