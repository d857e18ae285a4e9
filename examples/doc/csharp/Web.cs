// The browser code of bindings/csharp/README.md (scripts/check-doc-snippets.sh checks that the two agree and
// compiles this file against the binding).
using System;
using Lightyear.Conn;

class WebSnippet
{
    ulong protocolId = 0x1234;
    byte[] key = Keys.Generate();
    Server server;

    void Serve()
    {
        // doc-snippet: begin
        // UDP for native clients, WebTransport and WebSocket (TLS) for browsers: one server, one netcode.
        var config = new ServerConfig
        {
            ProtocolId = protocolId,
            PrivateKey = key,
            BindAddresses = "udp://0.0.0.0:40000?public=203.0.113.5:40000," +
                            "wt://0.0.0.0:4433?public=203.0.113.5:4433," +
                            "wss://0.0.0.0:443?public=203.0.113.5:443",
            WebOptions = new WebOptions
            {
                CertFile = "fullchain.pem", KeyFile = "privkey.pem",   // wss:// needs them; wt:// self-signs without
                AllowedOrigins = "https://game.example.com",
                Path = "/netcode",
                IdleTimeout = TimeSpan.FromSeconds(10),
            },
        };
        server = new Server(config);   // bad options: ArgumentOutOfRangeException or LightyearException (InvalidArgument)
        server.Start();
        // doc-snippet: end
    }

    void PerPage()
    {
        // doc-snippet: begin

        // wt:// without CertFile: hand the page these (SHA-256, newest first) with its token,
        // for WebTransport's serverCertificateHashes. They change: fetch them fresh per page.
        byte[][] hashes = server.WebCertHashes;
        server.RotateWebCert();        // a key may have leaked: a new certificate now, the old hash kept

        WebStats stats = server.WebStats;   // sessions, refusals, closes and drops, by reason
        if (stats.RefusedOrigin > 0) { /* a page from an origin not in AllowedOrigins */ }
        // doc-snippet: end
        GC.KeepAlive(hashes);
    }
}
