// TokenFetch.cs - fetching a connect token from the token service
// (cmd/lytokens): TokenFetchOptions (ly_token_fetch_options), the blocking
// TokenClient.Fetch, the polled TokenRequest for a game loop, the Task-based
// TokenClient.FetchAsync built on it, and one exception type per failure.
using System;
using System.Globalization;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;

namespace Lightyear.Conn
{
    /// <summary>
    /// What a client sends to the token service (ly_token_fetch_options). Copied
    /// when a fetch starts. Only https:// is accepted: whoever reads a token can
    /// connect with it.
    /// </summary>
    public sealed class TokenFetchOptions
    {
        /// <summary>"https://host:port" or "https://host:port/path" (no path: "/v1/token"). Required.</summary>
        public string Url;

        /// <summary>Sent as "Authorization: Bearer &lt;credential&gt;" (a JWT, say). Required; no spaces or control characters. Never logged.</summary>
        public string Credential;

        /// <summary>The SHA-256 of the service's leaf certificate in hex, colons allowed (lytokens -dev prints it). Null or "": not pinned.</summary>
        public string PinSha256;

        /// <summary>A PEM file of the CAs to trust instead of the system's. Null or "": none. Setting both this and <see cref="PinSha256"/> is InvalidArgument.</summary>
        public string CaFile;

        /// <summary>Ask for a server with this tag (region, mode). Null or "": any.</summary>
        public string Tag;

        /// <summary>The whole fetch (connect, TLS, answer); the library's default (10 s) unless set. At most about 49 days; TimeSpan.Zero means the default.</summary>
        public TimeSpan Timeout;

        /// <summary>Options with the library's defaults (ly_token_fetch_options_defaults); set Url and Credential.</summary>
        public unsafe TokenFetchOptions()
        {
            Library.EnsureLoaded();
            Native.ly_token_fetch_options o;
            Native.ly_token_fetch_options_defaults(&o);
            Timeout = TimeSpan.FromMilliseconds(o.timeout_ms);
        }

        /// <summary>Options for url and credential, defaults otherwise.</summary>
        public TokenFetchOptions(string url, string credential) : this()
        {
            Url = url;
            Credential = credential;
        }

        /// <summary>The options as NUL-terminated UTF-8 strings, kept alive by the caller across the native call.</summary>
        internal sealed class Encoded
        {
            internal byte[] Url, Credential, Pin, CaFile, Tag;
            internal uint TimeoutMs;
        }

        internal Encoded Encode()
        {
            double ms = Timeout.TotalMilliseconds;
            if (ms < 0 || ms > uint.MaxValue)
                throw new ArgumentOutOfRangeException("Timeout", Timeout, "must be between 0 and " + uint.MaxValue + " ms");
            return new Encoded
            {
                Url = Utf8.ToNative(Url, "Url"),
                Credential = Utf8.ToNative(Credential, "Credential"),
                Pin = Utf8.ToNative(PinSha256, "PinSha256"),
                CaFile = Utf8.ToNative(CaFile, "CaFile"),
                Tag = Utf8.ToNative(Tag, "Tag"),
                TimeoutMs = (uint)Math.Ceiling(ms),
            };
        }
    }

    /// <summary>Fetching connect tokens from the token service.</summary>
    public static class TokenClient
    {
        /// <summary>How often <see cref="FetchAsync(TokenFetchOptions, CancellationToken)"/> polls its request.</summary>
        public static readonly TimeSpan AsyncPollInterval = TimeSpan.FromMilliseconds(10);

        /// <summary>
        /// Fetches a connect token (ly_token_fetch), blocking the calling thread
        /// until the answer or the timeout: never call it from a game loop (use
        /// <see cref="TokenRequest"/> or <see cref="FetchAsync(TokenFetchOptions, CancellationToken)"/>).
        /// Returns the <see cref="ConnectToken.Size"/>-byte token for
        /// <see cref="Client"/>.
        /// </summary>
        /// <exception cref="ArgumentNullException">options is null.</exception>
        /// <exception cref="ArgumentException">A string contains a NUL character.</exception>
        /// <exception cref="ArgumentOutOfRangeException">Timeout is negative or too large.</exception>
        /// <exception cref="UnauthorizedException">The service refused the credential (HTTP 401 or 403).</exception>
        /// <exception cref="RateLimitedException">Too many requests (HTTP 429); see <see cref="RateLimitedException.RetryAfter"/>.</exception>
        /// <exception cref="NoServerException">No game server has room or matches the tag (HTTP 503).</exception>
        /// <exception cref="TlsException">The certificate does not match the pin or the CA file, or the handshake failed.</exception>
        /// <exception cref="TokenFetchTimeoutException">No answer within the timeout.</exception>
        /// <exception cref="HttpException">Another HTTP status, a redirect, or an answer that is not a token.</exception>
        /// <exception cref="LightyearException">InvalidArgument (no Url or Credential, not https://, a malformed pin, pin and CaFile both set, an unreadable CaFile) or Socket (the service could not be reached).</exception>
        public static unsafe byte[] Fetch(TokenFetchOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            Library.EnsureLoaded();
            var e = options.Encode();
            var token = new byte[ConnectToken.Size];
            int rc;
            fixed (byte* url = e.Url)
            fixed (byte* cred = e.Credential)
            fixed (byte* pin = e.Pin)
            fixed (byte* ca = e.CaFile)
            fixed (byte* tag = e.Tag)
            fixed (byte* t = token)
            {
                Native.ly_token_fetch_options o;
                Fill(&o, e, url, cred, pin, ca, tag);
                rc = Native.ly_token_fetch(&o, t, (uint)token.Length);
            }
            Err.Check(rc, "ly_token_fetch");
            return token;
        }

        /// <summary>
        /// Fetches a connect token without holding a thread: a
        /// <see cref="TokenRequest"/> polled every <see cref="AsyncPollInterval"/>
        /// on timers (the network work runs on the library's own thread).
        /// Cancelling frees the request (the fetch is dropped) and ends the task
        /// as cancelled. The task fails with the exceptions of
        /// <see cref="Fetch(TokenFetchOptions)"/>; argument errors are thrown at once.
        /// </summary>
        /// <exception cref="ArgumentNullException">options is null.</exception>
        /// <exception cref="UnauthorizedException">(in the task) HTTP 401 or 403.</exception>
        /// <exception cref="RateLimitedException">(in the task) HTTP 429.</exception>
        /// <exception cref="NoServerException">(in the task) HTTP 503.</exception>
        /// <exception cref="TlsException">(in the task) the certificate or the handshake.</exception>
        /// <exception cref="TokenFetchTimeoutException">(in the task) no answer within the timeout.</exception>
        /// <exception cref="HttpException">(in the task) another HTTP failure.</exception>
        /// <exception cref="LightyearException">InvalidArgument at once (as Fetch); Socket in the task.</exception>
        public static Task<byte[]> FetchAsync(TokenFetchOptions options, CancellationToken cancellationToken = default(CancellationToken))
        {
            var request = TokenRequest.Start(options);
            return PollAsync(request, cancellationToken);
        }

        static async Task<byte[]> PollAsync(TokenRequest request, CancellationToken cancellationToken)
        {
            using (request)
            {
                while (!request.Poll())
                    await Task.Delay(AsyncPollInterval, cancellationToken).ConfigureAwait(false);
                return request.Token;
            }
        }

        internal static unsafe void Fill(Native.ly_token_fetch_options* o, TokenFetchOptions.Encoded e,
                                  byte* url, byte* cred, byte* pin, byte* ca, byte* tag)
        {
            Native.ly_token_fetch_options_defaults(o);
            o->url = url;
            o->credential = cred;
            o->pin_sha256 = pin;
            o->ca_file = ca;
            o->tag = tag;
            o->timeout_ms = e.TimeoutMs;
        }
    }

    /// <summary>
    /// A token fetch in progress (ly_token_request): started with
    /// <see cref="Start(TokenFetchOptions)"/>, it runs on the library's thread
    /// while the game loop calls <see cref="Poll"/>, which never waits on the
    /// network (call it once a frame from Unity's Update). Dispose it in any
    /// case: disposing a pending request cancels the fetch.
    /// <code>
    /// request = TokenRequest.Start(options);            // once
    /// if (request != null &amp;&amp; request.Poll())           // each frame
    /// { client = new Client(request.Token); request.Dispose(); request = null; }
    /// </code>
    /// </summary>
    public sealed unsafe class TokenRequest : IDisposable
    {
        readonly TokenRequestHandle handle;
        readonly int epoch;
        // Poll copies into this buffer, allocated once: polling while pending allocates nothing.
        readonly byte[] buffer = new byte[ConnectToken.Size];
        byte[] token;

        TokenRequest(TokenRequestHandle handle)
        {
            this.handle = handle;
            epoch = Library.Epoch;
        }

        /// <summary>
        /// Starts a fetch on the library's thread and returns at once
        /// (ly_token_request_start); the options are copied (the CaFile is read now).
        /// </summary>
        /// <exception cref="ArgumentNullException">options is null.</exception>
        /// <exception cref="ArgumentException">A string contains a NUL character.</exception>
        /// <exception cref="ArgumentOutOfRangeException">Timeout is negative or too large.</exception>
        /// <exception cref="LightyearException">InvalidArgument (as <see cref="TokenClient.Fetch(TokenFetchOptions)"/>), Internal (the handle table is full).</exception>
        public static TokenRequest Start(TokenFetchOptions options)
        {
            if (options == null)
                throw new ArgumentNullException("options");
            Library.EnsureLoaded();
            var e = options.Encode();
            TokenRequestHandle h;
            int rc;
            fixed (byte* url = e.Url)
            fixed (byte* cred = e.Credential)
            fixed (byte* pin = e.Pin)
            fixed (byte* ca = e.CaFile)
            fixed (byte* tag = e.Tag)
            {
                Native.ly_token_fetch_options o;
                TokenClient.Fill(&o, e, url, cred, pin, ca, tag);
                rc = Native.ly_token_request_start(&o, out h);
            }
            if (rc < 0)
            {
                string detail = Utf8.FromNative(Native.ly_last_error());
                if (h != null)
                    h.Dispose();
                Err.Throw(rc, "ly_token_request_start", detail, 0);
            }
            return new TokenRequest(h);
        }

        /// <summary>
        /// True once the token is there (then in <see cref="Token"/>), false
        /// while the fetch goes on; never waits on the network. A failed fetch
        /// throws its exception here, and again on every later Poll.
        /// </summary>
        /// <exception cref="ObjectDisposedException">Disposed, or destroyed by Library.Shutdown.</exception>
        /// <exception cref="UnauthorizedException">HTTP 401 or 403.</exception>
        /// <exception cref="RateLimitedException">HTTP 429; see <see cref="RateLimitedException.RetryAfter"/>.</exception>
        /// <exception cref="NoServerException">HTTP 503: no game server has room or matches the tag.</exception>
        /// <exception cref="TlsException">The certificate does not match the pin or the CA file, or the handshake failed.</exception>
        /// <exception cref="TokenFetchTimeoutException">No answer within the timeout.</exception>
        /// <exception cref="HttpException">Another HTTP status, a redirect, or an answer that is not a token.</exception>
        /// <exception cref="LightyearException">Socket: the service could not be reached.</exception>
        public bool Poll()
        {
            if (token != null)
                return true;
            int rc;
            fixed (byte* b = buffer)
                rc = Native.ly_token_request_poll(Handle(), b, (uint)buffer.Length);
            if (rc == Native.LY_TOKEN_PENDING)
                return false;
            if (rc < 0)
                Fail(rc);
            token = (byte[])buffer.Clone();
            return true;
        }

        /// <summary>The token once <see cref="Poll"/> returned true (a new array each request, yours to keep); null before.</summary>
        public byte[] Token { get { return token; } }

        /// <summary>True once Dispose ran (or Library.Shutdown destroyed the request).</summary>
        public bool IsDisposed { get { return handle.IsClosed || epoch != Library.Epoch; } }

        /// <summary>Cancels the fetch if it is still going on and frees the request. Safe to call twice.</summary>
        public void Dispose()
        {
            handle.Dispose();
        }

        IntPtr Handle()
        {
            if (handle.IsClosed)
                Err.Disposed("TokenRequest");
            if (epoch != Library.Epoch)
                Err.DisposedByShutdown("TokenRequest");
            return handle.DangerousGetHandle();
        }

        // An instance method, so this object (and its handle) stays alive until the call returned.
        void Fail(int rc)
        {
            if (rc == (int)ErrorCode.InvalidHandle)
            {
                if (handle.IsClosed)
                    Err.Disposed("TokenRequest");
                if (epoch != Library.Epoch)
                    Err.DisposedByShutdown("TokenRequest");
            }
            Err.Throw(rc, "ly_token_request_poll", 0);
        }
    }

    /// <summary>
    /// A token fetch failed at the token service or on the way to it (codes
    /// Unauthorized, RateLimited, NoServer, Tls, Timeout, Http). The base of
    /// one exception type per code; catch this one for all of them.
    /// </summary>
    public class TokenFetchException : LightyearException
    {
        static readonly Regex StatusPattern = new Regex(@"\bHTTP (\d{3})\b");

        /// <summary>The HTTP status the service answered (401, 429, 503, ...), or 0 if none came (TLS, timeout).</summary>
        public int HttpStatus { get; private set; }

        public TokenFetchException(ErrorCode code, string function, string nativeMessage)
            : base(code, function, nativeMessage)
        {
            var m = StatusPattern.Match(nativeMessage ?? "");
            HttpStatus = m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        }

        /// <summary>The exception type for a fetch error code, or null for codes that are not fetch failures.</summary>
        internal static LightyearException For(int rc, string function, string detail)
        {
            switch ((ErrorCode)rc)
            {
                case ErrorCode.Unauthorized: return new UnauthorizedException(function, detail);
                case ErrorCode.RateLimited: return new RateLimitedException(function, detail);
                case ErrorCode.NoServer: return new NoServerException(function, detail);
                case ErrorCode.Tls: return new TlsException(function, detail);
                case ErrorCode.Timeout: return new TokenFetchTimeoutException(function, detail);
                case ErrorCode.Http: return new HttpException(function, detail);
                default: return null;
            }
        }
    }

    /// <summary>The token service refused the credential (<see cref="ErrorCode.Unauthorized"/>: HTTP 401 or 403). Get a fresh credential; retrying the same one will not help.</summary>
    public sealed class UnauthorizedException : TokenFetchException
    {
        public UnauthorizedException(string function, string nativeMessage)
            : base(ErrorCode.Unauthorized, function, nativeMessage) { }
    }

    /// <summary>The token service's rate limit (<see cref="ErrorCode.RateLimited"/>: HTTP 429). Wait <see cref="RetryAfter"/> before asking again.</summary>
    public sealed class RateLimitedException : TokenFetchException
    {
        static readonly Regex RetryPattern = new Regex(@"\(retry after (\d+) s\)");

        /// <summary>How long the service asked to wait (its Retry-After), or null if it did not say.</summary>
        public TimeSpan? RetryAfter { get; private set; }

        public RateLimitedException(string function, string nativeMessage)
            : base(ErrorCode.RateLimited, function, nativeMessage)
        {
            var m = RetryPattern.Match(nativeMessage ?? "");
            long s;
            if (m.Success && long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out s))
                RetryAfter = TimeSpan.FromSeconds(s);
        }
    }

    /// <summary>No game server has room, or none matches the tag (<see cref="ErrorCode.NoServer"/>: HTTP 503).</summary>
    public sealed class NoServerException : TokenFetchException
    {
        public NoServerException(string function, string nativeMessage)
            : base(ErrorCode.NoServer, function, nativeMessage) { }
    }

    /// <summary>The TLS handshake failed (<see cref="ErrorCode.Tls"/>): the certificate does not match the pinned fingerprint, no trusted CA vouches for it, or the handshake broke.</summary>
    public sealed class TlsException : TokenFetchException
    {
        public TlsException(string function, string nativeMessage)
            : base(ErrorCode.Tls, function, nativeMessage) { }
    }

    /// <summary>No answer within <see cref="TokenFetchOptions.Timeout"/> (<see cref="ErrorCode.Timeout"/>).</summary>
    public sealed class TokenFetchTimeoutException : TokenFetchException
    {
        public TokenFetchTimeoutException(string function, string nativeMessage)
            : base(ErrorCode.Timeout, function, nativeMessage) { }
    }

    /// <summary>Any other HTTP status (in <see cref="TokenFetchException.HttpStatus"/>), a redirect, or an answer that is not a connect token (<see cref="ErrorCode.Http"/>).</summary>
    public sealed class HttpException : TokenFetchException
    {
        public HttpException(string function, string nativeMessage)
            : base(ErrorCode.Http, function, nativeMessage) { }
    }
}
