// Library.cs - loading, the version check, shutdown, and the helpers every
// wrapper shares (error checks, UTF-8 strings).
using System;
using System.Text;
using System.Threading;

namespace Lightyear.Conn
{
    /// <summary>
    /// The native library as a whole: the version check made on first use,
    /// <see cref="Shutdown"/> for Unity's Play-mode exit, the header's limits.
    /// </summary>
    public static class Library
    {
        /// <summary>The LY_VERSION_MAJOR this binding was written for; the native major version must match.</summary>
        public const int BindingVersionMajor = Native.LY_VERSION_MAJOR;
        public const int BindingVersionMinor = Native.LY_VERSION_MINOR;
        public const int BindingVersionPatch = Native.LY_VERSION_PATCH;

        /// <summary>Payloads are 1..MaxPayloadSize bytes (LY_MAX_PAYLOAD_SIZE).</summary>
        public const int MaxPayloadSize = Native.LY_MAX_PAYLOAD_SIZE;
        /// <summary>Private keys are KeySize bytes (LY_KEY_SIZE).</summary>
        public const int KeySize = Native.LY_KEY_SIZE;
        /// <summary>Connect tokens are ConnectTokenSize bytes (LY_CONNECT_TOKEN_SIZE).</summary>
        public const int ConnectTokenSize = Native.LY_CONNECT_TOKEN_SIZE;
        /// <summary>User data in a token is UserDataSize bytes (LY_USER_DATA_SIZE).</summary>
        public const int UserDataSize = Native.LY_USER_DATA_SIZE;
        /// <summary>A token holds 1..MaxServerAddresses server addresses.</summary>
        public const int MaxServerAddresses = Native.LY_MAX_SERVER_ADDRESSES;

        static readonly object gate = new object();
        static volatile bool loaded;
        static uint nativeVersion;
        // Bumped by Shutdown: objects made before it are dead.
        static int epoch;

        internal static int Epoch { get { return Volatile.Read(ref epoch); } }

        /// <summary>True once <see cref="EnsureLoaded"/> succeeded (the native library is loaded and its version checked).</summary>
        public static bool IsLoaded { get { return loaded; } }

        /// <summary>
        /// In Unity: call <see cref="Shutdown"/> automatically when the
        /// application quits or the Editor exits Play mode
        /// (Application.quitting). True by default; no effect outside Unity.
        /// </summary>
        public static bool ShutdownOnQuit = true;

        /// <summary>
        /// Loads the native library and checks that its major version is
        /// <see cref="BindingVersionMajor"/>. Every constructor and static
        /// entry point of the binding calls it; calling it yourself (at
        /// start-up) surfaces a missing or mismatched library early.
        /// Throws DllNotFoundException (library not found) or
        /// <see cref="LightyearVersionException"/> (major version mismatch).
        /// </summary>
        public static void EnsureLoaded()
        {
            if (loaded)
                return;
            lock (gate)
            {
                if (loaded)
                    return;
                uint v;
                try
                {
                    v = Native.ly_version();
                }
                catch (DllNotFoundException e)
                {
                    throw new DllNotFoundException(
                        "lightyear_conn: the native library (liblightyear_conn.so, lightyear_conn.dll or " +
                        "liblightyear_conn.dylib) was not found; in Unity put it under Runtime/Plugins/<platform>/, " +
                        "elsewhere on the library path (LD_LIBRARY_PATH, PATH, DYLD_LIBRARY_PATH). " + e.Message, e);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw new EntryPointNotFoundException(
                        "lightyear_conn: a library named lightyear_conn was loaded but has no ly_version: not liblightyear_conn? " +
                        e.Message, e);
                }
                CheckVersion(v, BindingVersionMajor);
                nativeVersion = v;
                loaded = true;
            }
        }

        /// <summary>Throws LightyearVersionException unless the packed native version's major part is bindingMajor.</summary>
        internal static void CheckVersion(uint packedNativeVersion, int bindingMajor)
        {
            int major = (int)(packedNativeVersion >> 16);
            if (major != bindingMajor)
                throw new LightyearVersionException(Unpack(packedNativeVersion),
                    new Version(bindingMajor, BindingVersionMinor, BindingVersionPatch));
        }

        internal static Version Unpack(uint packed)
        {
            return new Version((int)(packed >> 16), (int)((packed >> 8) & 0xFF), (int)(packed & 0xFF));
        }

        /// <summary>The version of the loaded native library (ly_version).</summary>
        public static Version NativeVersion
        {
            get
            {
                EnsureLoaded();
                return Unpack(nativeVersion);
            }
        }

        /// <summary>The version of the header this binding was written for.</summary>
        public static Version BindingVersion
        {
            get { return new Version(BindingVersionMajor, BindingVersionMinor, BindingVersionPatch); }
        }

        /// <summary>
        /// ly_shutdown: destroys every server and client (servers stop, clients
        /// disconnect, telling their peers), closes every socket, closes Steam
        /// (as <see cref="Steam.Close"/>) and waits for the library's threads. Every Server and Client made before becomes
        /// disposed (their methods throw ObjectDisposedException); the library
        /// can be used again afterwards. A Go shared library can never be
        /// unloaded and Unity keeps native plugins loaded across Play-mode
        /// runs: call this when play stops (see the README).
        /// </summary>
        public static void Shutdown()
        {
            EnsureLoaded();
            Interlocked.Increment(ref epoch);
            Native.ly_shutdown();
        }

        /// <summary>A static English description of an error code (ly_error_string).</summary>
        public static string Describe(ErrorCode code)
        {
            EnsureLoaded();
            return Utf8.FromNative(Native.ly_error_string((int)code));
        }

        /// <summary>A static English name of a client state (ly_state_string).</summary>
        public static string Describe(ClientState state)
        {
            EnsureLoaded();
            return Utf8.FromNative(Native.ly_state_string((int)state));
        }

        /// <summary>A static English name of a disconnect reason (ly_reason_string).</summary>
        public static string Describe(DisconnectReason reason)
        {
            EnsureLoaded();
            return Utf8.FromNative(Native.ly_reason_string((int)reason));
        }
    }

    /// <summary>Thrown on first use when the native library's major version is not the binding's.</summary>
    public sealed class LightyearVersionException : Exception
    {
        public Version NativeVersion { get; private set; }
        public Version BindingVersion { get; private set; }

        public LightyearVersionException(Version nativeVersion, Version bindingVersion)
            : base("lightyear_conn version mismatch: the native library is " + nativeVersion +
                   " (major " + nativeVersion.Major + ") but this C# binding was written for " + bindingVersion +
                   " (major " + bindingVersion.Major + "); use the native library and the binding of the same release")
        {
            NativeVersion = nativeVersion;
            BindingVersion = bindingVersion;
        }
    }

    /// <summary>A native call failed: <see cref="Code"/> is the LY_ERR_* code, the message includes ly_last_error's detail.</summary>
    public class LightyearException : Exception
    {
        /// <summary>The native error code.</summary>
        public ErrorCode Code { get; private set; }

        /// <summary>ly_last_error() right after the failing call, on the failing thread ("" if none).</summary>
        public string NativeMessage { get; private set; }

        /// <summary>For <see cref="ErrorCode.BufferTooSmall"/>: the size needed; 0 otherwise.</summary>
        public int RequiredSize { get; private set; }

        /// <summary>The native function that failed.</summary>
        public string Function { get; private set; }

        public LightyearException(ErrorCode code, string function, string nativeMessage, int requiredSize = 0)
            : base(Format(code, function, nativeMessage, requiredSize))
        {
            Code = code;
            Function = function;
            NativeMessage = nativeMessage ?? "";
            RequiredSize = requiredSize;
        }

        static string Format(ErrorCode code, string function, string nativeMessage, int requiredSize)
        {
            var sb = new StringBuilder();
            sb.Append(function).Append(" failed: ").Append(code).Append(" (").Append((int)code).Append(", ");
            sb.Append(Utf8.FromNative(Native.ly_error_string((int)code))).Append(')');
            if (!string.IsNullOrEmpty(nativeMessage))
                sb.Append(": ").Append(nativeMessage);
            if (requiredSize > 0)
                sb.Append(" (").Append(requiredSize).Append(" bytes needed)");
            return sb.ToString();
        }
    }

    /// <summary>
    /// A Steam send found Steam's send buffer full (<see cref="ErrorCode.SendBufferFull"/>):
    /// the payload was not sent and nothing else was lost. From
    /// <see cref="Client.Send(byte[])"/>, <see cref="Server.Send(ClientId, byte[])"/> and
    /// <see cref="Server.Broadcast(byte[])"/> (where it means some Steam clients did not
    /// get the payload; every other client did). Catch it to drop or resend later.
    /// </summary>
    public sealed class SendBufferFullException : LightyearException
    {
        public SendBufferFullException(string function, string nativeMessage)
            : base(ErrorCode.SendBufferFull, function, nativeMessage)
        {
        }
    }

    /// <summary>Error checks shared by the wrappers: throw off the hot path.</summary>
    internal static class Err
    {
        /// <summary>Returns rc if it is not negative; otherwise throws LightyearException with ly_last_error.</summary>
        internal static int Check(int rc, string function)
        {
            if (rc < 0)
                Throw(rc, function, 0);
            return rc;
        }

        /// <summary>Reads ly_last_error now (same thread, right after the failing call) and throws.</summary>
        internal static void Throw(int rc, string function, int requiredSize)
        {
            Throw(rc, function, Utf8.FromNative(Native.ly_last_error()), requiredSize);
        }

        /// <summary>Throws the exception type of rc's code with a detail already read.</summary>
        internal static void Throw(int rc, string function, string detail, int requiredSize)
        {
            if (rc == (int)ErrorCode.SendBufferFull)
                throw new SendBufferFullException(function, detail);
            var fetch = TokenFetchException.For(rc, function, detail);
            if (fetch != null)
                throw fetch;
            throw new LightyearException((ErrorCode)rc, function, detail, requiredSize);
        }

        internal static void Disposed(string type)
        {
            throw new ObjectDisposedException(type);
        }

        internal static void DisposedByShutdown(string type)
        {
            throw new ObjectDisposedException(type, "Library.Shutdown() destroyed every " + type + " made before it");
        }

        internal static void DisposedBySteamClose()
        {
            throw new ObjectDisposedException("Client", "Steam.Close() closed every Steam client made before it");
        }

        /// <summary>Validates an (array, offset, count) payload: ArgumentNullException / ArgumentOutOfRangeException.</summary>
        internal static void CheckPayload(byte[] data, int offset, int count)
        {
            if (data == null)
                throw new ArgumentNullException("data");
            if (offset < 0 || offset > data.Length)
                throw new ArgumentOutOfRangeException("offset", offset, "offset must be within the array (0.." + data.Length + ")");
            if (count < 0 || count > data.Length - offset)
                throw new ArgumentOutOfRangeException("count", count, "offset + count must be within the array (length " + data.Length + ")");
            CheckPayloadSize(count);
        }

        internal static void CheckPayloadSize(int count)
        {
            if (count < 1 || count > Native.LY_MAX_PAYLOAD_SIZE)
                throw new ArgumentOutOfRangeException("count", count, "a payload is 1.." + Native.LY_MAX_PAYLOAD_SIZE + " bytes");
        }

        internal static void CheckKey(byte[] key, string name)
        {
            if (key == null)
                throw new ArgumentNullException(name);
            if (key.Length != Native.LY_KEY_SIZE)
                throw new ArgumentException(name + " must be " + Native.LY_KEY_SIZE + " bytes, not " + key.Length, name);
        }
    }

    /// <summary>UTF-8 strings to and from the library, marshalled by hand (no LPUTF8Str on old runtimes).</summary>
    internal static unsafe class Utf8
    {
        /// <summary>s as NUL-terminated UTF-8, or null for null.</summary>
        internal static byte[] ToNative(string s, string paramName)
        {
            if (s == null)
                return null;
            if (s.IndexOf('\0') >= 0)
                throw new ArgumentException("the string contains a NUL character", paramName);
            int n = Encoding.UTF8.GetByteCount(s);
            var bytes = new byte[n + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, bytes, 0);
            return bytes;
        }

        /// <summary>A NUL-terminated UTF-8 string the library owns; "" for NULL.</summary>
        internal static string FromNative(IntPtr p)
        {
            if (p == IntPtr.Zero)
                return "";
            byte* b = (byte*)p;
            int n = 0;
            while (b[n] != 0)
                n++;
            return n == 0 ? "" : Encoding.UTF8.GetString(b, n);
        }

        internal static string FromBuffer(byte* b, int length)
        {
            return length <= 0 ? "" : Encoding.UTF8.GetString(b, length);
        }
    }
}
