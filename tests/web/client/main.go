// Command client is the browser-transport client of the C tests
// (tests/c/test_web.c): a netcode client over one WebSocket connection or
// WebTransport session, made with core/web/webclient as a browser would
// connect. It connects with a token file, sends -n payloads of sizes 1 to
// 1200 with bytes that say which they are, expects each echoed back byte
// for byte and in order, disconnects and exits 0; anything else exits 1
// with a message. It gives up after -timeout, so a test never hangs on it.
//
//	client -token tok.bin -url ws://127.0.0.1:8080/ -n 200
//	client -token tok.bin -url https://127.0.0.1:4433/ -pin HEX[,HEX] -n 200
//
// With -url https://, only certificates whose SHA-256 is one of -pin are
// accepted (as serverCertificateHashes); the one the server presented is
// printed as "presented HEX" before the exchange.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/lightyear-conn/lightyear_conn/core"
	"github.com/lightyear-conn/lightyear_conn/core/netcode"
	"github.com/lightyear-conn/lightyear_conn/core/transport"
	"github.com/lightyear-conn/lightyear_conn/core/web/webclient"
)

func main() {
	tokenFile := flag.String("token", "", "connect token file (2048 bytes)")
	rawURL := flag.String("url", "", "ws://ip:port/ or https://ip:port/ (WebTransport)")
	pins := flag.String("pin", "", "https: comma-separated hex SHA-256 certificate hashes to accept")
	n := flag.Int("n", 100, "payloads to exchange")
	timeout := flag.Duration("timeout", 20*time.Second, "give up after this long")
	flag.Parse()
	if err := run(*tokenFile, *rawURL, *pins, *n, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}

// payload i: 1..1200 bytes, every one a function of i.
func payload(i int) []byte {
	b := make([]byte, 1+(i*397)%netcode.MaxPayloadSize)
	for j := range b {
		b[j] = byte(j*31 + i*13)
	}
	b[0] = byte(i)
	return b
}

func run(tokenFile, rawURL, pins string, n int, timeout time.Duration) error {
	tok, err := os.ReadFile(tokenFile)
	if err != nil {
		return err
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	if _, err := netip.ParseAddrPort(u.Host); err != nil {
		return fmt.Errorf("url host: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var dial func(netip.AddrPort) (transport.Transport, error)
	switch u.Scheme {
	case "ws", "wss":
		dial = func(a netip.AddrPort) (transport.Transport, error) { return webclient.DialWS(ctx, rawURL, a, nil) }
	case "https":
		var hashes [][32]byte
		for _, p := range strings.Split(pins, ",") {
			var h [32]byte
			if b, err := hex.DecodeString(p); err != nil || len(b) != 32 {
				return fmt.Errorf("-pin %q: want 64 hex digits", p)
			} else {
				copy(h[:], b)
			}
			hashes = append(hashes, h)
		}
		conf := webclient.PinnedTLS(hashes...)
		verify := conf.VerifyConnection
		conf.VerifyConnection = func(st tls.ConnectionState) error {
			if len(st.PeerCertificates) > 0 {
				h := sha256.Sum256(st.PeerCertificates[0].Raw)
				fmt.Printf("presented %x\n", h)
			}
			return verify(st)
		}
		dial = func(a netip.AddrPort) (transport.Transport, error) { return webclient.DialWT(ctx, rawURL, a, conf) }
	default:
		return fmt.Errorf("-url scheme %q (ws, wss, https)", u.Scheme)
	}
	c := netcode.NewClient(tok, netcode.ClientConfig{Dial: dial})
	defer c.Close()
	if err := c.Connect(); err != nil {
		return err
	}
	const tick = 5 * time.Millisecond
	step := func() error {
		if ctx.Err() != nil {
			return fmt.Errorf("timed out in state %v", c.State())
		}
		time.Sleep(tick)
		if err := c.Update(tick); err != nil {
			return err
		}
		if st := c.State(); st != core.StateConnected && st != core.StateSendingRequest && st != core.StateSendingResponse {
			return fmt.Errorf("state %v, reason %v", st, c.DisconnectReason())
		}
		return nil
	}
	for c.State() != core.StateConnected {
		if err := step(); err != nil {
			return fmt.Errorf("connecting: %w", err)
		}
	}
	sent, got := 0, 0
	for got < n {
		// A window of 8 in flight: queues stay far from their bounds.
		for sent < n && sent-got < 8 {
			if err := c.Send(payload(sent)); err != nil {
				return err
			}
			sent++
		}
		if err := step(); err != nil {
			return fmt.Errorf("after %d echoes: %w", got, err)
		}
		for {
			p, ok := c.Receive()
			if !ok {
				break
			}
			if want := payload(got); !bytes.Equal(p, want) {
				return fmt.Errorf("echo %d: %d bytes %x..., want %d bytes %x...", got, len(p), p[:min(4, len(p))], len(want), want[:min(4, len(want))])
			}
			got++
		}
	}
	if err := c.Disconnect(); err != nil && !errors.Is(err, core.ErrNotConnected) {
		return err
	}
	// Closing at once would drop the disconnect packets a WebTransport
	// session still queues as datagrams: the server would see a timeout.
	time.Sleep(100 * time.Millisecond)
	// quic-go sends the close from its own goroutines: exiting right after
	// Close can lose it, and the server then closes the session when idle.
	c.Close()
	time.Sleep(100 * time.Millisecond)
	fmt.Printf("exchanged %d payloads\n", got)
	return nil
}
