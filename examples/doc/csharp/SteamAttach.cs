// The Steamworks.NET code of bindings/csharp/README.md (scripts/check-doc-snippets.sh checks that the two agree and
// compiles this file against the binding).
using System;
using Lightyear.Conn;

static class SteamAttachSnippet
{

    static void Run()
    {
        // doc-snippet: begin
        // Steamworks.NET's SteamManager.Awake() ran SteamAPI.Init() successfully:
        Steam.Open(new SteamConfig { Flavour = SteamFlavour.Steamworks, Init = SteamInitMode.AttachClient });
        // doc-snippet: end
    }
}
