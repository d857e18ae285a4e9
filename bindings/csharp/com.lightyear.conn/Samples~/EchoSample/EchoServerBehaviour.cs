// EchoServerBehaviour.cs - an echo server in a scene: binds the address,
// accepts netcode.io clients (and, in host mode, a local player in this
// process), and sends every payload back to its sender.
//
// Everything runs on Unity's main thread from Update(): the server is
// updated with Time.deltaTime, then its events are drained in batches. No
// garbage is made per payload: events land in a preallocated array and
// payloads in the server's reusable buffer.
using Lightyear.Conn;
using UnityEngine;

namespace Lightyear.Conn.Samples
{
    public sealed class EchoServerBehaviour : MonoBehaviour
    {
        [Tooltip("Addresses to bind, separated by spaces (\"[::]:40000\" is dual-stack).")]
        [SerializeField] string bindAddresses = "127.0.0.1:40000";

        [Tooltip("Protocol id as hex; clients' tokens must carry the same.")]
        [SerializeField] string protocolIdHex = EchoSampleSettings.ProtocolIdHex;

        [Tooltip("The 32-byte private key shared with the token backend, as 64 hex digits. Never ship a real key in a client build.")]
        [SerializeField] string privateKeyHex = EchoSampleSettings.DevKeyHex;

        [Tooltip("Also connect a local (in-process) player, as a host would.")]
        [SerializeField] bool hostLocalPlayer = true;

        Server server;
        Client hostPlayer;
        readonly ServerEvent[] events = new ServerEvent[64];
        readonly byte[] hostBuffer = new byte[Library.MaxPayloadSize];
        readonly byte[] hostPing = new byte[16];
        float nextHostPing;
        long echoed;

        public Server Server { get { return server; } }

        void Start()
        {
            // Throws DllNotFoundException (no plugin for this platform) or
            // LightyearVersionException (plugin and binding from different releases).
            Library.EnsureLoaded();
            server = new Server(new ServerConfig
            {
                ProtocolId = System.Convert.ToUInt64(protocolIdHex, 16),
                PrivateKey = Keys.FromHex(privateKeyHex),
                BindAddresses = bindAddresses,
            });
            server.Start();
            foreach (var address in server.Addresses)
                Debug.Log("[echo server] listening on " + address);
            if (hostLocalPlayer)
                hostPlayer = server.ConnectLocal(1);
        }

        void Update()
        {
            if (server == null)
                return;
            server.Update(Time.deltaTime);

            int n;
            while ((n = server.PollEvents(events)) > 0)
            {
                for (int i = 0; i < n; i++)
                {
                    switch (events[i].Type)
                    {
                        case ServerEventType.Connected:
                            Debug.Log("[echo server] " + events[i].ClientId + " connected from " + AddressOf(events[i].ClientId));
                            break;
                        case ServerEventType.Disconnected:
                            Debug.Log("[echo server] " + events[i].ClientId + " disconnected: " + Library.Describe(events[i].Reason));
                            break;
                        case ServerEventType.Payload:
                            // The payload is in server.PayloadBuffer until the next poll: echo it from there, no copy.
                            server.Send(events[i].ClientId, server.GetPayload(events[i]));
                            echoed++;
                            break;
                    }
                }
            }

            if (hostPlayer != null)
                UpdateHostPlayer();
        }

        void UpdateHostPlayer()
        {
            hostPlayer.Update(Time.deltaTime);
            if (hostPlayer.IsConnected && Time.time >= nextHostPing)
            {
                nextHostPing = Time.time + 1f;
                hostPing[0] = 1;
                hostPlayer.Send(hostPing, 0, hostPing.Length);
            }
            int length;
            while (hostPlayer.Receive(hostBuffer, out length))
            {
                // The local player's payloads come back through memory, in the same frame or the next.
            }
        }

        string AddressOf(ClientId id)
        {
            return id.Kind == ClientKind.Local ? "this process" : server.GetClientAddress(id);
        }

        void OnDestroy()
        {
            // Dispose tells connected clients right away; Library.Shutdown (run when
            // play stops) would also clean up, and a forgotten object is freed by its finalizer.
            if (hostPlayer != null)
                hostPlayer.Dispose();
            if (server != null)
            {
                Debug.Log("[echo server] stopping after " + echoed + " echoes; " + server.Stats);
                server.Dispose();
            }
        }
    }
}
