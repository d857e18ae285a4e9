// doc-snippet: begin
using System;
using Lightyear.Conn;
using UnityEngine;

public class EchoNet : MonoBehaviour
{
    Server server;
    Client client, host;
    readonly ServerEvent[] events = new ServerEvent[64];          // allocate once
    readonly byte[] buffer = new byte[Library.MaxPayloadSize];    // 1200 bytes always fits

    void Start()
    {
        // --- the backend (a web service): keys and connect tokens -----------
        byte[] key = Keys.Generate();                 // shared by servers and backend, 32 bytes
        byte[] token = ConnectToken.Generate(new ConnectTokenParams {
            ProtocolId = 0x1234, ClientId = 42, PrivateKey = key,
            PublicAddresses = "203.0.113.5:40000",    // 1..32, tried in order
            UserData = playerInfo,                     // up to 256 bytes the server sees
        });                                            // 2048 bytes: send it over HTTPS

        // --- the server -----------------------------------------------------
        server = new Server(new ServerConfig {
            ProtocolId = 0x1234, PrivateKey = key, BindAddresses = "0.0.0.0:40000", MaxClients = 64 });
        server.Start();

        // --- a client -------------------------------------------------------
        client = new Client(token);
        client.Connect();

        // --- host mode: the host's own player, through memory --------------
        host = server.ConnectLocal(1);                 // ClientId.Local(1), connected now (the server runs)

        // --- testing under bad network conditions ----------------------------
        var poor = ConditionerConfig.Poor;             // also Good, Average, Off
        poor.Seed = 7;                                 // reproducible with the same dt steps
        server.SetConditioner(poor, poor);             // send, receive; null turns a side off
    }

    void Update()
    {
        double dt = Time.deltaTime;                    // seconds; Update(double) takes it
        ServerUpdate(dt);
        ClientUpdate(dt);
    }

    void ServerUpdate(double dt)
    {
        server.Update(dt);
        int n;
        while ((n = server.PollEvents(events)) > 0)
            for (int i = 0; i < n; i++)
            {
                ref readonly ServerEvent ev = ref events[i];
                switch (ev.Type)
                {
                    case ServerEventType.Connected:    OnJoin(ev.ClientId); break;
                    case ServerEventType.Disconnected: OnLeave(ev.ClientId, ev.Reason); break;
                    case ServerEventType.Payload:
                        ReadOnlySpan<byte> payload = server.GetPayload(ev);   // no copy; valid until the next poll
                        server.Send(ev.ClientId, payload);                    // echo
                        break;
                }
            }
        Debug.Log(server.Stats);                       // ConnectionStats: packets, bytes, drops by cause
        Debug.Log(server.ClientStats(ClientId.Netcode(42)));
    }

    void ClientUpdate(double dt)
    {
        client.Update(dt);
        if (client.State == ClientState.Connected)
            client.Send(input, 0, inputLength);
        while (client.Receive(buffer, out int length))
            Handle(buffer, length);
        if (client.State < ClientState.Disconnected)   // negative: how it ended
            Debug.Log(Library.Describe(client.DisconnectReason));
    }

    void OnDestroy()
    {
        server.Dispose(); client.Dispose(); host.Dispose();
    }
// doc-snippet: end

    // The game's own, left out of the README.
    byte[] playerInfo = new byte[0], input = new byte[1];
    int inputLength = 1;
    void OnJoin(ClientId id) { }
    void OnLeave(ClientId id, DisconnectReason reason) { }
    void Handle(byte[] data, int length) { }
// doc-snippet: begin
}
// doc-snippet: end
