// Fixtures.cs - servers, clients and paths the tests share.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Threading;

namespace Lightyear.Conn.Tests
{
    static class Paths
    {
        static string root;

        /// <summary>The repository root: LIGHTYEAR_ROOT, or the directory above the test program holding include/lightyear_conn.h.</summary>
        public static string Root
        {
            get
            {
                if (root != null)
                    return root;
                string env = Environment.GetEnvironmentVariable("LIGHTYEAR_ROOT");
                if (!string.IsNullOrEmpty(env))
                    return root = env;
                var dir = new DirectoryInfo(AppDomain.CurrentDomain.BaseDirectory);
                for (; dir != null; dir = dir.Parent)
                    if (File.Exists(Path.Combine(dir.FullName, "include", "lightyear_conn.h")))
                        return root = dir.FullName;
                throw new AssertionException("repository root not found: set LIGHTYEAR_ROOT");
            }
        }

        public static string Header { get { return Path.Combine(Root, "include", "lightyear_conn.h"); } }

        /// <summary>The native build: LIGHTYEAR_BUILD_DIR, or build/ in the root.</summary>
        public static string Build
        {
            get
            {
                string env = Environment.GetEnvironmentVariable("LIGHTYEAR_BUILD_DIR");
                return string.IsNullOrEmpty(env) ? Path.Combine(Root, "build") : env;
            }
        }

        /// <summary>Where test.sh put the compiled C# programs and the layout dump.</summary>
        public static string CsBuild { get { return AppDomain.CurrentDomain.BaseDirectory; } }

        public static string Existing(string path, string what)
        {
            if (!File.Exists(path))
                throw new AssertionException(what + " not found at " + path + " (run bindings/csharp/test.sh)");
            return path;
        }
    }

    /// <summary>A started UDP server on 127.0.0.1 (port picked by the OS) and helpers to connect clients to it.</summary>
    sealed class Fixture : IDisposable
    {
        public const ulong Protocol = 0x4C59435354455354UL; // "LYCSTEST"
        public const double Dt = 0.01;

        public readonly byte[] Key;
        public readonly Server Server;
        public readonly string Address;
        public readonly List<ServerEvent> Events = new List<ServerEvent>();
        public readonly List<byte[]> Payloads = new List<byte[]>(); // one per Payload event, in order
        readonly ServerEvent[] batch = new ServerEvent[16];
        readonly List<Client> clients = new List<Client>();

        public Fixture(string bind = "127.0.0.1:0", int maxClients = 0, bool batchSends = false, int tokenHistorySize = 0)
        {
            Key = Keys.Generate();
            var config = new ServerConfig
            {
                ProtocolId = Protocol, PrivateKey = Key, BindAddresses = bind, BatchSends = batchSends, TokenHistorySize = tokenHistorySize,
            };
            if (maxClients > 0)
                config.MaxClients = maxClients;
            Server = new Server(config);
            Server.Start();
            Address = bind == null ? null : Server.GetAddress(0);
        }

        public byte[] Token(ulong clientId, byte[] userData = null)
        {
            return ConnectToken.Generate(new ConnectTokenParams
            {
                ProtocolId = Protocol,
                ClientId = clientId,
                PrivateKey = Key,
                PublicAddresses = Address,
                UserData = userData,
            });
        }

        /// <summary>A token client, connected (the server's Connected event is in Events).</summary>
        public Client Connect(ulong clientId, byte[] userData = null)
        {
            var client = new Client(Token(clientId, userData), new ClientConfig { ClientId = clientId });
            clients.Add(client);
            client.Connect();
            var id = ClientId.Netcode(clientId);
            PumpUntil(() => client.State == ClientState.Connected && Connected(id), "client " + clientId + " connects");
            return client;
        }

        public bool Connected(ClientId id)
        {
            return Events.Exists(e => e.Type == ServerEventType.Connected && e.ClientId == id);
        }

        /// <summary>Updates every client made here plus extra ones, and the server, then drains its events, until done() or 20 s of wall time.</summary>
        public void PumpUntil(Func<bool> done, string what, params Client[] extra)
        {
            var sw = Stopwatch.StartNew();
            for (int step = 0; ; step++)
            {
                foreach (var c in clients)
                    if (!c.IsDisposed)
                        c.Update(Dt);
                foreach (var c in extra)
                    c.Update(Dt);
                Server.Update(Dt);
                Drain();
                if (done())
                    return;
                if (sw.Elapsed.TotalSeconds > 20)
                    throw new AssertionException("timed out waiting: " + what);
                if (step % 4 == 3)
                    Thread.Sleep(1);
            }
        }

        /// <summary>Takes every pending server event into Events (payload copies into Payloads).</summary>
        public void Drain()
        {
            int n;
            while ((n = Server.PollEvents(batch)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    Events.Add(batch[i]);
                    if (batch[i].Type == ServerEventType.Payload)
                        Payloads.Add(Server.GetPayload(batch[i]).ToArray());
                }
            }
        }

        public void Dispose()
        {
            foreach (var c in clients)
                c.Dispose();
            Server.Dispose();
        }

        /// <summary>A payload whose bytes depend on seed and size, so content checks catch mix-ups.</summary>
        public static byte[] Pattern(int size, int seed)
        {
            var b = new byte[size];
            for (int i = 0; i < size; i++)
                b[i] = (byte)(seed * 31 + i * 7 + (i >> 8));
            return b;
        }

        public static bool Same(byte[] a, byte[] b)
        {
            if (a.Length != b.Length)
                return false;
            for (int i = 0; i < a.Length; i++)
                if (a[i] != b[i])
                    return false;
            return true;
        }
    }

    /// <summary>
    /// The test double of Valve's flat API (steamworks/testdata/fakesteam),
    /// built by CMake as build/tests/c/fakesteam/libsteam_api.so: Steam.Open
    /// loads it as it loads the real one, and the tests reach its FakeSteam_*
    /// controls through dlopen/dlsym of the same file, so both share one
    /// instance of the library (the dynamic loader opens a file once).
    /// </summary>
    static class FakeSteam
    {
        /// <summary>The SteamID the double gives this process's user (before FakeSteam_SetLocalSteamID).</summary>
        public const ulong LocalSteamId = 76561197960287930UL;

        const int RTLD_NOW = 2;

        [DllImport("libdl.so.2")]
        static extern IntPtr dlopen(string path, int flags);

        [DllImport("libdl.so.2")]
        static extern IntPtr dlsym(IntPtr handle, string name);

        [DllImport("libdl.so.2")]
        static extern IntPtr dlerror();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        delegate void FailInitFn([MarshalAs(UnmanagedType.LPStr)] string msg, int code);

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        delegate void ResetFn();

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        delegate long LiveMessagesFn(); // C long: 64 bits on Linux x86_64

        [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
        delegate int ConfigFn(int key);

        static FailInitFn failInit;
        static ConfigFn config;
        static ResetFn reset;
        static LiveMessagesFn liveMessages;

        public static string Path
        {
            get
            {
                return System.IO.Path.GetFullPath(Paths.Existing(
                    System.IO.Path.Combine(Paths.Build, "tests", "c", "fakesteam", "libsteam_api.so"),
                    "the fakesteam test double (cmake --build build --target fakesteam)"));
            }
        }

        /// <summary>A SteamConfig that opens the double as Steamworks, initialising it as a client of app 480.</summary>
        public static SteamConfig Config()
        {
            return new SteamConfig { Flavour = SteamFlavour.Steamworks, LibraryPath = Path, AppId = 480 };
        }

        static void Load()
        {
            if (reset != null)
                return;
            IntPtr h = dlopen(Path, RTLD_NOW);
            if (h == IntPtr.Zero)
                throw new AssertionException("dlopen " + Path + ": " + Marshal.PtrToStringAnsi(dlerror()));
            failInit = Symbol<FailInitFn>(h, "FakeSteam_FailInit");
            liveMessages = Symbol<LiveMessagesFn>(h, "FakeSteam_LiveMessages");
            config = Symbol<ConfigFn>(h, "FakeSteam_Config");
            reset = Symbol<ResetFn>(h, "FakeSteam_Reset");
        }

        static T Symbol<T>(IntPtr h, string name) where T : class
        {
            IntPtr p = dlsym(h, name);
            if (p == IntPtr.Zero)
                throw new AssertionException(name + " not found in " + Path);
            return (T)(object)Marshal.GetDelegateForFunctionPointer(p, typeof(T));
        }

        /// <summary>The next inits fail with Steam's code and this message; null makes them succeed again.</summary>
        public static void FailInit(string message, int code)
        {
            Load();
            failInit(message, code);
        }

        /// <summary>Forgets everything: connections, sockets, messages, initialisation, settings. Only with Steam closed.</summary>
        public static void Reset()
        {
            Load();
            reset();
        }

        /// <summary>The value the double's global config has for an ESteamNetworkingConfigValue key (0 if never set).</summary>
        public static int GlobalConfig(int key)
        {
            Load();
            return config(key);
        }

        /// <summary>Steam messages allocated and not yet released.</summary>
        public static long LiveMessages()
        {
            Load();
            return liveMessages();
        }
    }

    /// <summary>A child process (a C example program) with its output collected line by line.</summary>
    sealed class ChildProcess : IDisposable
    {
        readonly Process process;
        readonly List<string> lines = new List<string>();

        public ChildProcess(string path, string arguments, IDictionary<string, string> environment = null)
        {
            var psi = new ProcessStartInfo(path, arguments)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                CreateNoWindow = true,
            };
            if (environment != null)
                foreach (var kv in environment)
                    psi.EnvironmentVariables[kv.Key] = kv.Value;
            process = new Process { StartInfo = psi };
            process.OutputDataReceived += (s, e) => { if (e.Data != null) lock (lines) lines.Add(e.Data); };
            process.ErrorDataReceived += (s, e) => { if (e.Data != null) lock (lines) lines.Add("stderr: " + e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public int Id { get { return process.Id; } }

        public bool HasExited { get { return process.HasExited; } }

        public string Output
        {
            get { lock (lines) return string.Join("\n", lines.ToArray()); }
        }

        /// <summary>The first output line starting with prefix, waiting up to seconds.</summary>
        public string WaitForLine(string prefix, double seconds)
        {
            var sw = Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds)
            {
                lock (lines)
                    foreach (var l in lines)
                        if (l.StartsWith(prefix, StringComparison.Ordinal))
                            return l;
                if (process.HasExited && process.WaitForExit(100))
                {
                    lock (lines)
                        foreach (var l in lines)
                            if (l.StartsWith(prefix, StringComparison.Ordinal))
                                return l;
                    break;
                }
                Thread.Sleep(10);
            }
            throw new AssertionException("no line starting with '" + prefix + "' from " + process.StartInfo.FileName + "; output:\n" + Output);
        }

        public int WaitForExit(double seconds)
        {
            if (!process.WaitForExit((int)(seconds * 1000)))
                throw new AssertionException(process.StartInfo.FileName + " did not exit within " + seconds + " s; output:\n" + Output);
            process.WaitForExit(); // flushes the asynchronous readers
            return process.ExitCode;
        }

        public void Dispose()
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill();
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
            }
            process.Dispose();
        }
    }
}
