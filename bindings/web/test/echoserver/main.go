// Command echoserver is the Go side of bindings/web's live tests: one
// netcode server on 127.0.0.1 with the transports asked for (UDP, and the
// real WebSocket and WebTransport listeners of core/web), echoing every
// payload, driven by lines on standard input and reporting on standard
// output, one line each:
//
//	stdin  "token [udp|ws|wt]" -> "token <hex of a 2048-byte connect token>"
//	                              (naming that transport only; all without)
//	stdin  "disconnect"        -> disconnects every client -> "disconnected-all <n>"
//	stdin  "pause", "resume"   -> the server stops (restarts) updating: no
//	                              packet is read or sent, so clients time
//	                              out while their sessions stay open -> "paused", "resumed"
//	stdin  "stats"             -> "stats <JSON of each web listener's session.Stats>"
//	stdout "listen <udp|ws|wt> <addr>", then "ready <udp addr or ->"
//	stdout "connected <id>", "disconnected <id> <reason>"
//
// With -wt, the WebSocket listener also serves GET /cert-hash (the
// WebTransport certificate's hashes, webcert's JSON), as a page's own
// server would. It exits when standard input closes, so it never outlives
// the test.
package main

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/web"
	"github.com/lightyear-conn/lightyear_conn/core/web/session"
)

const protocolID = 0x6c69676874796561

func main() {
	udp := flag.String("addr", "127.0.0.1:0", "UDP address to listen on (empty: none)")
	ws := flag.String("ws", "", "WebSocket address (loopback; empty: none)")
	wt := flag.String("wt", "", "WebTransport address (self-signed certificate; empty: none)")
	timeout := flag.Int("timeout", 2, "connection timeout in the tokens, seconds")
	flag.Parse()
	if err := run(*udp, *ws, *wt, int32(*timeout)); err != nil {
		fmt.Fprintln(os.Stderr, "echoserver:", err)
		os.Exit(1)
	}
}

func run(udp, ws, wt string, timeout int32) error {
	key, err := netcode.GenerateKey()
	if err != nil {
		return err
	}
	cfg := netcode.ServerConfig{ProtocolID: protocolID, PrivateKey: key, MaxClients: 8}
	if udp != "" {
		cfg.Addresses = []netip.AddrPort{netip.MustParseAddrPort(udp)}
	}
	eps := map[string]*web.Endpoint{}
	if wt != "" {
		if eps["wt"], err = web.NewEndpoint("wt://"+wt, web.Options{}); err != nil {
			return err
		}
	}
	if ws != "" {
		var opts web.Options
		if e := eps["wt"]; e != nil {
			opts.Handlers = map[string]http.Handler{"GET /cert-hash": e.Certs().Handler()}
		}
		if eps["ws"], err = web.NewEndpoint("ws://"+ws, opts); err != nil {
			return err
		}
	}
	for _, k := range []string{"ws", "wt"} {
		if e := eps[k]; e != nil {
			cfg.Listeners = append(cfg.Listeners, e.Listener())
		}
	}
	srv, err := netcode.NewServer(cfg)
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
	// Each transport's public address, for tokens naming one transport.
	addrs := map[string]netip.AddrPort{}
	ready := "-"
	if udp != "" {
		addrs["udp"] = srv.LocalAddrs()[0]
		ready = addrs["udp"].String()
		say("listen udp %v", addrs["udp"])
	}
	for _, k := range []string{"ws", "wt"} {
		if e := eps[k]; e != nil {
			addrs[k] = e.LocalAddr()
			say("listen %s %v", k, addrs[k])
		}
	}
	say("ready %s", ready)

	commands := make(chan string)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			commands <- in.Text()
		}
		close(commands)
	}()

	var nextID uint64 = 1
	paused := false
	last := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case line, ok := <-commands:
			if !ok {
				return nil
			}
			cmd, arg, _ := strings.Cut(line, " ")
			switch cmd {
			case "token":
				public := srv.PublicAddresses()
				if arg != "" {
					ap, ok := addrs[arg]
					if !ok {
						say("error no %q transport", arg)
						continue
					}
					public = []netip.AddrPort{ap}
				}
				tok, err := netcode.GenerateConnectToken(netcode.TokenParams{
					ProtocolID: protocolID, ClientID: nextID, PrivateKey: key,
					PublicAddresses: public, ExpireSeconds: 30, TimeoutSeconds: timeout,
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
			case "pause", "resume":
				paused = cmd == "pause"
				say("%sd", cmd)
			case "stats":
				st := map[string]session.Stats{}
				for k, e := range eps {
					st[k] = e.Stats()
				}
				b, _ := json.Marshal(st)
				say("stats %s", b)
			default:
				say("error unknown command %q", line)
			}
		case now := <-tick.C:
			dt := now.Sub(last)
			last = now
			if paused {
				continue
			}
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
