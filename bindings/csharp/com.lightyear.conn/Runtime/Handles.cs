// Handles.cs - SafeHandles for ly_server* and ly_client*.
//
// The native handles are opaque 64-bit tokens looked up in a table with
// generation counters, never pointers: destroying a stale handle (one
// Library.Shutdown already destroyed) is detected natively and harmless, so
// ReleaseHandle may run at any time, on the finalizer thread too.
using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace Lightyear.Conn
{
    /// <summary>A ly_server handle; releasing it calls ly_server_destroy.</summary>
    internal sealed class ServerHandle : SafeHandle
    {
        static long released;

        /// <summary>How many server handles were released (disposed or finalized); for tests.</summary>
        internal static long Released { get { return Interlocked.Read(ref released); } }

        public ServerHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            // LY_ERR_INVALID_HANDLE after Library.Shutdown is expected: the
            // handle was destroyed with every other one.
            Native.ly_server_destroy(handle);
            Interlocked.Increment(ref released);
            return true;
        }
    }

    /// <summary>A ly_client handle (netcode or local); releasing it calls ly_client_destroy.</summary>
    internal sealed class ClientHandle : SafeHandle
    {
        static long released;

        /// <summary>How many client handles were released (disposed or finalized); for tests.</summary>
        internal static long Released { get { return Interlocked.Read(ref released); } }

        public ClientHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            Native.ly_client_destroy(handle);
            Interlocked.Increment(ref released);
            return true;
        }
    }

    /// <summary>A ly_token_request handle; releasing it calls ly_token_request_free (which cancels the fetch).</summary>
    internal sealed class TokenRequestHandle : SafeHandle
    {
        public TokenRequestHandle() : base(IntPtr.Zero, true) { }

        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }

        protected override bool ReleaseHandle()
        {
            // LY_ERR_INVALID_HANDLE after Library.Shutdown is expected.
            Native.ly_token_request_free(handle);
            return true;
        }
    }
}
