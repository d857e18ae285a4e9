// The program of README.md, "Using the Go API" (scripts/check-doc-snippets.sh
// checks that the two agree and builds it in a module of its own).
package main

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

func main() {
	key, _ := netcode.GenerateKey() // shared by your backend and your servers

	server, _ := netcode.NewServer(netcode.ServerConfig{
		ProtocolID: 0x1234, PrivateKey: key,
		Addresses:  []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:40000")},
		MaxClients: 256,
	})
	server.Start()

	// Backend: one token per client, handed over TLS.
	token, _ := netcode.GenerateConnectToken(netcode.TokenParams{
		ProtocolID: 0x1234, ClientID: 42, PrivateKey: key,
		PublicAddresses: server.PublicAddresses(), ExpireSeconds: 30, TimeoutSeconds: 5,
	})
	tokenBytes, _ := token.MarshalBinary()

	client := netcode.NewClient(tokenBytes, netcode.ClientConfig{})
	client.Connect()

	// Game loop: time is yours; nothing happens between Updates.
	const dt = time.Second / 60 // Update takes a time.Duration
	for echoes := 0; echoes < 10; time.Sleep(dt) {
		client.Update(dt)
		server.Update(dt)
		var ev core.Event
		for server.PollEvent(&ev) {
			switch ev.Type { // also EventDisconnected (ev.Reason), EventWarning
			case core.EventConnected:
				fmt.Println("connected:", ev.Client)
			case core.EventPayload:
				server.Send(ev.Client, ev.Payload) // echo
			}
		}
		for p, ok := client.Receive(); ok; p, ok = client.Receive() {
			fmt.Printf("echo: %s\n", p)
			echoes++
		}
		if client.State() == core.StateConnected {
			client.Send([]byte("hello"))
		}
	}
}
