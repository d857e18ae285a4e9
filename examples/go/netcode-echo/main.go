// Command netcode-echo runs a netcode.io server and client in one process
// over UDP loopback: the client connects with a token from a simulated
// backend, sends payloads that the server echoes, and the program prints
// the handshake steps and the packet rate, then exits.
package main

import (
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "server address (use [::1]:0 for IPv6)")
	duration := flag.Duration("duration", 2*time.Second, "how long to exchange payloads")
	size := flag.Int("size", 100, "payload size in bytes (1..1200)")
	burst := flag.Int("burst", 32, "payloads the client sends per tick")
	flag.Parse()
	if err := run(netip.MustParseAddrPort(*addr), *duration, *size, *burst); err != nil {
		fmt.Fprintln(os.Stderr, "netcode-echo:", err)
		os.Exit(1)
	}
}

const protocolID = 0x6c69676874796561 // "lightyea"

func run(addr netip.AddrPort, duration time.Duration, size, burst int) error {
	key, err := netcode.GenerateKey()
	if err != nil {
		return err
	}
	server, err := netcode.NewServer(netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key, Addresses: []netip.AddrPort{addr}})
	if err != nil {
		return err
	}
	if err := server.Start(); err != nil {
		return err
	}
	defer server.Stop()
	fmt.Printf("server: listening on %v\n", server.LocalAddrs()[0])

	// What a backend does: a token for client 42, valid 30 s, 5 s timeout.
	token, err := netcode.GenerateConnectToken(netcode.TokenParams{
		ProtocolID: protocolID, ClientID: 42, PrivateKey: key,
		PublicAddresses: server.PublicAddresses(), ExpireSeconds: 30, TimeoutSeconds: 5,
	})
	if err != nil {
		return err
	}
	tokenBytes, err := token.MarshalBinary()
	if err != nil {
		return err
	}
	fmt.Printf("backend: issued a %d-byte connect token for client 42\n", len(tokenBytes))

	client := netcode.NewClient(tokenBytes, netcode.ClientConfig{ClientID: 42})
	defer client.Close()
	if err := client.Connect(); err != nil {
		return err
	}

	clock := newTicker()
	state := client.State()
	fmt.Printf("client: %v\n", state)
	for client.State() != core.StateConnected {
		dt := clock.tick()
		if err := client.Update(dt); err != nil {
			return err
		}
		if err := server.Update(dt); err != nil {
			return err
		}
		if s := client.State(); s != state {
			state = s
			fmt.Printf("client: %v\n", s)
			if s.IsError() {
				return fmt.Errorf("connection failed: %v", client.DisconnectReason())
			}
		}
		var ev core.Event
		for server.PollEvent(&ev) {
			fmt.Printf("server: %v %v\n", ev.Type, ev.Client)
		}
		time.Sleep(time.Millisecond)
	}

	payload := make([]byte, size)
	var sent, echoed, received int
	start := time.Now()
	for time.Since(start) < duration {
		for i := 0; i < burst; i++ {
			payload[0] = byte(sent)
			if err := client.Send(payload); err != nil {
				return err
			}
			sent++
		}
		dt := clock.tick()
		if err := server.Update(dt); err != nil {
			return err
		}
		var ev core.Event
		for server.PollEvent(&ev) {
			if ev.Type == core.EventPayload {
				if err := server.Send(ev.Client, ev.Payload); err != nil {
					return err
				}
				echoed++
			}
		}
		if err := client.Update(dt); err != nil {
			return err
		}
		for {
			if _, ok := client.Receive(); !ok {
				break
			}
			received++
		}
	}
	elapsed := time.Since(start).Seconds()
	fmt.Printf("exchange: %d-byte payloads for %.1f s: client sent %d, server echoed %d, client received %d\n",
		size, elapsed, sent, echoed, received)
	fmt.Printf("rate: %.0f packets/s each way (%.0f packets/s in all)\n", float64(echoed)/elapsed, float64(echoed+received)/elapsed)

	if err := client.Disconnect(); err != nil {
		return err
	}
	time.Sleep(time.Millisecond)
	if err := server.Update(clock.tick()); err != nil {
		return err
	}
	var ev core.Event
	for server.PollEvent(&ev) {
		if ev.Type == core.EventDisconnected {
			fmt.Printf("server: %v %v (%v)\n", ev.Type, ev.Client, ev.Reason)
		}
	}
	if received == 0 {
		return fmt.Errorf("no payload came back")
	}
	return nil
}

// ticker hands out the real time elapsed since the last tick, as a game
// loop would pass to Update.
type ticker struct{ last time.Time }

func newTicker() *ticker { return &ticker{last: time.Now()} }

func (t *ticker) tick() time.Duration {
	now := time.Now()
	dt := now.Sub(t.last)
	t.last = now
	return dt
}
