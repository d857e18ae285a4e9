// EchoClientBehaviour.cs - a client that connects to the echo server,
// sends a timestamped ping every half second and logs the round-trip time.
//
// A real game gets its connect token from its backend over HTTPS (the
// backend makes it with ConnectToken.Generate and the private key it shares
// with the servers). To stay self-contained this sample makes the token
// itself from the development key: never put a real private key in a
// client build.
using Lightyear.Conn;
using UnityEngine;

namespace Lightyear.Conn.Samples
{
    public sealed class EchoClientBehaviour : MonoBehaviour
    {
        [SerializeField] string serverAddress = "127.0.0.1:40000";
        [SerializeField] string protocolIdHex = EchoSampleSettings.ProtocolIdHex;
        [SerializeField] string privateKeyHex = EchoSampleSettings.DevKeyHex;
        [SerializeField] int clientId = 1000;
        [SerializeField] float pingInterval = 0.5f;

        [Tooltip("Simulate a bad network on this client (link conditioner).")]
        [SerializeField] ConditionerPreset conditioner = ConditionerPreset.Off;

        Client client;
        ClientState lastState;
        float nextPing;
        readonly byte[] ping = new byte[8];
        readonly byte[] receive = new byte[Library.MaxPayloadSize];

        void Start()
        {
            byte[] token = ConnectToken.Generate(new ConnectTokenParams
            {
                ProtocolId = System.Convert.ToUInt64(protocolIdHex, 16),
                ClientId = (ulong)clientId,
                PrivateKey = Keys.FromHex(privateKeyHex), // the backend's job in a real game
                PublicAddresses = serverAddress,
            });
            client = new Client(token, new ClientConfig { ClientId = (ulong)clientId });
            if (conditioner != ConditionerPreset.Off)
            {
                var c = ConditionerConfig.FromPreset(conditioner);
                client.SetConditioner(c, c);
            }
            client.Connect();
            lastState = client.State;
        }

        void Update()
        {
            if (client == null)
                return;
            client.Update(Time.deltaTime);

            var state = client.State;
            if (state != lastState)
            {
                Debug.Log("[echo client] " + Library.Describe(state) +
                          (state < ClientState.Disconnected ? " (" + Library.Describe(client.DisconnectReason) + ")" : ""));
                lastState = state;
            }
            if (state != ClientState.Connected)
                return;

            if (Time.realtimeSinceStartup >= nextPing)
            {
                nextPing = Time.realtimeSinceStartup + pingInterval;
                long micros = (long)(Time.realtimeSinceStartup * 1e6);
                for (int i = 0; i < 8; i++)
                    ping[i] = (byte)(micros >> (8 * i));
                client.Send(ping, 0, ping.Length);
            }

            int length;
            while (client.Receive(receive, out length))
            {
                if (length != 8)
                    continue;
                long sent = 0;
                for (int i = 0; i < 8; i++)
                    sent |= (long)receive[i] << (8 * i);
                double rttMs = (Time.realtimeSinceStartup * 1e6 - sent) / 1000.0;
                Debug.Log("[echo client] round trip " + rttMs.ToString("F1") + " ms");
            }
        }

        void OnDestroy()
        {
            if (client != null)
                client.Dispose(); // disconnects, telling the server
        }
    }

    static class EchoSampleSettings
    {
        // "ly_echo\0" and the development key of the C examples: this sample
        // talks to examples/c/echo_server and accepts examples/c/echo_client.
        public const string ProtocolIdHex = "6c795f6563686f00";
        public const string DevKeyHex = "6c69676874796561725f636f6e6e20646576206b65792c206e6f742070726f64";
    }
}
