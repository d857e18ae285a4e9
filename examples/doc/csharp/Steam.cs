// The Steam code of bindings/csharp/README.md (scripts/check-doc-snippets.sh checks that the two agree and
// compiles this file against the binding).
using System;
using Lightyear.Conn;

static class SteamSnippet
{
    static Server server;
    static ulong hostSteamId = 76561197960287930;   // a SteamID64

    static void Run()
    {
        // doc-snippet: begin
        // once, at start-up (one Steam library per process)
        Steam.Open(new SteamConfig { AppId = 480 });                  // Flavour Auto, Init Client: Steam initialised here

        // the host: netcode on UDP and Steam on one server, one event stream
        server.AddSteam(SteamServerConfig.P2P(0));                    // or SteamServerConfig.IP("0.0.0.0:27015")
        // ... events[i].ClientId.Kind == ClientKind.Steam, events[i].ClientId.Id == the player's SteamID64

        // a player: a Client like any other
        Client client = Client.CreateSteam(SteamClientConfig.P2P(hostSteamId, 0));   // or .IP("203.0.113.5:27015")
        client.Connect();
        // Update / Send / Receive / State / Disconnect as with a netcode client

        Steam.Close();                                                // or Library.Shutdown(), which closes Steam too
        // doc-snippet: end
    }
}
