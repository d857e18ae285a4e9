// HostStress.cs - the host game's runtime must not be harmed by the native
// library: one run of this program loads liblightyear_conn and then, for a
// few seconds, at once
//   - throws and catches DivideByZeroException (SIGFPE inside Mono) and
//     NullReferenceException (SIGSEGV inside Mono) at a high rate,
//   - collects garbage on several threads (Mono stops the world with
//     signals in its preemptive and hybrid suspend modes),
//   - calls the library from several threads: Update on local-only
//     servers (two threads on one server, two on servers of their own),
//     and a server and a local client echoing payloads,
//   - starts short-lived threads that each make one call and exit.
// Each loop runs until the time is up and it has made progress at least
// once (a loaded machine may start a thread late). It exits 0 and prints
// the counts if everything finished; a crash, an abort or a hang is the
// failure the parent (Tests.cs, HostRuntimeUnharmed) sees.
//
//   mono Lightyear.Conn.HostStress.exe [seconds]
using System;
using System.Collections.Generic;
using System.Threading;
using Lightyear.Conn;

namespace Lightyear.Conn.HostStress
{
    static class Program
    {
        static volatile bool stop;
        static long divides, nulls, collections, calls, echoes, threadsStarted;
        // Read from the command line's absence of a third argument, so the
        // compiler cannot fold the division or the null dereference away.
        static int zero;
        static object nothing;

        static int Main(string[] args)
        {
            zero = args.Length > 2 ? 1 : 0;
            nothing = args.Length > 2 ? new object() : null;
            double seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
            Library.EnsureLoaded(); // loads the library (and starts the Go runtime) first
            var threads = new List<Thread>();
            Action<ThreadStart> run = body => { var t = new Thread(body); t.IsBackground = true; threads.Add(t); t.Start(); };

            for (int i = 0; i < 2; i++)
                run(DivideLoop);
            run(NullLoop);
            for (int i = 0; i < 2; i++)
                run(CollectLoop);
            for (int i = 0; i < 2; i++)
                run(() => UpdateLoop(null));
            // Two threads on one handle: they meet on its lock inside the
            // library (the hang of issue 13 went through that lock).
            var shared = new Server(LocalConfig());
            shared.Start();
            for (int i = 0; i < 2; i++)
                run(() => UpdateLoop(shared));
            run(EchoLoop);
            // HOSTSTRESS_CHURN=0 leaves the short-lived threads out: under
            // a collector that stops threads with signals (Mono's
            // preemptive suspend) a thread's first call can hang, in the Go
            // runtime's own thread attach (DESIGN.md, "A thread's first
            // call"), and the test runs that mode without them.
            if (Environment.GetEnvironmentVariable("HOSTSTRESS_CHURN") != "0")
                run(ThreadChurn);

            Thread.Sleep(TimeSpan.FromSeconds(seconds));
            stop = true;
            foreach (var t in threads)
                if (!t.Join(TimeSpan.FromSeconds(30)))
                {
                    Console.Error.WriteLine("hoststress: a thread did not stop within 30 s");
                    return 3;
                }
            shared.Dispose();
            Console.WriteLine("hoststress: {0} divide-by-zero, {1} null-reference caught; {2} collections; {3} library calls, {4} echoes, {5} short threads",
                              divides, nulls, collections, calls, echoes, threadsStarted);
            if (divides == 0 || nulls == 0 || collections == 0 || calls == 0 || echoes == 0)
            {
                Console.Error.WriteLine("hoststress: a loop made no progress");
                return 2;
            }
            return 0;
        }

        static void DivideLoop()
        {
            long n = 0;
            while (!stop || n == 0)
            {
                try
                {
                    n += 1 / zero;
                }
                catch (DivideByZeroException)
                {
                    n++;
                }
            }
            Interlocked.Add(ref divides, n);
        }

        static void NullLoop()
        {
            long n = 0;
            while (!stop || n == 0)
            {
                try
                {
                    n += nothing.GetHashCode();
                }
                catch (NullReferenceException)
                {
                    n++;
                }
            }
            Interlocked.Add(ref nulls, n);
        }

        static void CollectLoop()
        {
            var junk = new List<byte[]>();
            var rnd = new Random(Thread.CurrentThread.ManagedThreadId);
            long n = 0;
            while (!stop || n == 0)
            {
                for (int i = 0; i < 100; i++)
                    junk.Add(new byte[rnd.Next(16, 2048)]);
                if (junk.Count > 2000)
                    junk.Clear();
                GC.Collect();
                n++;
            }
            Interlocked.Add(ref collections, n);
        }

        // The reproduction: Update(0) in a loop on a server with no
        // sockets, on the given one or on a server of its own.
        static void UpdateLoop(Server shared)
        {
            long n = 0;
            var server = shared ?? new Server(LocalConfig());
            try
            {
                if (shared == null)
                    server.Start();
                while (!stop || n == 0)
                {
                    server.Update(0);
                    n++;
                }
            }
            finally
            {
                if (shared == null)
                    server.Dispose();
            }
            Interlocked.Add(ref calls, n);
        }

        // A server and its local client exchanging payloads: events,
        // payload copies and the client queue under the same pressure.
        static void EchoLoop()
        {
            long n = 0, echoed = 0;
            var payload = new byte[100];
            var buf = new byte[1200];
            using (var server = new Server(LocalConfig()))
            {
                server.Start();
                using (var client = server.ConnectLocal(7))
                {
                    ServerEvent ev;
                    while (!stop || echoed == 0)
                    {
                        client.Send(payload);
                        client.Update(0.016);
                        server.Update(0.016);
                        while (server.PollEvent(out ev, buf))
                            if (ev.Type == ServerEventType.Payload)
                                server.Send(ev.ClientId, buf, ev.PayloadOffset, ev.PayloadLength);
                        server.Flush();
                        client.Update(0);
                        int len;
                        while (client.Receive(buf, out len))
                            echoed++;
                        n += 8;
                    }
                }
            }
            Interlocked.Add(ref calls, n);
            Interlocked.Add(ref echoes, echoed);
        }

        // Threads that live for one call: each is a new thread entering the library.
        static void ThreadChurn()
        {
            while (!stop)
            {
                var t = new Thread(() =>
                {
                    using (var server = new Server(LocalConfig()))
                    {
                        server.Start();
                        server.Update(0);
                    }
                    Interlocked.Add(ref calls, 3);
                });
                t.Start();
                t.Join();
                Interlocked.Increment(ref threadsStarted);
            }
        }

        static ServerConfig LocalConfig()
        {
            var cfg = new ServerConfig();
            cfg.ProtocolId = 0x1234;
            cfg.PrivateKey = Keys.Generate();
            return cfg;
        }
    }
}
