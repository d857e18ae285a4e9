// Command token-login is the path of a real game from login to play, with
// the token service of cmd/lytokens in the middle:
//
//	token-login server -key-file F [-addr 127.0.0.1:40000]
//	    a netcode game server holding the servers' private key; it echoes
//	    payloads until interrupted.
//	token-login client -url URL -pin SHA256 -credential JWT
//	    a game client: it fetches a connect token over HTTPS, trusting only
//	    the certificate with that fingerprint, connects with it, and checks
//	    that a payload comes back.
//
// run.sh next to it starts `lytokens -dev`, the server and the client.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/tokenclient"
	"github.com/lightyear-conn/lightyear_conn/tokenservice"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: token-login server|client [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "server":
		err = serverMain(os.Args[2:])
	case "client":
		err = clientMain(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "token-login:", err)
		os.Exit(1)
	}
}

// tick is the game loop's period.
const tick = 10 * time.Millisecond

func serverMain(args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	keyFile := fs.String("key-file", "", "the servers' private key (hex, mode 0600), as lytokens -dev prints")
	addr := fs.String("addr", "127.0.0.1:40000", "address to serve; lytokens must list it (-servers)")
	protocolID := fs.String("protocol-id", "0", "netcode protocol id, as lytokens' -protocol-id")
	fs.Parse(args)
	key, err := tokenservice.LoadPrivateKeyFile(*keyFile)
	if err != nil {
		return err
	}
	pid, err := strconv.ParseUint(*protocolID, 0, 64)
	if err != nil {
		return fmt.Errorf("-protocol-id: %v", err)
	}
	bind, err := netip.ParseAddrPort(*addr)
	if err != nil {
		return fmt.Errorf("-addr: %v", err)
	}
	srv, err := netcode.NewServer(netcode.ServerConfig{ProtocolID: pid, PrivateKey: key, Addresses: []netip.AddrPort{bind}})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	defer srv.Stop()
	fmt.Printf("server: listening on %v\n", srv.LocalAddrs()[0])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	t := time.NewTicker(tick)
	defer t.Stop()
	for ctx.Err() == nil {
		<-t.C
		if err := srv.Update(tick); err != nil {
			return err
		}
		var ev core.Event
		for srv.PollEvent(&ev) {
			switch ev.Type {
			case core.EventPayload:
				if err := srv.Send(ev.Client, ev.Payload); err != nil {
					return err
				}
			case core.EventConnected, core.EventDisconnected:
				fmt.Printf("server: %v %v\n", ev.Type, ev.Client)
			}
		}
	}
	return nil
}

func clientMain(args []string) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	var opts tokenclient.Options
	fs.StringVar(&opts.URL, "url", "", "the token service, https://host:port")
	fs.StringVar(&opts.Fingerprint, "pin", "", "SHA-256 of the service's certificate (lytokens -dev prints it)")
	fs.StringVar(&opts.Credential, "credential", "", "the player's JWT from your login system")
	fs.Parse(args)

	token, err := tokenclient.Fetch(context.Background(), opts)
	if err != nil {
		// errors.Is tells refusals apart: ErrUnauthorized, ErrRateLimited,
		// ErrNoServer, ErrTLS (a certificate that does not match the pin)...
		return fmt.Errorf("fetching a token: %w", err)
	}
	fmt.Printf("client: got a %d-byte connect token over pinned TLS\n", len(token))

	client := netcode.NewClient(token, netcode.ClientConfig{})
	defer client.Close()
	if err := client.Connect(); err != nil {
		return err
	}
	want := []byte("hello through a fetched token")
	deadline := time.Now().Add(10 * time.Second)
	for sent := false; time.Now().Before(deadline); time.Sleep(tick) {
		if err := client.Update(tick); err != nil {
			return err
		}
		switch s := client.State(); {
		case s.IsError():
			return fmt.Errorf("connection failed: %v (%v)", s, client.DisconnectReason())
		case s != core.StateConnected:
			continue
		}
		if !sent {
			fmt.Println("client: connected")
			if err := client.Send(want); err != nil {
				return err
			}
			sent = true
		}
		if got, ok := client.Receive(); ok {
			if !bytes.Equal(got, want) {
				return fmt.Errorf("echo %q, want %q", got, want)
			}
			fmt.Printf("client: the server echoed %q\n", got)
			return client.Disconnect()
		}
	}
	return errors.New("no echo within 10 s")
}
