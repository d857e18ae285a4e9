// Command echoserver is the Go side of bindings/web's live test: a
// netcode server on 127.0.0.1 that echoes every payload, driven by lines
// on standard input and reporting on standard output, one line each:
//
//	stdin  "token"       -> "token <hex of a 2048-byte connect token>"
//	stdin  "disconnect"  -> disconnects every client -> "disconnected-all <n>"
//	stdout "ready <addr>", "connected <id>", "disconnected <id> <reason>"
//
// It exits when standard input closes, so it never outlives the test.
package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
)

const protocolID = 0x6c69676874796561

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "UDP address to listen on")
	timeout := flag.Int("timeout", 2, "connection timeout in the tokens, seconds")
	flag.Parse()
	if err := run(netip.MustParseAddrPort(*addr), int32(*timeout)); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

func run(addr netip.AddrPort, timeout int32) error {
	key, err := netcode.GenerateKey()
	if err != nil {
		return err
	}
	srv, err := netcode.NewServer(netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key, Addresses: []netip.AddrPort{addr}, MaxClients: 8})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Stop()
	out := bufio.NewWriter(os.Stdout)
	say := func(format string, args ...any) {
		fmt.Fprintf(out, format+"\n", args...)
		out.Flush()
	}
	say("ready %v", srv.LocalAddrs()[0])

	commands := make(chan string)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			commands <- in.Text()
		}
		close(commands)
	}()

	var nextID uint64 = 1
	last := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case cmd, ok := <-commands:
			if !ok {
				return nil
			}
			switch cmd {
			case "token":
				tok, err := netcode.GenerateConnectToken(netcode.TokenParams{
					ProtocolID: protocolID, ClientID: nextID, PrivateKey: key,
					PublicAddresses: srv.PublicAddresses(), ExpireSeconds: 30, TimeoutSeconds: timeout,
				})
				if err != nil {
					return err
				}
				nextID++
				b, err := tok.MarshalBinary()
				if err != nil {
					return err
				}
				say("token %s", hex.EncodeToString(b))
			case "disconnect":
				n := srv.NumConnected()
				if err := srv.DisconnectAll(); err != nil {
					return err
				}
				say("disconnected-all %d", n)
			default:
				say("error unknown command %q", cmd)
			}
		case now := <-tick.C:
			dt := now.Sub(last)
			last = now
			// A failed read is reported, not fatal: the test's failure
			// message then shows it beside the client's state.
			if err := srv.Update(dt); err != nil {
				say("error update: %v", err)
			}
			var ev core.Event
			for srv.PollEvent(&ev) {
				switch ev.Type {
				case core.EventConnected:
					say("connected %v", ev.Client)
				case core.EventDisconnected:
					say("disconnected %v %v", ev.Client, ev.Reason)
				case core.EventPayload:
					if err := srv.Send(ev.Client, ev.Payload); err != nil {
						say("error send: %v", err)
					}
				}
			}
		}
	}
}
