// The token-fetch code of bindings/csharp/README.md (scripts/check-doc-snippets.sh checks that the two agree and
// compiles this file against the binding).
using System;
using Lightyear.Conn;

class TokenFetchSnippet
{
    Server server;
    Client client;
    TokenRequest request;
    public TimeSpan retryAfter;   // public: read by the rest of the game
    static void Log(int status, string message) { }
    string jwt = "<the player's credential from your login>";

    void Register()
    {
        // doc-snippet: begin
        // A game server lists itself in the fleet the token service reads (after Start):
        server.RegisterWithFleet(new FleetConfig("127.0.0.1:6379") { Tags = "eu" });
        // server.FleetStatus: Pending, Registered, Failing (FleetError says why)
        // doc-snippet: end
    }

    // doc-snippet: begin

    // A player's game: start the fetch once, poll it from Update (never blocks a frame).
    void StartFetch()
    {
        var options = new TokenFetchOptions("https://tokens.example.com:8443", jwt)
        {
            PinSha256 = "5e1f...",                    // what `lytokens -dev` prints; or CaFile = "ca.pem"
            Tag = "eu",
            Timeout = TimeSpan.FromSeconds(5),
        };
        request = TokenRequest.Start(options);
    }

    void Update()
    {
        if (request == null)
            return;
        try
        {
            if (!request.Poll())
                return;                                // still fetching: poll again next frame
            client = new Client(request.Token);
            client.Connect();
        }
        catch (UnauthorizedException) { /* 401/403: log in again */ }
        catch (RateLimitedException e) { retryAfter = e.RetryAfter ?? TimeSpan.FromSeconds(5); }
        catch (NoServerException) { /* 503: every server is full; try again later */ }
        catch (TokenFetchException e) { Log(e.HttpStatus, e.Message); /* Tls, Timeout, Http */ }
        request.Dispose();                             // done either way
        request = null;
    }
    // Off the game loop: byte[] token = TokenClient.Fetch(options); or await TokenClient.FetchAsync(options).
    // doc-snippet: end
}
