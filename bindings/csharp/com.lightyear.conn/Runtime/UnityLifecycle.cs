// UnityLifecycle.cs - in Unity only: calls Library.Shutdown when play stops.
//
// A Go shared library can never be unloaded and the Editor keeps native
// plugins loaded across Play-mode runs, so servers, clients, sockets and the
// library's threads of one run would live on into edit mode and the next
// run. Application.quitting is raised when a player quits and when the
// Editor exits Play mode. Set Library.ShutdownOnQuit = false to do it
// yourself. Outside Unity this file compiles to nothing.
#if UNITY_5_3_OR_NEWER
using UnityEngine;

namespace Lightyear.Conn
{
    internal static class UnityLifecycle
    {
        [RuntimeInitializeOnLoadMethod(RuntimeInitializeLoadType.SubsystemRegistration)]
        static void Register()
        {
            // Registered once per domain; with domain reload disabled the
            // handler is removed first so it never runs twice.
            Application.quitting -= OnQuitting;
            Application.quitting += OnQuitting;
        }

        static void OnQuitting()
        {
            if (Library.ShutdownOnQuit && Library.IsLoaded)
                Library.Shutdown();
        }
    }
}
#endif
